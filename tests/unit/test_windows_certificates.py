"""Certificates are judged in Python from their DER: the template by the OID in its template extension (as a
Windows CA writes it), never by the display name Windows formats; the MachineCertificate provider keeps a
certificate whose template extension names the configured template's OID, on every later run."""
from __future__ import annotations

import base64
import datetime as dt

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import ObjectIdentifier

from lab.winrm_sim import ca
from ndes.providers.machine_certificate import (MachineCertificateInputs, MachineCertificateProvider, live_key_size,
                                               live_template, wanted)
from ndes.windows.certificates import decode, template_info
from ndes.windows.contracts.machine_certificate import CertificateFacts

OID = "1.3.6.1.4.1.311.21.8.4929184.2355431.10227145.14556837.11281394.172.25016473.60431213"
EXT, INT = "ndes1-lab.msappproxy.net", "ndes1.lab.contoso.test"


def issued(oid: str | None = OID, names=(EXT, INT), v1_name: str | None = None, major: int = 100,
           minor: int = 3, bits: int = 2048) -> x509.Certificate:
    """A certificate signed by the lab's issuing CA with the extensions a Windows Enterprise CA writes."""
    extra = []
    if oid:
        extra.append(ca._unrecognized(ca.TEMPLATE_INFO_V2_OID, ca._template_v2_ext(oid, major, minor)))
    if v1_name:
        extra.append(ca._unrecognized(ca.TEMPLATE_NAME_V1_OID, ca._bmp(v1_name)))
    key = ca.new_key(bits)
    return ca._sign(ca._cn_subject(names[0]), key.public_key(), dt.timedelta(days=365), sans=list(names),
                    ku=b"\xa0\x00", ekus=["1.3.6.1.5.5.7.3.1"], extra=extra)


def facts(cert: x509.Certificate, friendly: str = "", key: bool = True) -> CertificateFacts:
    return CertificateFacts(thumbprint=ca.thumbprint(cert), der_base64=base64.b64encode(
        cert.public_bytes(Encoding.DER)).decode(), subject=ca.windows_subject(cert.subject),
        issuer=ca.windows_subject(cert.issuer), friendly_name=friendly, has_private_key=key)


def test_the_template_extension_is_decoded_from_the_der():
    info = template_info(issued())
    assert (info.oid, info.major, info.minor) == (OID, 100, 3)
    assert template_info(issued(oid=None)) is None
    c = decode(facts(issued(oid=None, v1_name="WebServer")))
    assert c.template is None and c.template_name == "WebServer"
    big = template_info(issued(major=4294967295, minor=0))
    assert big.major == 4294967295 and big.minor == 0


def test_an_extension_with_only_the_oid_is_read():
    oid = ObjectIdentifier("1.3.6.1.4.1.311.21.7")
    body = ca._oid_der(OID)
    cert = issued(oid=None)
    der_ext = x509.UnrecognizedExtension(oid, b"\x30" + ca._der_len(len(body)) + body)
    key = ca.new_key(2048)
    only = ca._sign(cert.subject, key.public_key(), dt.timedelta(days=30), sans=[EXT], ku=b"\xa0\x00", ekus=[],
                    extra=[x509.Extension(oid, False, der_ext)])
    assert template_info(only).oid == OID and template_info(only).major is None


def test_names_dates_and_key_come_from_the_certificate():
    c = decode(facts(issued(names=(EXT.upper(), INT)), key=False))
    assert c.common_name == EXT.upper() and c.dns_names == sorted([EXT, INT])
    assert 364 <= c.days_left() <= 365 and c.has_private_key is False
    assert c.issuer.startswith("CN=Lab Issuing CA")


def inputs(**over) -> MachineCertificateInputs:
    return MachineCertificateInputs.model_validate({
        "endpoint": {"host": "ndes1", "url": "https://ndes1:5986/wsman", "username": "u", "password": "p"},
        "template": "NDES-SSL", "templateOid": OID, "commonName": EXT, "dnsNames": [EXT, INT],
        "owner": "p/s/ssl", **over})


def test_the_live_template_is_the_configured_name_only_when_the_oid_matches():
    inp = inputs()
    assert live_template(inp, decode(facts(issued()))) == "NDES-SSL"
    other = OID.rsplit(".", 1)[0] + ".1"
    assert live_template(inp, decode(facts(issued(oid=other)))) == other  # the diff shows another template
    assert live_template(inp, decode(facts(issued(oid=None, v1_name="WebServer")))) == "WebServer"
    assert live_template(inp, decode(facts(issued(oid=None)))) == ""


def test_a_key_shorter_than_keysize_is_drift_and_a_longer_one_satisfies_it():
    """The key size is read from the DER (never a Windows string): in the admin's words it is the configured
    keySize when the key is at least that long, else the key's own size, which the diff shows (a replace)."""
    short, longer = decode(facts(issued())), decode(facts(issued(bits=3072)))
    assert short.key_size == 2048 and longer.key_size == 3072
    assert live_key_size(inputs(keySize=3072), short) == 2048 and not wanted(inputs(keySize=3072), short)
    assert live_key_size(inputs(keySize=3072), longer) == 3072 and wanted(inputs(keySize=3072), longer)
    assert live_key_size(inputs(), longer) == 2048 and wanted(inputs(), longer)  # keySize 2048 by default
    with pytest.raises(ValueError, match="RSA key size"):
        inputs(keySize=1024)


@pytest.mark.parametrize("days", [0, 366])
def test_renew_before_days_has_the_bounds_of_ndes_ssl_certificate(days):
    """One declaration (host_fields.SslKeySettings): the inputs refuse what ndes:sslCertificate.renewBeforeDays
    refuses (0 would never renew; over a year renews a one-year certificate on every up)."""
    from ndes.model.config_hosts import SslCertificateConfig
    with pytest.raises(ValueError, match="renewBeforeDays"):
        SslCertificateConfig(renewBeforeDays=days)
    assert [f.property for f in MachineCertificateProvider().check({}, inputs(renewBeforeDays=30).wire()
                                                                   | {"renewBeforeDays": days}).failures] == ["renewBeforeDays"]


def test_a_bad_oid_input_is_refused():
    with pytest.raises(ValueError, match="not an OID"):
        inputs(templateOid="NDES SSL certificate")


class FakeHost:
    """MachineCertificate.ps1's contract over an in-memory LocalMachine\\My (facts only, as Windows gives them)."""

    def __init__(self, certs: list[CertificateFacts]) -> None:
        self.store = {c.thumbprint: c for c in certs}
        self.enrolled = 0

    def run_script(self, name, params, *, timeout=None):
        assert name == "MachineCertificate"
        cert = self.store.get(params["thumbprint"])
        if params["mode"] == "set" and params["action"] == "enroll":
            new = facts(issued(names=tuple(params["dnsNames"])), params["friendlyName"])
            self.store[new.thumbprint] = new
            cert, self.enrolled = new, self.enrolled + 1
        elif params["mode"] == "set" and params["action"] == "mark":
            cert = self.store[params["thumbprint"]] = cert.model_copy(update={"friendly_name": params["friendlyName"]})
        state = {"certificate": cert.wire() if cert else None,
                 "store": [c.wire() for c in self.store.values()] if params["listStore"] else []}
        return {"changed": False, "state": state, "rebootRequired": False, "warnings": []}


def test_a_second_up_keeps_the_certificate_and_plans_no_replace(monkeypatch):
    """The defect: the template read back as Windows' display name made every diff replace the certificate."""
    from ndes.providers import machine_certificate as mod

    host = FakeHost([])
    monkeypatch.setattr(mod, "host_of", lambda _inp: host)
    p = MachineCertificateProvider()
    news = p.check({}, inputs().wire()).inputs
    created = p.create(news)
    assert host.enrolled == 1 and created.outs["template"] == "NDES-SSL"
    read = p.read(created.id, created.outs)
    assert read.outs["template"] == "NDES-SSL" and read.outs["dnsNames"] == sorted([EXT, INT])
    assert not p.diff(created.id, read.outs, news).changes
    assert p.create(news).id == created.id and host.enrolled == 1  # crash recovery finds its own (owner mark)


def read_back(monkeypatch, cert: CertificateFacts):
    """The provider over a host holding `cert`, the checked default inputs, and what read reports of `cert`."""
    from ndes.providers import machine_certificate as mod

    host = FakeHost([cert])
    monkeypatch.setattr(mod, "host_of", lambda _inp: host)
    p = MachineCertificateProvider()
    news = p.check({}, inputs().wire()).inputs
    return p, news, p.read(cert.thumbprint, {**news, "thumbprint": cert.thumbprint})


def test_a_short_key_read_back_is_a_replace_whose_state_still_loads(monkeypatch):
    """The defect: read records a hand-made certificate's 1024-bit key as keySize 1024 (drift that a replace
    fixes), and that state did not load any more (keySize is an RSA size one may declare): the next refresh and
    the delete of the old certificate in the replace failed. State loads as recorded (field_rules.RECORDED);
    a declared 1024 is still refused."""
    cert = facts(issued(bits=1024), "pulumi:p/s/ssl")
    p, news, read = read_back(monkeypatch, cert)
    assert read.outs["keySize"] == 1024 and "keySize" in p.diff(cert.thumbprint, read.outs, news).replaces
    assert p.read(cert.thumbprint, read.outs).outs["keySize"] == 1024  # a second refresh
    p.delete(cert.thumbprint, read.outs)  # the replace's delete of the old certificate
    assert [f.property for f in p.check({}, {**news, "keySize": 1024}).failures] == ["keySize"]


def test_a_certificate_from_another_template_is_a_replace(monkeypatch):
    other = OID.rsplit(".", 1)[0] + ".9"
    cert = facts(issued(oid=other), "pulumi:p/s/ssl")
    p, news, read = read_back(monkeypatch, cert)
    assert read.outs["template"] == other
    assert p.diff(cert.thumbprint, read.outs, news).replaces == ["template"]
    assert p.find(p.parse(news)) is None  # not adoptable as this template's certificate


def test_an_adopted_hand_made_certificate_is_marked_not_replaced(monkeypatch):
    from ndes.providers import machine_certificate as mod

    hand = facts(issued())
    host = FakeHost([hand])
    monkeypatch.setattr(mod, "host_of", lambda _inp: host)
    p = MachineCertificateProvider()
    news = p.check({}, inputs(adopt=True).wire()).inputs
    created = p.create(news)
    assert created.id == hand.thumbprint and host.enrolled == 0
    from ndes.providers import generation as gen
    marked = host.store[hand.thumbprint].friendly_name
    assert marked.startswith("pulumi:") and gen.owner_of(marked[len("pulumi:"):]) == "p/s/ssl"


class PropagatingHost(FakeHost):
    """The CA offers the template only after `refusals` requests (AD replication, the CA's template cache)."""

    def __init__(self, refusals: int) -> None:
        super().__init__([])
        self.refusals = refusals

    def run_script(self, name, params, *, timeout=None):
        from ndes.windows import ScriptFailed
        if params["mode"] == "set" and params["action"] == "enroll" and self.refusals > 0:
            self.refusals -= 1
            raise ScriptFailed(name, "ndes1", "CertEnroll::CX509Enrollment::Enroll: The requested certificate "
                               "template is not supported by this CA. 0x80094800 (-2146875392 "
                               "CERTSRV_E_UNSUPPORTED_CERT_TYPE)", "InvalidArgument")
        return super().run_script(name, params, timeout=timeout)


def test_enrollment_waits_while_the_ca_does_not_offer_the_template_yet(monkeypatch):
    from ndes.providers import machine_certificate as mod

    slept: list[float] = []
    monkeypatch.setattr(mod, "_sleep", slept.append)
    host = PropagatingHost(refusals=3)
    monkeypatch.setattr(mod, "host_of", lambda _inp: host)
    p = MachineCertificateProvider()
    created = p.create(p.check({}, inputs().wire()).inputs)
    assert created.outs["template"] == "NDES-SSL" and host.enrolled == 1
    assert slept == [5.0, 10.0, 20.0]  # bounded exponential backoff


def test_enrollment_gives_up_after_the_wait_budget_naming_the_config_key(monkeypatch):
    from ndes.providers import machine_certificate as mod
    from ndes.windows import ScriptFailed

    slept: list[float] = []
    monkeypatch.setattr(mod, "_sleep", slept.append)
    monkeypatch.setattr(mod, "host_of", lambda _inp: PropagatingHost(refusals=10**6))
    p = MachineCertificateProvider()
    with pytest.raises(ScriptFailed, match="still did not offer template NDES-SSL after 600 s.*ndes:templates.ssl"):
        p.create(p.check({}, inputs().wire()).inputs)
    assert sum(slept) == 600.0 and max(slept) == 60.0


def test_a_certificate_from_a_crashed_create_is_taken_back_whatever_its_generation(monkeypatch):
    """A create killed after the enrollment left a certificate marked with ITS generation; the rerun's create
    (another generation) takes that certificate back instead of enrolling a second one."""
    from ndes.providers import machine_certificate as mod

    crashed = facts(issued(), "pulumi:p/s/ssl#0123456789ab")
    host = FakeHost([crashed])
    monkeypatch.setattr(mod, "host_of", lambda _inp: host)
    p = MachineCertificateProvider()
    created = p.create(p.check({}, inputs().wire()).inputs)
    assert created.id == crashed.thumbprint and host.enrolled == 0
