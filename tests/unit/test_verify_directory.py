"""Directory checks without a DC. What no resource owns, on the reader fake: forest-wide SPN uniqueness and
(test_verify_account_health.py) the account's health. What the resources own, judged from a provider's reading
(the live state in its `get` shape, the drift as adoption.drift computes it): which check fails, in which words,
with which fix. The readings themselves come from the real DC in tests/directory/test_verify_directory_samba.py."""
from __future__ import annotations

from ndes.declare import directory as declared
from ndes.providers import adoption
from ndes.verify import Context
from ndes.verify.directory import (account_checks, client_templates, issuance_checks, service_account,
                                   template_checks)
from ndes.verify import owned
from ndes.verify.owned import Reading

from .verify_fakes import ACCOUNT_DN, HOST, FakeDirectory, by_check, config


def ctx_of(cfg, d=None) -> Context:
    return Context(cfg, directory_factory=lambda: d or FakeDirectory(cfg))


def planted(ctx, step: str, **live) -> Reading:
    """What the provider of `step` read: the declared values, with `live` changed (None: the object is gone);
    put where owned.read keeps it for the run."""
    d = declared.directory(ctx.cfg)[step]
    p = d.provider()
    conn = {k: v for k, v in ctx.connection("ldap").items() if k in p.Inputs.connection_fields}
    inp = p.Inputs.model_validate({**d.props, **conn, "configKey": d.config_key})
    wire = inp.wire()
    state = None if live.pop("gone", False) else {
        **{k: wire[k] for k in p.compared_fields() if k not in p.secret_fields and k in wire
           and k not in ("removeExtraGrants", "password")}, "dn": f"CN={step}", "spns": inp.spns()
        if hasattr(inp, "spns") else None, **live}
    r = Reading(d, inp, None if state is None else "id", state, adoption.drift(p, inp, state) if state else [])
    ctx.cache[owned.cache_key(d, "ldap")] = r
    return r


def test_duplicate_spn_fails_naming_the_other_holder():
    cfg = config()
    d = FakeDirectory(cfg)
    [r] = by_check(account_checks(ctx_of(cfg, d)), f"SPN http/{HOST} unique")
    assert r.status == "pass"
    d.holders[f"http/{HOST}"] = [ACCOUNT_DN, "CN=NDES01,CN=Computers,DC=contoso,DC=com"]
    [r] = by_check(account_checks(ctx_of(cfg, d)), f"SPN http/{HOST} unique")
    assert r.status == "fail" and "CN=NDES01,CN=Computers" in r.detail and "setspn -D" in r.fix


def test_no_health_for_an_account_that_is_not_there():
    cfg = config()
    d = FakeDirectory(cfg)
    d.accounts.clear()
    assert account_checks(ctx_of(cfg, d)) == []


def test_healthy_readings_pass():
    ctx = ctx_of(config())
    for step in declared.directory(ctx.cfg):
        planted(ctx, step)
    got = service_account(ctx) + template_checks(ctx, "ssl-template") + client_templates(ctx) + issuance_checks(ctx)
    assert {r.status for r in got} == {"pass"}, [(r.check, r.detail) for r in got if r.status != "pass"]
    assert ctx.cache["clientKeyUsage"] == list(ctx.cfg.templates.client.key_usage)  # for the MSCEP check


def test_missing_account_fails_with_the_fix():
    ctx = ctx_of(config())
    planted(ctx, "service-account", gone=True)
    [r] = service_account(ctx)
    assert r.status == "fail" and "no account CONTOSO\\svc-ndes" in r.detail and "ndes:serviceAccount" in r.fix


def test_disabled_account_and_missing_spn_fail_their_own_checks():
    ctx = ctx_of(config())
    planted(ctx, "service-account", enabled=False, spnHosts=[], spns=[])
    got = {r.check: r for r in service_account(ctx)}
    r = got["service account enabled"]
    assert r.status == "fail" and r.detail == "enabled is false, declared true"
    assert "Enable-ADAccount svc-ndes" in r.fix and "(ndes:serviceAccount)" in r.fix
    r = got["service account SPNs"]
    assert r.status == "fail" and f'declared ["{HOST}"]' in r.detail
    assert f"setspn -s http/{HOST} CONTOSO\\svc-ndes" in r.fix
    assert got["service account password never expires"].status == "pass"


def test_password_never_expires_is_compared_both_ways():
    """Semantics changed: was a warn only when configured true and unset; now drift either way fails (refresh
    shows it, `pulumi up` converges it)."""
    ctx = ctx_of(config(**{"serviceAccount.passwordNeverExpires": True}))
    planted(ctx, "service-account", passwordNeverExpires=False)
    [r] = by_check(service_account(ctx), "service account password never expires")
    assert r.status == "fail" and "passwordNeverExpires is false, declared true" in r.detail
    ctx = ctx_of(config(**{"serviceAccount.passwordNeverExpires": False}))
    planted(ctx, "service-account", passwordNeverExpires=True)
    [r] = by_check(service_account(ctx), "service account password never expires")
    assert r.status == "fail"


def test_template_missing_and_settings_drift():
    ctx = ctx_of(config())
    planted(ctx, "ssl-template", gone=True)
    [r] = template_checks(ctx, "ssl-template")
    assert r.status == "fail" and "duplicate the Web Server template as NDES-SSL" in r.fix
    planted(ctx, "client-template", exportable=True, keyUsage=["digitalSignature", "keyEncipherment",
                                                               "nonRepudiation"])
    [r] = by_check(template_checks(ctx, "client-template"), "client template NDES-Intune settings")
    assert r.status == "fail" and "private key exportable is true, declared false" in r.detail
    assert "nonRepudiation" in r.detail and "ndes:templates.client" in r.fix and "certtmpl.msc" in r.fix


def test_ssl_template_must_enroll_computers():
    ctx = ctx_of(config())
    planted(ctx, "ssl-template", kind="client")
    [r] = by_check(template_checks(ctx, "ssl-template"), "ssl template NDES-SSL settings")
    assert r.status == "fail" and "computers" in r.detail and "Web Server" in r.fix


def test_acl_without_enroll_fails_naming_the_principal():
    ctx = ctx_of(config())
    planted(ctx, "ssl-template", enrollPrincipals=[])
    [r] = by_check(template_checks(ctx, "ssl-template"), "ssl template NDES-SSL ACL")
    assert r.status == "fail" and 'declared ["NDES01$"]' in r.detail and "grant NDES01$ Read and Enroll" in r.fix
    planted(ctx, "client-template", enrollPrincipals=[])
    [r] = by_check(template_checks(ctx, "client-template"), "client template NDES-Intune ACL")
    assert r.status == "fail" and "svc-ndes" in r.detail and "ndes:templates.client" in r.fix


def test_other_grants_on_a_template_fail_naming_principal_rights_and_fix():
    ctx = ctx_of(config())
    planted(ctx, "client-template", extraGrants=["Authenticated Users (S-1-5-11): Enroll"])
    [r] = by_check(template_checks(ctx, "client-template"), "client template NDES-Intune other grants")
    assert r.status == "fail" and "Authenticated Users (S-1-5-11): Enroll" in r.detail and "ESC1" in r.detail
    assert "ndes:templates.client.removeExtraGrants" in r.fix


def test_issuance():
    ctx = ctx_of(config())
    planted(ctx, "ssl-issuance")
    planted(ctx, "client-issuance", issued=False)
    got = {r.check: r for r in issuance_checks(ctx)}
    assert got["ssl template issued"].status == "pass"
    r = got["client template issued"]
    assert r.status == "fail" and "NDES-Intune issued on Contoso Issuing CA is false, declared true" in r.detail
    assert "Certificate Template to Issue > NDES-Intune" in r.fix and "ndes:ca.commonName" in r.fix


def test_more_client_templates_are_checked_and_issued():
    cfg = config(**{"templates.moreClients": [{"name": "NDES-Sig", "displayName": "NDES Sig",
                                               "keyUsage": ["digitalSignature"]}]})
    ctx = ctx_of(cfg)
    for step in declared.directory(cfg):
        planted(ctx, step)
    planted(ctx, "client-issuance-ndes-sig", issued=False)
    assert "client template NDES-Sig settings" in {r.check for r in client_templates(ctx)}
    [r] = by_check(issuance_checks(ctx), "client template issued (NDES-Sig)")
    assert r.status == "fail"


def test_verify_reads_the_declared_directory_without_pulumi():
    import subprocess
    import sys
    code = ("import sys, ndes.verify.runner, ndes.verify.directory, ndes.declare.directory\n"
            "bad = [m for m in sys.modules if m == 'pulumi' or m.startswith(('pulumi.', 'ndes.components'))]\n"
            "assert not bad, bad\n")
    subprocess.run([sys.executable, "-c", code], check=True)
