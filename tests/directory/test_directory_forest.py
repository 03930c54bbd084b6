"""What a real forest does to a least-privilege deployment, against the lab's real Samba: the lab stack's bind
account `pulumi-ndes` (lab.samba_delegation) holds only the documented delegation; SPN aliasing (KB5008382),
passwords left "must change at next logon", a Protected Users bind, the CA's sanitized name, and the read-only
rights preflight that preview runs."""
from __future__ import annotations

import uuid
from pathlib import Path

import ldap3
import pytest

from lab import samba_delegation as lsd
from ndes.directory import AccessDenied, Conflict, DirectoryClient, DirectorySettings
from ndes.directory import accounts as acc
from ndes.directory import issuance as iss
from ndes.providers.certificate_template import CertificateTemplateProvider
from ndes.providers.service_account import ServiceAccountProvider
from ndes.providers.template_issuance import TemplateIssuanceProvider

from .delegation import right_guid, schema_guid, without_right

pytestmark = pytest.mark.slow
SA = ServiceAccountProvider()
TI = TemplateIssuanceProvider()
CT = CertificateTemplateProvider()


def connect(dc, user: str | None = None, password: str | None = None) -> DirectoryClient:
    return DirectoryClient.connect(DirectorySettings(dc.ldap_url, user or dc.bind_user, password or dc.bind_password,
                                                     ca_bundle=dc.ca_bundle))


def delegated_props(dc) -> dict:
    return {"ldapUrl": dc.ldap_url, "bindUser": dc.delegated_user, "bindPassword": dc.delegated_password,
            "caBundle": Path(dc.ca_bundle).read_text()}


@pytest.fixture
def uid() -> str:
    return uuid.uuid4().hex[:6]


@pytest.fixture
def joined_host(samba_dc, uid):
    """A domain-joined host: its computer account holds HOST/<fqdn>, as every joined NDES server's does."""
    fqdn = f"nf{uid}.{samba_dc.dns_domain}"
    dn = f"CN=NF{uid.upper()},CN=Computers,{samba_dc.domain_dn}"
    with connect(samba_dc) as c:
        c.add(dn, ["top", "person", "organizationalPerson", "user", "computer"],
              {"sAMAccountName": f"NF{uid.upper()}$", "userAccountControl": "4096", "dNSHostName": fqdn,
               "servicePrincipalName": [f"HOST/{fqdn}", f"HOST/NF{uid.upper()}"]})
    yield fqdn, dn
    with connect(samba_dc) as c:
        c.delete(dn)


@pytest.fixture
def cleanup(samba_dc):
    names: list[str] = []
    yield names
    with connect(samba_dc) as c:
        for sam in names:
            p = acc.find_principal(c, sam)
            if p:
                c.delete(p.dn)


def account_props(dc, name: str, hosts: list[str], **extra) -> dict:
    res = SA.check({}, {**delegated_props(dc), "name": name, "upn": f"{name}@{dc.dns_domain}", "ou": lsd.SERVICE_OU,
                        "password": "First-Pa55word!", "spnHosts": hosts, "owner": f"ndes/forest/{name}",
                        "configKey": "ndes:serviceAccount", **extra})
    assert res.failures == []
    return res.inputs


# ---------------------------------------------------------------------------------------- the bind account
def test_the_lab_bind_account_is_no_administrator_and_holds_the_documented_delegation(samba_dc):
    with connect(samba_dc, samba_dc.delegated_user, samba_dc.delegated_password) as c:
        assert not acc.is_admin(c)
        templates = c.get(f"CN=Certificate Templates,{c.pks_dn}", ["allowedChildClassesEffective"])
        assert templates["attributes"]["allowedChildClassesEffective"] == ["pKICertificateTemplate"]
        users = c.get(f"CN=Users,{c.domain_dn}", ["allowedChildClassesEffective"])
        assert not users["attributes"].get("allowedChildClassesEffective")  # only in its own OU
    with connect(samba_dc) as c:
        assert acc.is_admin(c)
    doc = (Path(__file__).resolve().parents[2] / "docs" / "identities.md").read_text()
    section = doc.split("## AD bind account", 1)[1].split("\n## ", 1)[0]
    for _key, aces in lsd.DELEGATION:  # every right the lab grants is in the document
        for *_, obj, inh in aces:
            for name in (obj, inh):
                assert not name or name.removeprefix("right:") in section, name


def test_preview_names_a_missing_delegated_right_and_how_to_grant_it(samba_dc):
    props = {**delegated_props(samba_dc), "caCommonName": samba_dc.enterprise_ca_name, "templateName": "NDES-SSL",
             "configKey": "ndes:ca.commonName"}
    assert TI.check({}, {**props, "preflight": True}).failures == []
    with without_right(samba_dc, samba_dc.enrollment_service_dn, schema_guid(samba_dc, "certificateTemplates")):
        res = TI.check({}, {**props, "preflight": True})
        assert "preflight" not in res.inputs  # never stored
        [f] = res.failures
        assert "may not write certificateTemplates on CN=Lab Issuing CA,CN=Enrollment Services" in f.reason
        assert 'dsacls "CN=Lab Issuing CA' in f.reason and 'LAB\\pulumi-ndes:WP;certificateTemplates' in f.reason
        assert TI.check({}, props).failures == []  # the program asks for it; a bare check stays offline


def test_preview_names_a_missing_template_creation_right(samba_dc, uid):
    props = {**delegated_props(samba_dc), "kind": "client", "name": f"T-Pre-{uid}", "displayName": "x",
             "validity": "1 year", "extendedKeyUsage": ["clientAuth"], "configKey": "ndes:templates.client",
             "preflight": True}
    assert CT.check({}, props).failures == []
    target = f"CN=Certificate Templates,CN=Public Key Services,CN=Services,{samba_dc.config_dn}"
    with without_right(samba_dc, target, schema_guid(samba_dc, "pKICertificateTemplate")):
        reasons = " ".join(f.reason for f in CT.check({}, props).failures)
        assert "may not create pKICertificateTemplate objects on CN=Certificate Templates" in reasons


# ---------------------------------------------------------------------------------------- SPN aliasing
def test_an_alias_of_a_host_spn_another_account_holds_is_refused_before_anything_is_written(
        samba_dc, joined_host, uid, cleanup):
    fqdn, computer = joined_host
    name = f"svc-a{uid}"
    cleanup.append(name)
    inp = account_props(samba_dc, name, [fqdn])
    [f] = SA.check({}, {**inp, "preflight": True}).failures  # preview says it
    assert f"HOST/{fqdn}".lower() in f.reason.lower() and "KB5008382" in f.reason
    assert f"setspn -S http/{fqdn} {name}" in f.reason and "spnAdminUser" in f.reason
    with pytest.raises(Conflict, match=f"setspn -S http/{fqdn} {name}"):
        SA.create(inp)
    with connect(samba_dc) as c:
        assert acc.find_principal(c, name) is None  # nothing half-created
        # what the pre-check stands for: the DC itself refuses the write to a non-administrator (Samba answers
        # insufficientAccessRights; Windows answers constraintViolation 0x21C7)
        dn = acc.create_user(c, lsd.SERVICE_OU, name, f"{name}@{samba_dc.dns_domain}", "", "First-Pa55word!",
                             0x200, None)
    with connect(samba_dc, samba_dc.delegated_user, samba_dc.delegated_password) as me:
        with pytest.raises(AccessDenied, match="conflict"):
            me.modify(dn, {"servicePrincipalName": [(ldap3.MODIFY_ADD, [f"http/{fqdn}"])]})


def test_an_spn_administrator_writes_the_alias_while_the_rest_binds_least_privilege(
        samba_dc, joined_host, uid, cleanup):
    fqdn, _ = joined_host
    name = f"svc-b{uid}"
    cleanup.append(name)
    inp = account_props(samba_dc, name, [fqdn], spnAdminUser=samba_dc.bind_user,
                        spnAdminPassword=samba_dc.bind_password)
    assert SA.check({}, {**inp, "preflight": True}).failures == []
    res = SA.create(inp)
    assert res.outs["spns"] == [f"http/{fqdn}"] and res.outs["passwordNeverExpires"] is True
    assert res.id == f"CN={name},{lsd.SERVICE_OU}"
    assert "spnAdminPassword" in SA.secret_fields
    SA.delete(res.id, res.outs)


def test_an_administrator_bind_adds_the_alias_as_setspn_run_by_a_domain_admin_does(samba_dc, joined_host, uid, cleanup):
    fqdn, _ = joined_host
    name = f"svc-c{uid}"
    cleanup.append(name)
    res = SA.check({}, {**account_props(samba_dc, name, [fqdn]), "bindUser": samba_dc.bind_user,
                        "bindPassword": samba_dc.bind_password})
    out = SA.create(res.inputs)  # Microsoft's own step: a Domain Admin runs setspn -s
    assert out.outs["spns"] == [f"http/{fqdn}"]
    SA.delete(out.id, out.outs)


# ---------------------------------------------------------------------------------------- passwords
def test_the_password_never_expires_by_default_and_a_reset_leaves_no_must_change(samba_dc, uid, cleanup):
    name = f"svc-d{uid}"
    cleanup.append(name)
    inp = account_props(samba_dc, name, [])
    assert inp["passwordNeverExpires"] is True
    res = SA.create(inp)
    with connect(samba_dc) as c:
        a = c.get(res.id, ["userAccountControl", "pwdLastSet"])["attributes"]
    assert int(a["userAccountControl"][0]) & acc.UF_DONT_EXPIRE_PASSWD
    assert acc.as_int(a["pwdLastSet"]) != 0
    SA.delete(res.id, res.outs)


def test_without_unexpire_password_must_change_is_not_cleared_and_the_right_is_named(samba_dc, uid, cleanup):
    """A Windows DC answers a reset by an account without Unexpire-Password with pwdLastSet=0 (MS-SAMR 3.1.1.8.7);
    Samba 4.17 stamps the time instead, so the test puts the account in the state Windows leaves (an
    administrator writes pwdLastSet=0) and shows what the product does with it: clear it, or name the rights."""
    name = f"svc-e{uid}"
    cleanup.append(name)
    inp = account_props(samba_dc, name, [], passwordNeverExpires=False)
    with connect(samba_dc, samba_dc.delegated_user, samba_dc.delegated_password) as me:
        dn = acc.create_user(me, lsd.SERVICE_OU, name, f"{name}@{samba_dc.dns_domain}", "", "First-Pa55word!",
                             0x200, None)

    def must_change() -> None:
        with connect(samba_dc) as c:
            c.modify(dn, {"pwdLastSet": [(ldap3.MODIFY_REPLACE, ["0"])]})

    with without_right(samba_dc, samba_dc.domain_dn, right_guid(samba_dc, "Unexpire-Password")):
        [f] = SA.check({}, {**inp, "preflight": True}).failures  # preview names it
        assert "unexpire passwords" in f.reason and "CA;Unexpire Password" in f.reason
    # Samba 4.17 lets WriteProperty pwdLastSet write -1 without Unexpire-Password: take that right away instead
    with without_right(samba_dc, lsd.SERVICE_OU, schema_guid(samba_dc, "pwdLastSet")):
        must_change()
        with connect(samba_dc, samba_dc.delegated_user, samba_dc.delegated_password) as me:
            with pytest.raises(AccessDenied, match="Unexpire Password.*or bind as a Domain Admin"):
                acc.clear_must_change(me, dn, f"account '{name}'")
            me.modify(dn, {"userAccountControl": [(ldap3.MODIFY_REPLACE, [str(0x200 | acc.UF_DONT_EXPIRE_PASSWD)])]})
            note = acc.clear_must_change(me, dn, f"account '{name}'")  # never expires: logons work, say so
            assert note and "Unexpire Password" in note
    with connect(samba_dc, samba_dc.delegated_user, samba_dc.delegated_password) as me:
        assert acc.clear_must_change(me, dn, f"account '{name}'") is None  # with the right: cleared
        assert acc.as_int(me.get(dn, ["pwdLastSet"])["attributes"]["pwdLastSet"]) != 0


# ---------------------------------------------------------------------------------------- names and accounts
def test_a_protected_users_bind_account_is_named_as_such(samba_dc, uid, cleanup):
    name = f"pu-{uid}"
    cleanup.append(name)
    with connect(samba_dc) as c:
        dn = acc.create_user(c, f"CN=Users,{c.domain_dn}", name, f"{name}@{samba_dc.dns_domain}", "",
                             "First-Pa55word!", 0x200, None)
        c.modify(f"CN=Protected Users,CN=Users,{c.domain_dn}", {"member": [(ldap3.MODIFY_ADD, [dn])]})
    with pytest.raises(AccessDenied, match="Protected Users") as err:
        connect(samba_dc, f"{name}@{samba_dc.dns_domain}", "First-Pa55word!")
    assert "data 52f" in err.value.reason and "check ndes:domain.bindPassword" not in str(err.value)


def test_issuance_finds_the_ca_by_its_sanitized_name(samba_dc, uid):
    raw = f"Lab (Test) CA #{uid}"
    cn = iss.sanitized_name(raw)
    assert cn == f"Lab !0028Test!0029 CA !0023{uid}"
    dn = f"CN={cn},CN=Enrollment Services,CN=Public Key Services,CN=Services,{samba_dc.config_dn}"
    tname = f"T-San-{uid}"
    t = CT.create(CT.check({}, {**delegated_props(samba_dc), "kind": "client", "name": tname, "displayName": tname,
                                "validity": "1 year", "extendedKeyUsage": ["clientAuth"]}).inputs)
    with connect(samba_dc) as c:
        c.add(dn, ["top", "pKIEnrollmentService"], {"cn": cn, "displayName": raw, "dNSHostName": "ca9.lab.contoso.test",
                                                    "flags": "10"})
    try:
        admin = {**delegated_props(samba_dc), "bindUser": samba_dc.bind_user, "bindPassword": samba_dc.bind_password}
        inp = TI.check({}, {**admin, "caCommonName": raw, "templateName": tname}).inputs
        res = TI.create(inp)
        assert res.outs["issued"] is True and res.outs["enrollmentServiceDn"].lower() == dn.lower()
        with connect(samba_dc) as c:
            assert c.get(dn, ["certificateTemplates"])["attributes"]["certificateTemplates"] == [tname]
        TI.delete(res.id, res.outs)
    finally:
        with connect(samba_dc) as c:
            c.delete(dn)
        CT.delete(t.id, t.outs)
