"""NdesRole against the simulator's NDES host: the installer's refusals, install (RA certificates from the lab
CA with the RA details), a second converge with no change, drift, replace-only settings, uninstall."""
from __future__ import annotations

import datetime as dt

import pytest
from cryptography import x509

from lab.winrm_sim import certstore
from ndes.providers.base import AlreadyExists
from ndes.providers.ndes_role import INSTALL_TIME, NdesRoleProvider, replace_warning
from ndes.windows import ScriptFailed

from .conftest import NDES1
from .part2_lab import endpoint_props, ndes_role_props, prepare_ndes_host, service_account
from .provider_helpers import three_pass

pytestmark = pytest.mark.slow
P = NdesRoleProvider()


def inputs(sim, dc, account, password, **over) -> dict:
    res = P.check({}, {"endpoint": endpoint_props(sim, NDES1), "owner": "tests/part2/ndes-role",
                       "configKey": "ndes:ndesRole", **ndes_role_props(dc, account, password, **over)})
    assert not res.failures, res.failures
    return res.inputs


def test_install_converge_read_drift_uninstall(sim, samba_dc):
    with service_account(samba_dc) as (account, password, _sid):
        prepare_ndes_host(sim, NDES1, account)
        inp = inputs(sim, samba_dc, account, password)
        created = three_pass(P, inp, sim, NDES1)
        out = created.outs
        assert out["serviceAccount"] == account and out["raName"] == "NDES1-MSCEP-RA"
        assert {c["template"] for c in out["raCertificates"]} == {"EnrollmentAgentOffline", "CEPEncryption"}
        assert 728 <= out["raDaysLeft"] <= 730  # two years, then NDES stops
        not_after = dt.datetime.strptime(out["raNotAfter"], "%Y-%m-%dT%H:%M:%SZ")
        assert not_after > dt.datetime.utcnow() + dt.timedelta(days=700)
        st = sim.read_state(NDES1)
        assert st["iis"]["appPools"]["SCEP"]["userName"] == account
        ra = [e for e in st["certStores"]["LocalMachine\\My"].values() if certstore.template_of(e) in
              ("EnrollmentAgentOffline", "CEPEncryption")]
        assert len(ra) == 2 and all(e["keyPem"] for e in ra)
        subjects = {x509.load_pem_x509_certificate(e["pem"].encode()).subject.rfc4514_string() for e in ra}
        assert subjects == {"CN=NDES1-MSCEP-RA,O=Contoso Lab,C=US"}, subjects
        issuers = {x509.load_pem_x509_certificate(e["pem"].encode()).issuer.rfc4514_string() for e in ra}
        assert issuers == {"CN=Lab Issuing CA,O=NDES lab"}

        again = P.update(created.id, out, inp)
        assert again.outs["raCertificates"] == out["raCertificates"]  # nothing re-issued

        read = P.read(created.id, out)
        assert read.id == created.id
        for key in ("serviceAccount", "caConfig", "raName", "raCompany", "raCountry", "signingKeyLength",
                    "encryptionKeyLength", "signingProvider", "encryptionProvider"):
            assert read.inputs[key] == inp[key], key
        assert read.inputs["raEmail"] is None and inp["raEmail"] is None

        with sim.edit_state(NDES1) as s:  # drift: the app pool identity changed by hand
            s["iis"]["appPools"]["SCEP"]["userName"] = "LAB\\someone-else"
        refreshed = P.read(created.id, out)
        assert refreshed.inputs["serviceAccount"] == "LAB\\someone-else"
        diff = P.diff(created.id, refreshed.outs, inp)  # the next preview: a replace, back to the configured one
        assert diff.changes and diff.replaces == ["serviceAccount"]

        P.delete(created.id, out)
        assert P.read(created.id, out).id is None
        assert "SCEP" not in sim.read_state(NDES1)["iis"].get("appPools", {})
        left = sim.read_state(NDES1)["certStores"]["LocalMachine\\My"]
        assert not [e for e in left.values() if certstore.template_of(e) in ("EnrollmentAgentOffline", "CEPEncryption")]
        P.delete(created.id, out)  # gone is fine


def test_install_time_settings_replace_with_the_reason(sim, samba_dc):
    old = {"serviceAccount": "LAB\\svc", "raName": "NDES1-MSCEP-RA", "signingKeyLength": 2048}
    new = {**old, "raName": "Other RA", "signingKeyLength": 4096}
    d = P.diff("x", old, new)
    assert set(d.replaces) == {"raName", "signingKeyLength"} and d.delete_before_replace
    msg = replace_warning("NdesRole on ndes1", old, new)
    assert "changing the RA cert configs after installing the NDES server is not a supported scenario" in msg
    assert "raName 'NDES1-MSCEP-RA' -> 'Other RA'" in msg and "REPLACES" in msg
    assert replace_warning("x", old, dict(old)) is None and replace_warning("x", {}, new) is None
    assert "serviceAccountPassword" not in INSTALL_TIME  # a password change is not a reinstall


def test_the_installers_refusals(sim, samba_dc):
    with service_account(samba_dc) as (account, password, _sid):
        inp = inputs(sim, samba_dc, account, password)
        with pytest.raises(ScriptFailed, match="ADCS-Device-Enrollment feature is not installed"):
            P.create(inp)
        prepare_ndes_host(sim, NDES1)  # features, but the account is not in IIS_IUSRS
        with pytest.raises(ScriptFailed, match="not a member of the local IIS_IUSRS group"):
            P.create(inp)
        prepare_ndes_host(sim, NDES1, account)
        with pytest.raises(ScriptFailed, match="user name or password is incorrect") as info:
            P.create(inputs(sim, samba_dc, account, "Wrong-Passw0rd!"))
        assert "Wrong-Passw0rd!" not in str(info.value)
        with pytest.raises(ScriptFailed, match="could not be found in Active Directory"):
            P.create(inputs(sim, samba_dc, account, password, caConfig="ca9.lab.contoso.test\\Nope CA"))
        with pytest.raises(ScriptFailed, match="CryptoAPI"):
            P.create(inputs(sim, samba_dc, account, password,
                            signingProvider="Microsoft Software Key Storage Provider"))
        assert P.find(P.parse(inp)) is None  # nothing half-installed


def test_a_hand_built_ndes_needs_adopt(sim, samba_dc):
    with service_account(samba_dc) as (account, password, _sid):
        prepare_ndes_host(sim, NDES1, account)
        hand = inputs(sim, samba_dc, account, password, owner="")
        P.create(hand)  # installed without an owner mark: what a wizard install looks like
        with pytest.raises(AlreadyExists, match="adopt"):
            P.create(inputs(sim, samba_dc, account, password))
        adopted = P.create(inputs(sim, samba_dc, account, password, adopt=True))
        assert adopted.outs["notes"] == []
        drifted = P.create(inputs(sim, samba_dc, account, password, adopt=True, raName="Another RA"))
        assert any("not a supported scenario" in n for n in drifted.outs["notes"])


def test_a_half_finished_install_reads_as_gone_and_is_repaired(sim, samba_dc):
    """A failed install leaves parts (here: the MSCEP key and RA certificates, no SCEP pool, no application):
    that is not NDES. Refresh drops it; the next up uninstalls and installs again."""
    with service_account(samba_dc) as (account, password, _sid):
        prepare_ndes_host(sim, NDES1, account)
        inp = inputs(sim, samba_dc, account, password)
        created = P.create(inp)
        with sim.edit_state(NDES1) as s:  # what an interrupted Install-AdcsNetworkDeviceEnrollmentService leaves
            del s["iis"]["appPools"]["SCEP"]
            s["iis"]["sites"]["Default Web Site"]["applications"].pop("/CertSrv/mscep")
        assert P.read(created.id, created.outs).id is None
        again = P.create(inp)  # our owner mark is still there: taken back, repaired
        assert any("half-configured" in n for n in again.outs["notes"])
        st = sim.read_state(NDES1)
        assert st["iis"]["appPools"]["SCEP"]["userName"] == account
        assert "/CertSrv/mscep" in st["iis"]["sites"]["Default Web Site"]["applications"]
        assert P.read(created.id, again.outs).id == created.id


def test_an_install_that_outlasts_the_clients_wait_is_left_to_finish_and_polled(sim, samba_dc, monkeypatch):
    """Issue 13 item 5: the client stops waiting for a long install but never terminates it (that would leave NDES
    half-configured); it polls the host until NDES is configured, and the same for the uninstall."""
    with service_account(samba_dc) as (account, password, _sid):
        prepare_ndes_host(sim, NDES1, account)
        inp = inputs(sim, samba_dc, account, password, endpoint={**endpoint_props(sim, NDES1), "operationTimeout": 5},
                     timeoutSeconds=2)  # the install outlasts the client's wait
        sim.slow(NDES1, 8)  # the install's set-mode run takes 8 s
        created = P.create(inp)
        assert {c["template"] for c in created.outs["raCertificates"]} == {"EnrollmentAgentOffline", "CEPEncryption"}
        assert any("outlasted the client's wait" in n for n in created.outs["notes"])
        st = sim.read_state(NDES1)
        assert st["iis"]["appPools"]["SCEP"]["userName"] == account
        assert "/CertSrv/mscep" in st["iis"]["sites"]["Default Web Site"]["applications"]

        sim.slow(NDES1, 8)  # the uninstall too
        P.delete(created.id, created.outs)
        st = sim.read_state(NDES1)
        assert "SCEP" not in st["iis"].get("appPools", {})
        assert not [e for e in st["certStores"]["LocalMachine\\My"].values()
                    if certstore.template_of(e) in ("EnrollmentAgentOffline", "CEPEncryption")]


def test_the_install_waits_while_the_ca_does_not_offer_the_ra_templates(sim, samba_dc, monkeypatch):
    """Issue 13 item 8: the installer publishes EnrollmentAgentOffline and CEPEncryption on the CA and enrolls them
    at once; until the CA's template cache offers them it refuses (0x80094800), and the install waits with bounded
    backoff instead of failing the deploy."""
    import time
    from ndes.providers import ndes_role
    from .conftest import CA1

    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        time.sleep(min(seconds, 1.0))

    monkeypatch.setattr(ndes_role, "_sleep", sleep)
    with sim.edit_state(CA1) as st:  # not published on this CA yet (as after certutil -SetCATemplates -<name>)
        certstore.certsvc(st).pop("shippedTemplates", None)
    sim.knobs(templateDelaySeconds=2)
    try:
        with service_account(samba_dc) as (account, password, _sid):
            prepare_ndes_host(sim, NDES1, account)
            created = P.create(inputs(sim, samba_dc, account, password))
            assert slept  # refused at first, then installed
            assert {c["template"] for c in created.outs["raCertificates"]} == {"EnrollmentAgentOffline",
                                                                             "CEPEncryption"}
            assert set(sim.read_state(CA1)["certsvc"]["shippedTemplates"]) == {"EnrollmentAgentOffline",
                                                                              "CEPEncryption"}
            P.delete(created.id, created.outs)
    finally:
        sim.knobs(templateDelaySeconds=0)
