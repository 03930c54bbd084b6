"""Two domain controllers: the lab DC (dc1, where the product writes) and a second real Samba DC joined to the
lab domain (dc2 on 127.0.0.2, standing for the DC the Enterprise CA or an Azure-joined NDES host reads), with
Samba's DRS replication on the lab's short schedule (lab.samba_replica). What a first `pulumi up` meets in a
multi-site forest: a write is not on the reader's DC yet; the product waits (bounded) until it is."""
from __future__ import annotations

import time
import uuid
from pathlib import Path

import pytest

from lab import samba_replica
from ndes.directory import DirectoryClient, DirectorySettings, NotFound
from ndes.directory import accounts as acc
from ndes.directory import issuance as iss
from ndes.directory import templates as tpl
from ndes.directory.replication import NotReplicated
from ndes.providers.certificate_template import CertificateTemplateProvider
from ndes.providers.service_account import ServiceAccountProvider
from ndes.providers.template_issuance import TemplateIssuanceProvider

pytestmark = pytest.mark.slow
CT, TI, SA = CertificateTemplateProvider(), TemplateIssuanceProvider(), ServiceAccountProvider()
INTERVAL = 3.0


@pytest.fixture(scope="module")
def dc2(samba_dc):
    info = samba_replica.up()
    try:
        yield info
    finally:
        samba_replica.down()


@pytest.fixture
def replication(dc2):
    rep = samba_replica.Replicator(INTERVAL).start()
    yield rep
    rep.stop()


def connect(dc) -> DirectoryClient:
    return DirectoryClient.connect(DirectorySettings(dc.ldap_url, dc.bind_user, dc.bind_password,
                                                     ca_bundle=dc.ca_bundle))


def props(dc, **extra) -> dict:
    return {"ldapUrl": dc.ldap_url, "bindUser": dc.bind_user, "bindPassword": dc.bind_password,
            "caBundle": Path(dc.ca_bundle).read_text(), **extra}


def template_inputs(dc, name: str, principals: list[str], **extra) -> dict:
    return CT.check({}, props(dc, kind="client", name=name, displayName=name, validity="1 year",
                              extendedKeyUsage=["clientAuth"], enrollPrincipals=principals, **extra)).inputs


def test_dc2_is_a_real_replica_that_lags_until_replication(samba_dc, dc2):
    with connect(dc2) as r:
        assert r.root_dse["attributes"]["dnsHostName"] in ("dc2.lab.contoso.test", ["dc2.lab.contoso.test"])
    name = f"repl-{uuid.uuid4().hex[:6]}"
    with connect(samba_dc) as w:
        dn = acc.create_user(w, f"CN=Users,{w.domain_dn}", name, f"{name}@lab.contoso.test", "", "First-Pa55word!",
                             0x200, None)
    with connect(dc2) as r:
        assert acc.find_principal(r, name) is None  # written on dc1, not on dc2 yet
    samba_replica.replicate_once("to_dc2")
    with connect(dc2) as r:
        assert acc.find_principal(r, name).dn == dn
    with connect(samba_dc) as w:
        w.delete(dn)


def test_without_reader_dcs_the_ca_s_dc_does_not_know_the_template_right_after_up(samba_dc, dc2):
    uid = uuid.uuid4().hex[:6]
    t = CT.create(template_inputs(samba_dc, f"T-Lag-{uid}", ["NDES1$"]))
    i = TI.create(TI.check({}, props(samba_dc, caCommonName=samba_dc.enterprise_ca_name,
                                     templateName=f"T-Lag-{uid}")).inputs)
    try:
        with connect(dc2) as r:  # what a CA reading dc2 sees: 0x80094800 for this template
            assert not iss.is_issued(r, samba_dc.enterprise_ca_name, f"T-Lag-{uid}")
            assert tpl.read_template(r, tpl.template_dn(r, f"T-Lag-{uid}")) is None
    finally:
        TI.delete(i.id, i.outs)
        CT.delete(t.id, t.outs)


def test_with_reader_dcs_a_write_returns_once_the_ca_s_dc_shows_it(samba_dc, dc2, replication):
    uid = uuid.uuid4().hex[:6]
    readers = {"readerUrls": [dc2.ldap_url], "replicationTimeout": 120}
    name = f"T-Wait-{uid}"
    t = CT.create(template_inputs(samba_dc, name, ["NDES1$"], **readers))
    started = time.monotonic()
    i = TI.create(TI.check({}, props(samba_dc, caCommonName=samba_dc.enterprise_ca_name, templateName=name,
                                     **readers)).inputs)
    waited = time.monotonic() - started
    try:
        with connect(dc2) as r:  # the CA's view agrees the moment the resource is done
            assert iss.is_issued(r, samba_dc.enterprise_ca_name, name)
            assert tpl.read_template(r, tpl.template_dn(r, name)) is not None
        # a round had begun (dc2 may show the write before that round's other direction returns)
        assert replication.begun >= 1 and not replication.errors, replication.errors
        print(f"issuance waited {waited:.1f}s for dc2")
        account = f"svc-w{uid}"
        a = SA.create(SA.check({}, props(samba_dc, name=account, upn=f"{account}@lab.contoso.test",
                                         password="First-Pa55word!", **readers)).inputs)
        with connect(dc2) as r:  # the NDES host's DC has the account when the host plane starts
            assert acc.find_principal(r, account) is not None
        SA.delete(a.id, a.outs)
    finally:
        TI.delete(i.id, i.outs)
        CT.delete(t.id, t.outs)


def test_a_principal_joined_through_the_other_dc_is_resolved_with_retry(samba_dc, dc2, replication):
    """NDES02$ joined through the Azure site's DC (dc2) reaches dc1 by replication: the Enroll grant waits for it."""
    uid = uuid.uuid4().hex[:6]
    computer = f"AZ{uid.upper()}"
    dn = f"CN={computer},CN=Computers,{samba_dc.domain_dn}"
    with connect(dc2) as r:
        r.add(dn, ["top", "person", "organizationalPerson", "user", "computer"],
              {"sAMAccountName": f"{computer}$", "userAccountControl": "4096",
               "dNSHostName": f"{computer.lower()}.lab.contoso.test"})
    with connect(samba_dc) as w:
        with pytest.raises(NotFound):
            acc.resolve_sid(w, f"{computer}$")  # not on the write DC yet
    t = CT.create(template_inputs(samba_dc, f"T-Az-{uid}", [f"{computer}$"], readerUrls=[dc2.ldap_url],
                                  replicationTimeout=120))
    try:
        assert len(t.outs["enrollSids"]) == 1
    finally:
        CT.delete(t.id, t.outs)
        with connect(samba_dc) as w:
            w.delete(dn)


def test_a_reader_that_does_not_catch_up_fails_bounded_naming_it(samba_dc, dc2):
    uid = uuid.uuid4().hex[:6]
    name = f"T-Stuck-{uid}"
    t = CT.create(template_inputs(samba_dc, name, ["NDES1$"]))
    inp = TI.check({}, props(samba_dc, caCommonName=samba_dc.enterprise_ca_name, templateName=name,
                             readerUrls=[dc2.ldap_url], replicationTimeout=4)).inputs
    try:
        with pytest.raises(NotReplicated, match="ldaps://127.0.0.2:636.*within 4s.*replicationTimeout"):
            TI.create(inp)  # no replication runs in this test
    finally:
        with connect(samba_dc) as w:
            iss.remove(w, samba_dc.enterprise_ca_name, name)
        CT.delete(t.id, t.outs)


def test_the_simulated_ca_reads_its_own_dc(samba_dc, dc2):
    """lab.winrm_sim's Enterprise CA reads dc2 once assigned to it: a template issued on dc1 is unknown to it
    (0x80094800 for a request) until replication brings it over."""
    from lab.winrm_sim import ca

    uid = uuid.uuid4().hex[:6]
    name = f"T-CaView-{uid}"
    t = CT.create(template_inputs(samba_dc, name, ["NDES1$"]))
    i = TI.create(TI.check({}, props(samba_dc, caCommonName=samba_dc.enterprise_ca_name, templateName=name)).inputs)
    view = ca.SambaView(samba_dc)
    try:
        samba_replica.assign_ca(True)
        conn = view.connect()
        try:
            assert name not in view.issued_templates(conn)
        finally:
            conn.unbind()
        samba_replica.replicate_once("to_dc2")
        conn = view.connect()
        try:
            assert name in view.issued_templates(conn)
        finally:
            conn.unbind()
    finally:
        samba_replica.assign_ca(False)
        TI.delete(i.id, i.outs)
        CT.delete(t.id, t.outs)
