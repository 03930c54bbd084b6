"""MachineCertificate against the simulator: the simulated CA issues only what the real lab Samba allows
(template issued, Enroll for NDES1$), from the template's validity; converge, drift, renewal, delete."""
from __future__ import annotations

import datetime as dt

import pytest
from cryptography import x509

from ndes.providers.base import AlreadyExists
from ndes.providers.machine_certificate import MachineCertificateProvider, x500_cn
from ndes.windows import ScriptFailed

from .conftest import CA1, NDES1
from .part2_lab import endpoint_props, ssl_template
from .provider_helpers import three_pass

pytestmark = pytest.mark.slow
P = MachineCertificateProvider()
EXT, INT = "ndes1-lab.msappproxy.net", "ndes1.lab.contoso.test"


def inputs(sim, template, **over) -> dict:
    res = P.check({}, {"endpoint": endpoint_props(sim, NDES1), "template": template.name,
                       "templateOid": template.oid, "commonName": EXT,
                       "dnsNames": [EXT, INT], "renewBeforeDays": 30, "owner": "tests/part2/ssl-cert",
                       "configKey": "ndes:sslCertificate", **over})
    assert not res.failures, res.failures
    return res.inputs


def store(sim) -> dict:
    return sim.read_state(NDES1).get("certStores", {}).get("LocalMachine\\My", {})


def test_issue_converge_read_drift_delete(sim, samba_dc):
    with ssl_template(samba_dc, validity="1 year") as tpl:
        inp = inputs(sim, tpl)
        created = three_pass(P, inp, sim, NDES1)
        out = created.outs
        assert created.id == out["thumbprint"] and out["commonName"] == EXT
        assert out["dnsNames"] == sorted([EXT, INT]) and out["template"] == tpl.name
        assert out["issuer"].startswith("CN=Lab Issuing CA") and out["subject"] == f"CN={EXT}"
        assert 364 <= out["daysLeft"] <= 365  # the template's validity (pKIExpirationPeriod), not a default
        cert = x509.load_pem_x509_certificate(store(sim)[created.id]["pem"].encode())
        eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        assert {o.dotted_string for o in eku} == {"1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"}
        assert store(sim)[created.id]["friendlyName"] == "pulumi:tests/part2/ssl-cert"

        again = P.update(created.id, out, inp)
        assert again.outs["thumbprint"] == created.id and len(store(sim)) == 1
        read = P.read(created.id, out)
        assert read.id == created.id and read.inputs["dnsNames"] == inp["dnsNames"]
        assert read.inputs["template"] == tpl.name and not P.diff(created.id, read.outs, inp).changes

        # a crashed create found its own certificate again (owner mark), no second request
        assert P.create(inp).id == created.id and len(store(sim)) == 1

        with sim.edit_state(NDES1) as st:  # drift: the certificate deleted in certlm.msc
            del st["certStores"]["LocalMachine\\My"][created.id]
        assert P.read(created.id, out).id is None
        new = P.create(inp)
        assert new.id != created.id
        P.delete(new.id, new.outs)
        assert new.id not in store(sim)
        P.delete(new.id, new.outs)


def test_names_and_renewal_are_replacements(sim, samba_dc):
    old = {"template": "T", "commonName": EXT, "dnsNames": [EXT, INT], "renewBeforeDays": 30,
           "notAfter": (dt.datetime.utcnow() + dt.timedelta(days=300)).strftime("%Y-%m-%dT%H:%M:%SZ")}
    assert P.diff("x", old, dict(old)).changes is False
    assert P.diff("x", old, {**old, "commonName": INT}).replaces == ["commonName"]
    assert P.diff("x", old, {**old, "dnsNames": [EXT]}).replaces == ["dnsNames"]
    renew = P.diff("x", old, {**old, "renewBeforeDays": 301})
    assert renew.changes and "renewBeforeDays" in renew.replaces and not renew.delete_before_replace
    due = {**old, "notAfter": (dt.datetime.utcnow() + dt.timedelta(days=10)).strftime("%Y-%m-%dT%H:%M:%SZ")}
    assert "renewBeforeDays" in P.diff("x", due, {**old}).replaces


def test_read_reports_other_names_on_the_certificate(sim, samba_dc):
    with ssl_template(samba_dc) as tpl:
        created = P.create(inputs(sim, tpl))
        other = P.create(inputs(sim, tpl, commonName=INT, dnsNames=[INT], owner="tests/part2/other"))
        # the same resource now reads a certificate with the other names: CN and SANs show as changed
        read = P.read(other.id, created.outs)
        assert read.inputs["commonName"] == INT and read.inputs["dnsNames"] == [INT]
        assert set(P.diff(other.id, read.outs, inputs(sim, tpl)).replaces) == {"commonName", "dnsNames"}


def test_the_key_is_as_long_as_configured_and_a_shorter_one_is_drift(sim, samba_dc):
    """ndes:sslCertificate.keySize reaches the request (the key in the store is that long, read from the DER);
    a certificate with a shorter key reads as a keySize change that replaces it, and is never adopted."""
    with ssl_template(samba_dc) as tpl:
        short = P.create(inputs(sim, tpl))  # keySize's default: 2048, what every certificate had before
        key = x509.load_pem_x509_certificate(store(sim)[short.id]["pem"].encode()).public_key()
        assert key.key_size == 2048 and short.outs["keySize"] == 2048
        longer = inputs(sim, tpl, keySize=3072)
        read = P.read(short.id, {**short.outs, "keySize": 3072})  # the admin raised keySize; state says 3072
        assert read.outs["keySize"] == 2048
        assert P.diff(short.id, read.outs, longer).replaces == ["keySize"]
        assert P.diff(short.id, short.outs, longer).replaces == ["keySize"]  # the change of keySize itself
        new = P.create(longer)  # the replacement: its own mark on the short one does not make that one match
        assert new.id != short.id and new.outs["keySize"] == 3072
        key = x509.load_pem_x509_certificate(store(sim)[new.id]["pem"].encode()).public_key()
        assert key.key_size == 3072
        assert not P.diff(new.id, P.read(new.id, new.outs).outs, longer).changes
        # a longer key than configured satisfies keySize: a lower keySize reads no drift
        assert P.read(new.id, {**new.outs, "keySize": 2048}).outs["keySize"] == 2048


def test_the_ca_refuses_what_samba_does_not_allow(sim, samba_dc, monkeypatch):
    from ndes.providers import machine_certificate as mod
    monkeypatch.setattr(mod, "TEMPLATE_WAIT_SECONDS", 0.0)  # a template never issued: no 10-minute wait for it
    with ssl_template(samba_dc, issue=False) as tpl:
        with pytest.raises(ScriptFailed, match="template is not supported by this CA"):
            P.create(inputs(sim, tpl))
    with ssl_template(samba_dc, principals=("NDES2$",)) as tpl:
        with pytest.raises(ScriptFailed, match="Denied by Policy Module.*NDES1\\$ has no Enroll"):
            P.create(inputs(sim, tpl))
    with ssl_template(samba_dc) as tpl:
        with sim.edit_state(CA1) as st:  # the CA service stopped
            from lab.winrm_sim import certstore
            certstore.certsvc(st)["service"]["status"] = "Stopped"
        with pytest.raises(ScriptFailed, match="RPC server is unavailable"):
            P.create(inputs(sim, tpl))
    assert store(sim) == {}


def test_a_hand_made_certificate_needs_adopt(sim, samba_dc):
    with ssl_template(samba_dc) as tpl:
        hand = P.create(inputs(sim, tpl, owner=""))
        with pytest.raises(AlreadyExists, match="adopt"):
            P.create(inputs(sim, tpl))
        assert P.create(inputs(sim, tpl, adopt=True)).id == hand.id


def test_the_simulated_store_holds_only_what_windows_holds(sim, samba_dc):
    """No side channel: the simulated certificate carries the template extension a Windows CA writes (the
    template's OID, major = revision, minor = msPKI-Template-Minor-Revision), and the store keeps nothing else
    about where the certificate came from."""
    from ndes.windows.certificates import template_info

    with ssl_template(samba_dc) as tpl:
        created = P.create(inputs(sim, tpl))
        entry = store(sim)[created.id]
        assert set(entry) == {"pem", "keyPem", "friendlyName"}
        info = template_info(x509.load_pem_x509_certificate(entry["pem"].encode()))
        assert info.oid == tpl.oid and info.major == 100 and info.minor is not None


def test_the_simulator_validates_the_scripts_contract(sim, endpoint):
    from ndes.windows import WindowsHost

    with pytest.raises(ScriptFailed, match="Cannot validate argument on parameter 'action'"):
        WindowsHost(endpoint).run_script("MachineCertificate", {"mode": "set", "action": "renew"})


def test_subject_escaping():
    assert x500_cn("a,b") == "CN=a\\,b" and x500_cn(" x") == "CN=\\ x" and x500_cn("plain.example") == "CN=plain.example"


def test_the_enrollment_waits_for_the_ca_to_pick_up_a_new_template(sim, samba_dc, monkeypatch):
    """A template just issued reaches the CA's template cache later (templateDelaySeconds); until then the CA
    answers 0x80094800 and the provider retries with backoff instead of failing the deploy."""
    from ndes.providers import machine_certificate as mod

    sim.knobs(templateDelaySeconds=2)
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        import time
        time.sleep(min(seconds, 1.0))

    monkeypatch.setattr(mod, "_sleep", sleep)
    with ssl_template(samba_dc) as tpl:
        created = P.create(inputs(sim, tpl))
        assert created.outs["template"] == tpl.name and slept  # refused at first, then issued
