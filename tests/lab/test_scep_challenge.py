"""Intune's SCEP challenges in the Graph simulator (lab/graph_sim/scep_challenge.py), through its route as the
HTTP server calls it: profile variables resolved for a device, one use, expiry, the profile's subject and SANs
enforced on the CSR, answers only to a registered connector that signs its request."""
from __future__ import annotations

import base64
import datetime as dt
import json

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from lab.graph_sim import scep_challenge as sc
from tests.certs import self_signed
from lab.graph_sim.state import State

PROFILE = {"id": "p-1", "@odata.type": "#microsoft.graph.iosScepCertificateProfile", "keyUsage":
           "keyEncipherment,digitalSignature", "keySize": "size2048", "subjectNameFormat": "custom",
           "subjectNameFormatString": "CN={{UserPrincipalName}},OU={{DeviceName}}",
           "customSubjectAlternativeNames": [{"sanType": "userPrincipalName", "name": "{{UserPrincipalName}}"},
                                             {"sanType": "emailAddress", "name": "{{EmailAddress}}"}],
           "scepServerUrls": ["https://ndes1-lab.msappproxy.net/certsrv/mscep/mscep.dll"]}
DEVICE = {"upn": "alice@lab.contoso.test", "deviceName": "PHONE-1", "email": "alice@contoso.test"}


@pytest.fixture
def state(tmp_path) -> State:
    st = State(tmp_path / "state.json")
    st.data["deviceConfigurations"]["p-1"] = dict(PROFILE)
    return st


@pytest.fixture
def connector():
    k = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = self_signed("ndes1.lab.contoso.test", k, days=30)
    return cert, k


def call(state, method, path, doc=None, signer=None):
    raw = json.dumps(doc).encode() if doc is not None else b""
    headers = {}
    if signer is not None:
        cert, k = signer
        headers = {sc.CERT_HEADER: base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode(),
                   sc.SIG_HEADER: base64.b64encode(k.sign(raw, padding.PKCS1v15(), hashes.SHA256())).decode()}
    return sc.route(state, method, path, raw, headers)


def register(state, connector):
    der = connector[0].public_bytes(serialization.Encoding.DER)
    status, out = call(state, "POST", "/lab/intune/connectors",
                       {"certificate": base64.b64encode(der).decode(), "hostName": "ndes1"})
    assert status == 201
    return out["thumbprint"]


def csr(subject: list[tuple], sans: list[x509.GeneralName]) -> str:
    k = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    b = x509.CertificateSigningRequestBuilder().subject_name(x509.Name([x509.NameAttribute(o, v) for o, v in subject]))
    if sans:
        b = b.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    return base64.b64encode(b.sign(k, hashes.SHA256()).public_bytes(serialization.Encoding.DER)).decode()


GOOD_SUBJECT = [(NameOID.COMMON_NAME, "alice@lab.contoso.test"), (NameOID.ORGANIZATIONAL_UNIT_NAME, "PHONE-1")]
GOOD_SANS = [x509.OtherName(sc.UPN_OID, b"\x0c\x16alice@lab.contoso.test"), x509.RFC822Name("alice@contoso.test")]


def test_challenge_resolves_the_profile_for_the_device(state):
    status, ch = call(state, "POST", "/lab/intune/scepChallenges", {"profileId": "p-1", "device": DEVICE})
    assert status == 201
    assert ch["subject"] == "CN=alice@lab.contoso.test,OU=PHONE-1"
    assert ch["subjectAlternativeNames"] == [{"type": "upn", "value": "alice@lab.contoso.test"},
                                             {"type": "email", "value": "alice@contoso.test"}]
    assert ch["scepServerUrls"] == PROFILE["scepServerUrls"]
    assert ch["challenge"] not in json.dumps(state.data)  # kept as a digest only

    assert call(state, "POST", "/lab/intune/scepChallenges", {"profileId": "nope", "device": DEVICE})[0] == 404
    status, out = call(state, "POST", "/lab/intune/scepChallenges", {"profileId": "p-1", "device": {"upn": "a@b"}})
    assert status == 400 and "{{DeviceName}}" in out["error"]


def test_validation_once_bound_to_the_profile_and_the_csr(state, connector, monkeypatch):
    register(state, connector)
    ch = call(state, "POST", "/lab/intune/scepChallenges", {"profileId": "p-1", "device": DEVICE})[1]

    def validate(challenge, request):
        return call(state, "POST", "/lab/intune/scepChallenges/validate",
                    {"challenge": challenge, "csr": request, "transactionId": "t1"}, signer=connector)

    status, out = validate(ch["challenge"], csr([(NameOID.COMMON_NAME, "mallory")], GOOD_SANS))
    assert status == 200 and not out["valid"] and "subject 'CN=mallory'" in out["reason"]
    status, out = validate(ch["challenge"], csr(GOOD_SUBJECT, GOOD_SANS[:1]))
    assert not out["valid"] and "subject alternative names" in out["reason"]
    assert not validate("made-up", csr(GOOD_SUBJECT, GOOD_SANS))[1]["valid"]

    status, out = validate(ch["challenge"], csr(GOOD_SUBJECT, GOOD_SANS))
    assert out["valid"] and out["profile"]["id"] == "p-1"
    assert out["profile"]["keyUsage"] == ["keyEncipherment", "digitalSignature"]
    again = validate(ch["challenge"], csr(GOOD_SUBJECT, GOOD_SANS))[1]
    assert not again["valid"] and "already used" in again["reason"]

    # the connector's outcome report lands on the request
    assert call(state, "POST", "/lab/intune/scepChallenges/notify",
                {"transactionId": "t1", "status": "success", "thumbprint": "AB"}, signer=connector)[0] == 204
    reqs = call(state, "GET", "/lab/intune/scepRequests")[1]["value"]
    assert [r["status"] for r in reqs] == ["rejected", "rejected", "rejected", "issued", "rejected"]

    start = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)  # the simulated tenant's clock, moved by the test
    clock = [start]
    monkeypatch.setattr(sc, "_now", lambda: clock[0])
    short = call(state, "POST", "/lab/intune/scepChallenges", {"profileId": "p-1", "device": DEVICE,
                                                              "ttlSeconds": 2})[1]
    clock[0] = start + dt.timedelta(seconds=2)  # at its expiry second: still good
    kept = call(state, "POST", "/lab/intune/scepChallenges", {"profileId": "p-1", "device": DEVICE,
                                                             "ttlSeconds": 2})[1]
    assert validate(short["challenge"], csr(GOOD_SUBJECT, GOOD_SANS))[1]["valid"]
    clock[0] = start + dt.timedelta(seconds=4, microseconds=1)
    assert "expired" in validate(kept["challenge"], csr(GOOD_SUBJECT, GOOD_SANS))[1]["reason"]

    gone = call(state, "POST", "/lab/intune/scepChallenges", {"profileId": "p-1", "device": DEVICE})[1]
    del state.data["deviceConfigurations"]["p-1"]
    assert "no longer exists" in validate(gone["challenge"], csr(GOOD_SUBJECT, GOOD_SANS))[1]["reason"]


def test_only_a_registered_connector_that_signs_is_answered(state, connector):
    ch = call(state, "POST", "/lab/intune/scepChallenges", {"profileId": "p-1", "device": DEVICE})[1]
    doc = {"challenge": ch["challenge"], "csr": csr(GOOD_SUBJECT, GOOD_SANS)}
    status, out = call(state, "POST", "/lab/intune/scepChallenges/validate", doc, signer=connector)
    assert status == 403 and "not registered" in out["error"]
    assert call(state, "POST", "/lab/intune/scepChallenges/validate", doc)[0] == 403  # unsigned

    thumb = register(state, connector)
    impostor = (connector[0], rsa.generate_private_key(public_exponent=65537, key_size=2048))
    status, out = call(state, "POST", "/lab/intune/scepChallenges/validate", doc, signer=impostor)
    assert status == 403 and "not signed" in out["error"]
    assert call(state, "POST", "/lab/intune/scepChallenges/validate", doc, signer=connector)[1]["valid"]

    assert call(state, "DELETE", f"/lab/intune/connectors/{thumb}")[0] == 204
    assert call(state, "POST", "/lab/intune/scepChallenges/validate", doc, signer=connector)[0] == 403
