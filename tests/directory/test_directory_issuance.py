"""TemplateIssuance against the lab's real Samba: issue, read, drift (removed by hand -> issued: false), repair,
delete removes only its own name; a name issued by hand needs adopt unless this stack made the template."""
from __future__ import annotations

import uuid
from pathlib import Path

import ldap3
import pytest

from ndes.directory import DirectoryClient, DirectorySettings, NotFound
from ndes.directory import issuance as iss
from ndes.providers.base import AlreadyExists
from ndes.providers.certificate_template import CertificateTemplateProvider
from ndes.providers.template_issuance import TemplateIssuanceProvider

pytestmark = pytest.mark.slow
P = TemplateIssuanceProvider()
T = CertificateTemplateProvider()


def conn_props(dc) -> dict:
    return {"ldapUrl": dc.ldap_url, "bindUser": dc.bind_user, "bindPassword": dc.bind_password,
            "caBundle": Path(dc.ca_bundle).read_text()}


def client(dc) -> DirectoryClient:
    return DirectoryClient.connect(DirectorySettings(dc.ldap_url, dc.bind_user, dc.bind_password,
                                                     ca_bundle=dc.ca_bundle))


def issued(dc) -> list[str]:
    with client(dc) as c:
        return iss.issued_templates(c, dc.enterprise_ca_name)


@pytest.fixture
def template(samba_dc):
    uid = uuid.uuid4().hex[:8]
    name = f"T-Iss-{uid}"
    inp = T.check({}, {**conn_props(samba_dc), "kind": "client", "name": name, "displayName": name,
                       "validity": "1 year", "extendedKeyUsage": ["clientAuth"], "enrollPrincipals": ["NDES1$"],
                       "owner": f"ndes/test-{uid}/tpl"}).inputs
    res = T.create(inp)
    other = f"Other-{uid}"
    with client(samba_dc) as c:
        c.modify(samba_dc.enrollment_service_dn, {"certificateTemplates": [(ldap3.MODIFY_ADD, [other])]})
    yield name, other, uid
    with client(samba_dc) as c:
        for n in (name, other):
            iss.remove(c, samba_dc.enterprise_ca_name, n)
    T.delete(res.id, res.outs)


def inputs(dc, name: str, owner: str) -> dict:
    res = P.check({}, {**conn_props(dc), "caCommonName": dc.enterprise_ca_name, "templateName": name,
                       "owner": owner, "configKey": "ndes:ca.commonName"})
    assert res.failures == []
    return res.inputs


def test_issue_read_drift_repair_delete(samba_dc, template):
    name, other, uid = template
    inp = inputs(samba_dc, name, "ndes/elsewhere/x")  # the name is not issued yet: no adopt needed
    res = P.create(inp)
    assert res.outs["issued"] is True and res.id == f"{samba_dc.enterprise_ca_name}/{name}"
    assert res.outs["enrollmentServiceDn"].lower() == samba_dc.enrollment_service_dn.lower()
    assert name in issued(samba_dc) and other in issued(samba_dc)
    read = P.read(res.id, res.outs)
    assert read.inputs["issued"] is True and not P.diff(res.id, read.outs, inp).changes
    P.update(res.id, read.outs, inp)
    assert issued(samba_dc).count(name) == 1  # once
    # removed by hand: read says issued: false, the next converge issues it again
    with client(samba_dc) as c:
        c.modify(samba_dc.enrollment_service_dn, {"certificateTemplates": [(ldap3.MODIFY_DELETE, [name])]})
    drift = P.read(res.id, read.outs)
    assert drift.id == res.id and drift.inputs["issued"] is False
    assert P.diff(res.id, drift.outs, inp).changes
    P.update(res.id, drift.outs, inp)
    assert name in issued(samba_dc)
    # delete removes only this name
    P.delete(res.id, res.outs)
    now = issued(samba_dc)
    assert name not in now and other in now
    P.delete(res.id, res.outs)  # idempotent


def test_a_name_issued_by_hand_needs_adopt_unless_this_stack_made_the_template(samba_dc, template):
    name, other, uid = template
    with client(samba_dc) as c:
        iss.add(c, samba_dc.enterprise_ca_name, name)
    with pytest.raises(AlreadyExists, match="adopt"):
        P.create(inputs(samba_dc, name, "ndes/some-other-stack/issuance"))
    # the template carries this stack's owner mark (ndes/test-<uid>/...): a crashed create is taken back
    res = P.create(inputs(samba_dc, name, f"ndes/test-{uid}/issuance"))
    assert res.outs["issued"] is True
    res = P.create({**inputs(samba_dc, name, "ndes/some-other-stack/issuance"), "adopt": True})
    assert res.outs["issued"] is True


def test_a_template_that_does_not_exist_is_not_issued(samba_dc):
    before = issued(samba_dc)
    with pytest.raises(NotFound, match="does not exist"):
        P.create(inputs(samba_dc, f"T-Missing-{uuid.uuid4().hex[:8]}", "ndes/test/x"))
    assert issued(samba_dc) == before


def test_a_wrong_ca_name_is_a_clear_error(samba_dc, template):
    name, _, _ = template
    inp = {**inputs(samba_dc, name, "ndes/test/x"), "caCommonName": "No Such CA"}
    with pytest.raises(NotFound, match="No Such CA.*ca.commonName"):
        P.create(inp)


def test_a_hostile_template_name_is_issued_and_removed_exactly(samba_dc):
    name = 'x*)(cn=*,T+"q";<>#' + uuid.uuid4().hex[:6]
    t_in = T.check({}, {**conn_props(samba_dc), "kind": "client", "name": name, "displayName": "hostile",
                        "validity": "1 year", "extendedKeyUsage": ["clientAuth"]}).inputs
    t = T.create(t_in)
    before = issued(samba_dc)
    try:
        res = P.create(inputs(samba_dc, name, "ndes/test/hostile"))
        assert res.outs["issued"] is True and issued(samba_dc) == before + [name]
        P.delete(res.id, res.outs)
        assert issued(samba_dc) == before
    finally:
        T.delete(t.id, t.outs)
