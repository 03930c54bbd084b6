"""CertificateTemplate against the lab's real Samba: the attribute values an Enterprise CA expects, the OID
object and forest base OID, Read + Enroll in the DACL (cross-checked with samba-tool's own SDDL), converge,
in-place update, drift in words, replace on rename, delete leaving nothing else changed, hostile names."""
from __future__ import annotations

import re
import struct
import subprocess
import uuid
from pathlib import Path

import ldap3
import pytest

from lab import samba_dc as lab_dc
from ndes.directory import AccessDenied, DirectoryClient, DirectorySettings, NotFound
from ndes.directory import accounts as acc
from ndes.directory import templates as tpl
from ndes.providers.base import AlreadyExists
from ndes.providers.certificate_template import CertificateTemplateProvider

pytestmark = pytest.mark.slow
P = CertificateTemplateProvider()
ENROLL = "0e10c968-78fb-11d2-90d4-00c04f79dc55"


def conn_props(dc) -> dict:
    """The provider binds as the lab's least-privilege bind account, as Pulumi.lab.yaml does: the forest delegates
    full control of the templates to it (lab.samba_delegation), and an admin-bound provider would rightly report
    that delegation to another account as an extra grant on every template."""
    return {"ldapUrl": dc.ldap_url, "bindUser": dc.delegated_user, "bindPassword": dc.delegated_password,
            "caBundle": Path(dc.ca_bundle).read_text()}


def client(dc) -> DirectoryClient:
    return DirectoryClient.connect(DirectorySettings(dc.ldap_url, dc.bind_user, dc.bind_password,
                                                     ca_bundle=dc.ca_bundle))


def all_dns(dc) -> set[str]:
    """Every object in the domain and Configuration partitions (the schema aside)."""
    with client(dc) as c:
        out = set()
        for base in (dc.domain_dn, dc.config_dn):
            out |= {e["dn"].lower() for e in c.search(base, "(objectClass=*)", "subtree", ["objectClass"])
                    if not e["dn"].lower().endswith(f"cn=schema,{dc.config_dn}".lower())}
        return out


def sddl(dc, dn: str) -> str:
    """The object's SDDL as Samba's own tooling prints it (reads the DC's database directly)."""
    out = subprocess.run(["samba-tool", "dsacl", "get", f"--objectdn={dn}",
                          "-H", f"tdb://{lab_dc.samba_dir() / 'private' / 'sam.ldb'}"],
                         capture_output=True, text=True, timeout=60, check=True).stdout
    return out.strip().splitlines()[-1]


def aces_for(sddl_text: str, sid: str) -> list[tuple[str, set[str], str]]:
    out = []
    for ace in re.findall(r"\(([^)]*)\)", sddl_text):
        f = ace.split(";")
        if f[-1].upper() == sid.upper():
            out.append((f[0], set(re.findall("..", f[2])), f[3].lower()))
    return out


@pytest.fixture
def uid():
    return uuid.uuid4().hex[:8]


@pytest.fixture
def principal(samba_dc, uid):
    """A fresh user to grant Enroll to (stands for the NDES service account)."""
    with client(samba_dc) as c:
        dn = f"CN=enr{uid},CN=Users,{samba_dc.domain_dn}"
        c.add(dn, ["top", "person", "organizationalPerson", "user"], {"sAMAccountName": f"enr{uid}"})
        sid = acc.find_principal(c, f"enr{uid}").sid
    yield f"enr{uid}", sid
    with client(samba_dc) as c:
        c.delete(dn)


def template_inputs(dc, kind: str, name: str, principals: list[str], **extra) -> dict:
    base = {"ssl": {"displayName": f"{name} SSL", "validity": "2 years", "extendedKeyUsage": ["serverAuth", "clientAuth"]},
            "client": {"displayName": f"{name} client", "validity": "1 year", "extendedKeyUsage": ["clientAuth"]}}[kind]
    props = {**conn_props(dc), "kind": kind, "name": name, **base, "enrollPrincipals": principals,
             "owner": f"ndes/test/{name}", "configKey": f"ndes:templates.{kind}", **extra}
    res = P.check({}, props)
    assert res.failures == [], res.failures
    return res.inputs


@pytest.fixture
def cleanup(samba_dc):
    made: list[dict] = []
    yield made
    for inp in made:
        try:
            P.delete("", inp)
        except Exception:  # noqa: BLE001 - best effort
            pass


def filetime(days: int) -> bytes:
    return struct.pack("<q", -days * 864_000_000_000)


def test_templates_hold_what_an_enterprise_ca_expects(samba_dc, uid, principal, cleanup):
    sam, sid = principal
    ssl_in = template_inputs(samba_dc, "ssl", f"T-SSL-{uid}", ["NDES1$"])
    cli_in = template_inputs(samba_dc, "client", f"T-Client-{uid}", [sam])
    cleanup += [ssl_in, cli_in]
    ssl_res, cli_res = P.create(ssl_in), P.create(cli_in)
    with client(samba_dc) as c:
        ndes1 = acc.find_principal(c, "NDES1$").sid
        s = tpl.read_template(c, ssl_res.id)
        k = tpl.read_template(c, cli_res.id)
        base = tpl.forest_base_oid(c)
        oid_objs = tpl.find_oid_objects(c, k["msPKI-Cert-Template-OID"])
    expected = {  # MS-CRTD 2.x, shared/reference/adcs-ndes.md section 3 (v2 duplicates of Web Server / User)
        "flags": (131648, 131584), "revision": (100, 100), "msPKI-Template-Schema-Version": (2, 2),
        "msPKI-Certificate-Name-Flag": (1, 1), "msPKI-Enrollment-Flag": (0, 33),
        "msPKI-Private-Key-Flag": (16842752, 16842752), "msPKI-Minimal-Key-Size": (2048, 2048),
        "pKIKeyUsage": (b"\xa0\x00", b"\xa0\x00"), "pKIDefaultKeySpec": (1, 1), "pKIMaxIssuingDepth": (0, 0),
        "msPKI-RA-Signature": (0, 0),
        "pKIExpirationPeriod": (filetime(730), filetime(365)), "pKIOverlapPeriod": (filetime(42), filetime(42)),
        "pKICriticalExtensions": (["2.5.29.15"], ["2.5.29.15"]),
        "pKIExtendedKeyUsage": (["1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"], ["1.3.6.1.5.5.7.3.2"]),
        "msPKI-Certificate-Application-Policy": (["1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"], ["1.3.6.1.5.5.7.3.2"]),
    }
    for attr, (want_ssl, want_cli) in expected.items():
        got_s, got_k = s[attr], k[attr]
        if isinstance(want_ssl, list):
            got_s, got_k, want_ssl, want_cli = sorted(got_s), sorted(got_k), sorted(want_ssl), sorted(want_cli)
        assert (got_s, got_k) == (want_ssl, want_cli), attr
    assert sorted(s["pKIDefaultCSPs"]) == ["1,Microsoft RSA SChannel Cryptographic Provider",
                                           "2,Microsoft DH SChannel Cryptographic Provider"]
    assert s["cn"] == f"T-SSL-{uid}" and s["displayName"] == f"T-SSL-{uid} SSL"
    # OIDs: under the forest base, kept in the outputs, with the msPKI-Enterprise-Oid companion
    assert re.fullmatch(r"1\.3\.6\.1\.4\.1\.311\.21\.8(\.\d+){6}", base)
    for t, res in ((s, ssl_res), (k, cli_res)):
        assert t["msPKI-Cert-Template-OID"].startswith(base + ".") and res.outs["oid"] == t["msPKI-Cert-Template-OID"]
    [o] = oid_objs
    assert o["attributes"]["flags"] == ["1"] and o["attributes"]["displayName"] == [f"T-Client-{uid} client"]
    # the DACL, as Samba's own SDDL renders it: Read (A;;LCRPLORC) + Enroll (OA;;CR;<Enroll>) for the principal
    for dn, who in ((ssl_res.id, ndes1), (cli_res.id, sid)):
        got = aces_for(sddl(samba_dc, dn), who)
        assert ("A", {"LC", "RP", "LO", "RC"}, "") in got, got
        assert ("OA", {"CR"}, ENROLL) in got, got
        assert len(got) == 2  # once
    assert ssl_res.outs["enrollPrincipals"] == ["NDES1$"] and ssl_res.outs["enrollSids"] == [ndes1]
    assert ssl_res.outs["schemaVersion"] == 2


def test_converge_update_drift_and_principals(samba_dc, uid, principal, cleanup):
    sam, sid = principal
    inp = template_inputs(samba_dc, "client", f"T-Drift-{uid}", [sam])
    cleanup.append(inp)
    res = P.create(inp)
    oid, minor = res.outs["oid"], res.outs["minorRevision"]
    # a second converge changes nothing, not even the minor revision
    read = P.read(res.id, res.outs)
    assert not P.diff(res.id, read.outs, inp).changes
    same = P.update(res.id, read.outs, inp)
    assert same.outs["minorRevision"] == minor and same.outs["oid"] == oid
    # an in-place update keeps the OID and bumps the minor revision, as the console does
    news = {**inp, "validity": "2 years", "minimumKeySize": 4096}
    assert P.diff(res.id, same.outs, news).replaces == []
    upd = P.update(res.id, same.outs, news)
    assert (upd.outs["validity"], upd.outs["minimumKeySize"]) == ("2 years", 4096)
    assert upd.outs["oid"] == oid and upd.outs["minorRevision"] == minor + 1
    # out of band: the key made exportable, the Enroll ACE removed -> read says so in words
    with client(samba_dc) as c:
        c.modify(res.id, {"msPKI-Private-Key-Flag": [(ldap3.MODIFY_REPLACE, [str(16842752 | 0x10)])]})
        tpl.revoke(c, res.id, [sid])
    drift = P.read(res.id, upd.outs)
    assert drift.inputs["exportable"] is True and drift.inputs["enrollPrincipals"] == []
    d = P.diff(res.id, drift.outs, news)
    assert d.changes and not d.replaces
    fixed = P.update(res.id, drift.outs, news)
    assert fixed.outs["exportable"] is False and fixed.outs["enrollPrincipals"] == [sam]
    assert not P.diff(res.id, P.read(res.id, fixed.outs).outs, news).changes
    # a principal dropped from the list loses its ACEs; the others' stay
    news2 = {**news, "enrollPrincipals": ["NDES2$"]}
    P.update(res.id, fixed.outs, news2)
    with client(samba_dc) as c:
        ndes2 = acc.find_principal(c, "NDES2$").sid
    text = sddl(samba_dc, res.id)
    assert aces_for(text, sid) == [] and len(aces_for(text, ndes2)) == 2
    # a rename replaces
    assert P.diff(res.id, fixed.outs, {**news2, "name": f"T-Drift2-{uid}"}).replaces == ["name"]


def test_delete_removes_the_template_and_its_oid_object_and_nothing_else(samba_dc, uid):
    before = all_dns(samba_dc)
    with client(samba_dc) as c:
        tpl.forest_base_oid(c)  # the base OID is a forest setting, not the template's: make sure it exists
    before = all_dns(samba_dc)
    inp = template_inputs(samba_dc, "ssl", f"T-Del-{uid}", ["NDES1$"])
    res = P.create(inp)
    during = all_dns(samba_dc)
    added = during - before
    assert len(added) == 2 and res.id.lower() in added  # the template and its OID object
    P.delete(res.id, res.outs)
    assert all_dns(samba_dc) == before
    assert P.read(res.id, res.outs).id is None
    P.delete(res.id, res.outs)  # gone is fine


HOSTILE_OK = ['T,a+b"c\\d<e>f;g=h', "#T-hash", "x*)(cn=*", "T (paren) *", "Zertifikat-Vörlage-日本"]


@pytest.mark.parametrize("name", HOSTILE_OK)
def test_hostile_names_are_escaped_and_match_only_themselves(samba_dc, name, uid):
    before = all_dns(samba_dc)
    inp = template_inputs(samba_dc, "client", name, ["NDES1$"])
    with client(samba_dc) as c:
        # the name must not already match something: a filter-unsafe lookup of 'x*)(cn=*' would
        assert tpl.read_template(c, tpl.template_dn(c, name)) is None
    assert P.find(P.parse(inp)) is None
    res = P.create(inp)
    try:
        assert res.outs["name"] == name
        with client(samba_dc) as c:
            t = tpl.read_template(c, res.id)
            assert t["cn"] == name
            # searching by the name finds exactly this template
            found = c.search(tpl.templates_dn(c), f"(cn={ldap3.utils.conv.escape_filter_chars(name)})", "one", ["cn"])
            assert [e["dn"].lower() for e in found] == [res.id.lower()]
        assert not P.diff(res.id, P.read(res.id, res.outs).outs, inp).changes
    finally:
        P.delete(res.id, res.outs)
    assert all_dns(samba_dc) == before


@pytest.mark.parametrize("name,msg", [("T\x00nul", "control characters"), (" T-lead", "spaces"),
                                      ("T-trail ", "spaces"), ("T" * 65, "limit is 64")])
def test_unsafe_names_are_refused_before_the_dc(samba_dc, name, msg):
    res = P.check({}, {**conn_props(samba_dc), "kind": "client", "name": name, "displayName": "x",
                       "validity": "1 year", "extendedKeyUsage": ["clientAuth"], "configKey": "ndes:templates.client"})
    assert [f.property for f in res.failures] == ["name"] and msg in res.failures[0].reason


def test_a_principal_name_that_looks_like_a_filter_matches_nothing(samba_dc, uid):
    before = all_dns(samba_dc)
    inp = template_inputs(samba_dc, "client", f"T-Prin-{uid}", ["x*)(cn=*"])
    with pytest.raises(NotFound, match="x\\*\\)\\(cn=\\*"):
        P.create(inp)
    assert all_dns(samba_dc) == before


def test_adopt_converges_a_hand_built_template_and_keeps_its_oid(samba_dc, uid, cleanup):
    with client(samba_dc) as c:
        base = tpl.forest_base_oid(c)
        oid = f"{base}.4242.{uid_int(uid)}"
        dn = tpl.template_dn(c, f"T-Hand-{uid}")
        c.add(dn, ["top", "pKICertificateTemplate"], {"displayName": "by hand", "flags": "131584",
                                                      "msPKI-Cert-Template-OID": oid,
                                                      "msPKI-Private-Key-Flag": str(16842752 | 0x10)})
    inp = template_inputs(samba_dc, "client", f"T-Hand-{uid}", ["NDES1$"])
    cleanup.append(inp)
    with pytest.raises(AlreadyExists, match="adopt"):
        P.create(inp)
    res = P.create({**inp, "adopt": True})
    assert res.outs["oid"] == oid and res.outs["exportable"] is False and res.outs["displayName"] == inp["displayName"]
    assert not P.diff(res.id, P.read(res.id, res.outs).outs, inp).changes
    P.delete(res.id, res.outs)
    with client(samba_dc) as c:
        assert tpl.find_oid_objects(c, oid) == []


def uid_int(uid: str) -> int:
    return int(uid, 16) % 16_777_215 + 1


def test_the_forest_base_oid_is_created_when_missing(samba_dc):
    with client(samba_dc) as c:
        dn = tpl.oid_container_dn(c)
        original = (c.get(dn, ["msPKI-Cert-Template-OID"])["attributes"].get("msPKI-Cert-Template-OID") or [None])[0]
        try:
            if original:
                c.modify(dn, {"msPKI-Cert-Template-OID": [(ldap3.MODIFY_DELETE, [])]})
            made = tpl.forest_base_oid(c)
            assert re.fullmatch(r"1\.3\.6\.1\.4\.1\.311\.21\.8(\.\d+){6}", made)
            assert tpl.forest_base_oid(c) == made  # reused, not re-made
        finally:
            if original:
                c.modify(dn, {"msPKI-Cert-Template-OID": [(ldap3.MODIFY_REPLACE, [original])]})


def test_a_wrong_bind_password_creates_nothing(samba_dc, uid):
    inp = template_inputs(samba_dc, "client", f"T-Bind-{uid}", ["NDES1$"])
    with pytest.raises(AccessDenied, match="invalid credentials"):
        P.create({**inp, "bindPassword": "wrong-password"})
    with client(samba_dc) as c:
        assert tpl.read_template(c, tpl.template_dn(c, f"T-Bind-{uid}")) is None


def test_racing_writers_agree_on_one_forest_base_oid(samba_dc):
    from concurrent.futures import ThreadPoolExecutor
    with client(samba_dc) as c:
        dn = tpl.oid_container_dn(c)
        original = (c.get(dn, ["msPKI-Cert-Template-OID"])["attributes"].get("msPKI-Cert-Template-OID") or [None])[0]
        if original:
            c.modify(dn, {"msPKI-Cert-Template-OID": [(ldap3.MODIFY_DELETE, [])]})
    try:
        def one(_):
            with client(samba_dc) as cc:
                return tpl.forest_base_oid(cc)
        with ThreadPoolExecutor(4) as pool:
            got = set(pool.map(one, range(4)))
        assert len(got) == 1
    finally:
        if original:
            with client(samba_dc) as c:
                c.modify(dn, {"msPKI-Cert-Template-OID": [(ldap3.MODIFY_REPLACE, [original])]})
