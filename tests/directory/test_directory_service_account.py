"""ServiceAccount against the lab's real Samba AD DC: create, read, converge, update, drift, delete; the
password the domain refuses; SPN duplicates across the forest; adoption; a wrong bind password."""
from __future__ import annotations

import uuid
from pathlib import Path

import ldap3
import pytest

from ndes.directory import AccessDenied, Conflict, DirectoryClient, DirectorySettings, InvalidValue, Unavailable
from ndes.directory import accounts as acc
from ndes.providers.base import AlreadyExists
from ndes.providers.service_account import PASSWORD_CHANGED, ServiceAccountProvider

pytestmark = pytest.mark.slow
P = ServiceAccountProvider()


def conn_props(dc) -> dict:
    return {"ldapUrl": dc.ldap_url, "bindUser": dc.bind_user, "bindPassword": dc.bind_password,
            "caBundle": Path(dc.ca_bundle).read_text()}


def client(dc) -> DirectoryClient:
    return DirectoryClient.connect(DirectorySettings(dc.ldap_url, dc.bind_user, dc.bind_password,
                                                     ca_bundle=dc.ca_bundle))


def can_bind(dc, upn: str, password: str) -> bool:
    try:
        DirectoryClient.connect(DirectorySettings(dc.ldap_url, upn, password, ca_bundle=dc.ca_bundle)).close()
        return True
    except AccessDenied:
        return False


@pytest.fixture
def names():
    uid = uuid.uuid4().hex[:8]
    return {"name": f"svc-t{uid}", "host": f"ndes-t{uid}.lab.contoso.test", "uid": uid}


@pytest.fixture
def inputs(samba_dc, names):
    props = {**conn_props(samba_dc), "name": names["name"], "upn": f"{names['name']}@lab.contoso.test",
             "password": "First-Pa55word!", "passwordNeverExpires": True, "description": "NDES test account",
             "spnHosts": [names["host"]], "spnShortName": True, "owner": f"ndes/test/{names['uid']}",
             "configKey": "ndes:serviceAccount"}
    res = P.check({}, props)
    assert res.failures == []
    yield res.inputs
    with client(samba_dc) as c:
        for sam in (names["name"], f"oth{names['uid']}"):
            p = acc.find_principal(c, sam)
            if p:
                c.delete(p.dn)


def raw_user(c: DirectoryClient, dn: str) -> dict:
    return c.get(dn, acc.USER_ATTRS)["attributes"]


def test_create_read_converge_update_drift_delete(samba_dc, inputs, names):
    created = P.create(inputs)
    outs = created.outs
    with client(samba_dc) as c:
        a = raw_user(c, created.id)
        assert int(a["userAccountControl"][0]) == 0x200 | 0x10000            # enabled, password never expires
        assert a["userPrincipalName"] == [inputs["upn"]]
        assert sorted(s.lower() for s in a["servicePrincipalName"]) == sorted(
            [f"http/{names['host']}", f"http/{names['host'].split('.')[0]}"])
        # the owner mark carries this create's generation (ndes/providers/generation.py)
        assert a["adminDescription"] == [f"managed-by-pulumi:ndes/test/{names['uid']}#{outs['__generation']}"]
    assert created.id == f"CN={names['name']},CN=Users,{samba_dc.domain_dn}"
    assert outs["sid"].startswith("S-1-5-21-") and len(outs["objectGuid"]) == 36
    assert outs["spns"] == [f"http/{names['host']}", f"http/{names['host'].split('.')[0]}"]
    assert can_bind(samba_dc, inputs["upn"], "First-Pa55word!")   # the password really is set
    # a second converge changes nothing
    read = P.read(created.id, outs)
    assert read.id == created.id and not P.diff(created.id, read.outs, inputs).changes
    assert read.inputs["enabled"] is True and "password" in read.inputs
    # update in place: description and password
    news = {**inputs, "description": "changed", "password": "Second-Pa55word!"}
    assert P.diff(created.id, read.outs, news).replaces == []
    upd = P.update(created.id, read.outs, news)
    assert upd.outs["description"] == "changed" and upd.outs["pwdLastSet"] != outs["pwdLastSet"]
    assert can_bind(samba_dc, inputs["upn"], "Second-Pa55word!")
    # an update that does not touch the password leaves it alone
    again = P.update(created.id, upd.outs, {**news, "description": "again"})
    assert again.outs["pwdLastSet"] == upd.outs["pwdLastSet"]
    # out of band: disabled and the password reset by hand -> read reports it in words
    with client(samba_dc) as c:
        c.modify(created.id, {"userAccountControl": [(ldap3.MODIFY_REPLACE, ["514"])]})
        acc.set_password(c, created.id, "Third-Pa55word!")
    drift = P.read(created.id, again.outs)
    assert drift.inputs["enabled"] is False and drift.inputs["passwordNeverExpires"] is False
    assert drift.inputs["password"] == PASSWORD_CHANGED
    news2 = {**news, "description": "again"}
    d = P.diff(created.id, drift.outs, news2)
    assert d.changes and not d.replaces
    fixed = P.update(created.id, drift.outs, news2)
    assert fixed.outs["enabled"] is True and can_bind(samba_dc, inputs["upn"], "Second-Pa55word!")
    assert not P.diff(created.id, P.read(created.id, fixed.outs).outs, news2).changes
    # delete, and read sees it gone
    P.delete(created.id, fixed.outs)
    assert P.read(created.id, fixed.outs).id is None
    P.delete(created.id, fixed.outs)  # idempotent


def test_a_password_the_domain_refuses_names_the_key_and_leaves_nothing(samba_dc, inputs):
    weak = "Zq1x"
    with pytest.raises(InvalidValue) as exc:
        P.create({**inputs, "password": weak})
    msg = str(exc.value)
    assert msg.startswith("ndes:serviceAccount.password: the domain refused the password")
    assert "password is too short" in msg or "check_password_restrictions" in msg  # the domain's own reason
    assert weak not in msg
    assert P.find(P.parse(inputs)) is None


def test_an_spn_on_another_account_fails_naming_both(samba_dc, inputs, names):
    with client(samba_dc) as c:
        other = f"CN=oth{names['uid']},CN=Users,{samba_dc.domain_dn}"
        c.add(other, ["top", "person", "organizationalPerson", "user"],
              {"sAMAccountName": f"oth{names['uid']}", "servicePrincipalName": [f"HTTP/{names['host'].upper()}"]})
    with pytest.raises(Conflict) as exc:
        P.create(inputs)
    assert other in str(exc.value) and f"account '{names['name']}'" in str(exc.value)
    assert f"http/{names['host']}" in str(exc.value)
    assert P.find(P.parse(inputs)) is None


def test_adopt_takes_over_a_hand_built_account(samba_dc, inputs, names):
    with client(samba_dc) as c:
        dn = f"CN={names['name']},CN=Users,{samba_dc.domain_dn}"
        c.add(dn, ["top", "person", "organizationalPerson", "user"],
              {"sAMAccountName": names["name"], "description": "by hand"})
        sid = acc.find_principal(c, names["name"]).sid
    with pytest.raises(AlreadyExists, match="adopt"):
        P.create(inputs)
    res = P.create({**inputs, "adopt": True})
    assert res.outs["sid"] == sid and res.outs["description"] == "NDES test account"
    assert res.outs["enabled"] is True and can_bind(samba_dc, inputs["upn"], "First-Pa55word!")


def test_a_crashed_create_is_taken_back_by_its_owner(samba_dc, inputs):
    first = P.create(inputs)
    again = P.create(inputs)  # the engine never recorded the first: same owner mark, no adopt needed
    assert again.id == first.id
    with pytest.raises(AlreadyExists):
        P.create({**inputs, "owner": "ndes/other-stack/x"})


def test_a_wrong_bind_password_is_a_clear_error_and_creates_nothing(samba_dc, inputs):
    with pytest.raises(AccessDenied, match="invalid credentials") as exc:
        P.create({**inputs, "bindPassword": "not-the-password"})
    assert "not-the-password" not in str(exc.value)
    assert P.find(P.parse(inputs)) is None


def test_filter_values_are_escaped(samba_dc):
    with client(samba_dc) as c:
        assert acc.find_principal(c, "*") is None
        assert acc.find_principal(c, "x*)(cn=*") is None
        assert acc.find_principal(c, "Administrator)(|(cn=*") is None
        assert acc.find_principal(c, "Administrator").sid.endswith("-500")


def test_tls_is_verified_and_starttls_works(samba_dc):
    with client(samba_dc) as c:
        assert c.conn.server.ssl and c.domain_dn == samba_dc.domain_dn
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    import datetime as dt
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(x509.oid.NameOID.COMMON_NAME, "Not the lab CA")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(now).not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True).sign(key, hashes.SHA256()))
    with pytest.raises(Unavailable, match="caBundle"):
        DirectoryClient.connect(DirectorySettings(samba_dc.ldap_url, samba_dc.bind_user, samba_dc.bind_password,
                                                  ca_bundle=cert.public_bytes(serialization.Encoding.PEM).decode()))
    starttls = DirectorySettings(f"ldap://{samba_dc.host}:389", samba_dc.bind_user, samba_dc.bind_password,
                                 ca_bundle=Path(samba_dc.ca_bundle).read_text(), start_tls=True)
    with DirectoryClient.connect(starttls) as c:
        assert c.conn.tls_started and c.domain_dn == samba_dc.domain_dn


def test_searches_are_paged(samba_dc):
    from ndes.directory.client import PAGE_SIZE
    with client(samba_dc) as c:
        found = c.search(f"CN=Schema,{samba_dc.config_dn}", "(objectClass=attributeSchema)", "one", ["cn"])
    assert len(found) > PAGE_SIZE and len({e["dn"] for e in found}) == len(found)


def test_an_ou_change_moves_the_account_in_place(samba_dc, inputs, names):
    ou = f"OU=ndes-{names['uid']},{samba_dc.domain_dn}"
    with client(samba_dc) as c:
        c.add(ou, ["top", "organizationalUnit"], {})
    try:
        res = P.create(inputs)
        news = {**inputs, "ou": ou}
        assert P.diff(res.id, res.outs, news).replaces == []
        moved = P.update(res.id, res.outs, news)
        assert moved.outs["dn"] == f"CN={names['name']},{ou}" and moved.outs["sid"] == res.outs["sid"]
        assert moved.outs["ou"] == ou and not P.diff(moved.outs["dn"], P.read(moved.outs["dn"], moved.outs).outs,
                                                     news).changes
        P.delete(moved.outs["dn"], moved.outs)
    finally:
        with client(samba_dc) as c:
            c.delete(ou)
