"""`ndes verify`'s directory checks against the lab's real Samba DC: the service account, both templates and their
issuance made by the providers from the inputs ndes/declare/directory.py builds (what `pulumi up` does), read
back through the same providers' find/get. Healthy: every check passes. Each defect an admin could make by hand
(account disabled, SPN removed, a template setting changed, the Enroll grant removed, another grant added, a
template no longer issued) fails its own check with the drift in the admin's words and a fix naming the config
key; the checks not touched still pass. Names of this test's own (the lab stack is never touched)."""
from __future__ import annotations

import uuid
from pathlib import Path

import ldap3
import pytest

from ndes.declare import directory as declared
from ndes.directory import DirectoryClient, DirectorySettings
from ndes.directory import accounts as acc
from ndes.directory import issuance as iss
from ndes.directory import templates as tpl
from ndes.model import load_config
from ndes.providers import connections
from ndes.verify import Context
from ndes.verify import directory as vd
from tests.unit.sample_config import sample

pytestmark = pytest.mark.slow
AUTHENTICATED_USERS = "S-1-5-11"


def admin(dc) -> DirectoryClient:
    return DirectoryClient.connect(DirectorySettings(dc.ldap_url, dc.bind_user, dc.bind_password,
                                                     ca_bundle=dc.ca_bundle))


def config(dc, uid: str, **more):
    """The stack config of this test: the lab's DC, bound as the least-privilege account Pulumi.lab.yaml uses."""
    return load_config(sample(**{
        "domain": {"dnsName": dc.dns_domain, "netbiosName": dc.netbios_domain, "ldapUrl": dc.ldap_url,
                   "bindUser": dc.delegated_user, "bindPassword": dc.delegated_password, "caBundle": dc.ca_bundle,
                   "spnAdminUser": dc.bind_user, "spnAdminPassword": dc.bind_password},
        "ca.commonName": dc.enterprise_ca_name,
        "ndesHosts": [{"fqdn": f"vfy{uid}.{dc.dns_domain}", "externalUrl": f"https://vfy{uid}-lab.msappproxy.net/"}],
        "serviceAccount": {"name": f"svcv{uid}", "password": "Svc-V3rify-Xx!9",
                           "ou": f"OU=Service Accounts,{dc.domain_dn}"},  # where the bind account may create
        "templates": {"ssl": {"name": f"VFY-SSL-{uid}"}, "client": {"name": f"VFY-Cl-{uid}"}}, **more}))


def verify(cfg) -> dict:
    """The directory steps of `ndes verify` (runner.py) with a fresh Context: nothing cached between runs."""
    ctx = Context(cfg)
    try:
        got = (vd.service_account(ctx) + vd.account_checks(ctx) + vd.template_checks(ctx, "ssl-template")
               + vd.client_templates(ctx) + vd.issuance_checks(ctx))
    finally:
        ctx.close()
    return {r.check: r for r in got}


@pytest.fixture
def made(samba_dc):
    """The directory plane made by its providers from the declared inputs (the NDES host's computer account as a
    domain join leaves it), removed afterwards."""
    dc, uid = samba_dc, uuid.uuid4().hex[:6]
    cfg = config(dc, uid)
    host = cfg.ndes_hosts[0]
    computer = f"CN={host.short_name.upper()},CN=Computers,{dc.domain_dn}"
    with admin(dc) as c:
        c.add(computer, ["top", "person", "organizationalPerson", "user", "computer"], {
            "sAMAccountName": host.computer_account, "userAccountControl": "4096", "dNSHostName": host.fqdn},
            kind="computer")
    made: list = []
    try:
        conn = connections.resolve(cfg, "ldap")
        for step, d in declared.directory(cfg).items():
            p = d.provider()
            own = {k: v for k, v in conn.items() if k in p.Inputs.connection_fields}
            inp = p.Inputs.model_validate({**d.props, **own, "owner": f"ndes/verifytest/{uid}-{step}",
                                           "configKey": d.config_key})
            p.apply(inp, None)
            made.append((p, inp))
        yield cfg
    finally:
        for p, inp in reversed(made):
            p.remove(p.find(inp).id if p.find(inp) else "", inp)
        with admin(dc) as c:
            c.delete(computer, kind="computer")


def test_healthy_then_each_defect_fails_its_own_check(samba_dc, made):
    cfg = made
    got = verify(cfg)
    bad = {k: (r.detail, r.fix) for k, r in got.items() if r.status != "pass"}
    assert not bad, bad
    sa, ssl, cl, host = cfg.service_account, cfg.templates.ssl.name, cfg.templates.client.name, cfg.ndes_hosts[0]
    for check in ("service account exists", "service account enabled", "service account password never expires",
                  "service account SPNs", "service account settings", "service account not locked out",
                  f"SPN http/{host.fqdn} unique", f"ssl template {ssl} settings", f"ssl template {ssl} ACL",
                  f"ssl template {ssl} other grants", f"client template {cl} settings", f"client template {cl} ACL",
                  "ssl template issued", "client template issued"):
        assert check in got, (check, sorted(got))

    with admin(samba_dc) as c:  # what an admin might do by hand
        a = acc.find_principal(c, sa.name)
        uac = acc.as_int(a.attributes.get("userAccountControl"))
        c.modify(a.dn, {"userAccountControl": [(ldap3.MODIFY_REPLACE, [str(uac | acc.UF_ACCOUNTDISABLE)])],
                        "servicePrincipalName": [(ldap3.MODIFY_DELETE, [f"http/{host.fqdn}"])]}, kind="account")
        cl_dn, ssl_dn = tpl.template_dn(c, cl), tpl.template_dn(c, ssl)
        flag = int(tpl.read_template(c, cl_dn)["msPKI-Private-Key-Flag"])
        c.modify(cl_dn, {"msPKI-Private-Key-Flag": [(ldap3.MODIFY_REPLACE, [str(flag | 0x10)])]}, kind="template")
        tpl.revoke(c, ssl_dn, [acc.resolve_sid(c, host.computer_account)])
        tpl.grant(c, cl_dn, [AUTHENTICATED_USERS])
        iss.remove(c, cfg.ca.common_name, cl)

    got = verify(cfg)
    failed = {k: r for k, r in got.items() if r.status == "fail"}
    want = {
        "service account enabled": ("enabled is false, declared true", "Enable-ADAccount", "ndes:serviceAccount"),
        "service account SPNs": (f'spnHosts is [], declared ["{host.fqdn}"]', f"setspn -s http/{host.fqdn}",
                                 "ndes:serviceAccount"),
        f"client template {cl} settings": ("private key exportable is true, declared false", "certtmpl.msc",
                                           "ndes:templates.client"),
        f"ssl template {ssl} ACL": (f'Read + Enroll for is [], declared ["{host.computer_account}"]',
                                    f"grant {host.computer_account} Read and Enroll", "ndes:templates.ssl"),
        f"client template {cl} other grants": ("Authenticated Users (S-1-5-11): Enroll", "removeExtraGrants",
                                               "ndes:templates.client"),
        "client template issued": (f"{cl} issued on {cfg.ca.common_name} is false, declared true",
                                   "Certificate Template to Issue", "ndes:ca.commonName"),
    }
    assert set(failed) == set(want), {k: r.detail for k, r in failed.items()}
    for check, (detail, fix, key) in want.items():
        r = failed[check]
        assert detail in r.detail and fix in r.fix and key in r.fix, (check, r.detail, r.fix)
    assert "ESC1" in failed[f"client template {cl} other grants"].detail
    # what refresh would show: the same provider, the same drift (one reading, one truth)
    d = declared.directory(cfg)["client-issuance"]
    p = d.provider()
    inp = p.Inputs.model_validate({**d.props, **{k: v for k, v in connections.resolve(cfg, "ldap").items()
                                                 if k in p.Inputs.connection_fields}})
    assert p.get("", inp)["issued"] is False


def test_missing_objects_fail_with_the_fix(samba_dc):
    cfg = config(samba_dc, uuid.uuid4().hex[:6])  # names nothing in the directory holds
    got = verify(cfg)
    r = got["service account exists"]
    assert r.status == "fail" and f"no account {cfg.domain.logon_name(cfg.service_account.name)}" in r.detail
    assert "ndes:serviceAccount" in r.fix
    r = got[f"ssl template {cfg.templates.ssl.name} exists"]
    assert r.status == "fail" and "duplicate the Web Server template" in r.fix and "ndes:templates.ssl" in r.fix
    assert got["ssl template issued"].status == "fail" and "ndes:ca.commonName" in got["ssl template issued"].fix
    assert not any(k.startswith("service account not") for k in got)  # no health of an account that is not there
