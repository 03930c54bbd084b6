"""SCEP's CMS in the lab NDES (lab/winrm_sim/scep_cms.py) with Python-built PKCSReqs, checked against OpenSSL
where it can read them, and PKIOperation's refusals that need no server (lab/winrm_sim/scep_pkiop.py)."""
from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path

import pytest
from asn1crypto import algos, cms, core
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import AttributeOID, NameOID

from lab.winrm_sim import ca, certstore, hostmodel, scep_cms, scep_pkiop

KEYS: dict[str, rsa.RSAPrivateKey] = {}


def key(name: str) -> rsa.RSAPrivateKey:
    if name not in KEYS:
        KEYS[name] = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return KEYS[name]


def self_signed(cn: str, k: rsa.RSAPrivateKey) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    now = dt.datetime.now(dt.timezone.utc)
    return (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(k.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=1))
            .not_valid_after(now + dt.timedelta(hours=1)).sign(k, hashes.SHA256()))


@pytest.fixture(scope="module")
def parties():
    ra_key, dev_key = key("ra"), key("device")
    ra, dev = self_signed("NDES RA", ra_key), self_signed("SCEP SIGNER", dev_key)
    csr = (x509.CertificateSigningRequestBuilder()
           .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "LAB-PHONE-7")]))
           .add_attribute(AttributeOID.CHALLENGE_PASSWORD, b"the-challenge").sign(dev_key, hashes.SHA256()))
    return {"ra": ra, "ra_key": ra_key, "dev": dev, "dev_key": dev_key,
            "csr": csr.public_bytes(serialization.Encoding.DER)}


@pytest.mark.parametrize("cipher", ["des", "tripledes_3key", "aes128_cbc", "aes256_cbc"])
@pytest.mark.parametrize("digest", ["sha1", "sha256", "sha512"])
def test_pkcs_req_round_trip(parties, cipher, digest):
    p = parties
    msg = scep_cms.pkcs_req(p["csr"], p["dev"], p["dev_key"], p["ra"], cipher=cipher, digest=digest,
                            transaction_id="tid-1", nonce=b"N" * 16)
    req = scep_cms.parse_pki_message(msg)
    assert (req.type_name, req.transaction_id, req.sender_nonce, req.digest) == ("PKCSReq", "tid-1", b"N" * 16,
                                                                                 digest)
    assert req.signature_ok, req.problem
    assert req.signer == p["dev"]
    content, alg = scep_cms.open_envelope(req.content, [(p["dev"], p["dev_key"]), (p["ra"], p["ra_key"])])
    assert (content, alg) == (p["csr"], cipher)
    assert scep_pkiop.challenge_of(x509.load_der_x509_csr(content)) == "the-challenge"


def _openssl(*args: str, data: bytes) -> bytes:
    proc = subprocess.run(["openssl", *args], input=data, capture_output=True, check=True)
    return proc.stdout


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
def test_cert_rep_success_reads_in_openssl(parties, tmp_path: Path):
    """The CertRep verifies in OpenSSL (signed attributes in DER order), its envelope opens with the requester's
    key, and inside is a certs-only PKCS #7 with the issued certificate."""
    p = parties
    req = scep_cms.parse_pki_message(scep_cms.pkcs_req(p["csr"], p["dev"], p["dev_key"], p["ra"]))
    issued = self_signed("LAB-PHONE-7", p["dev_key"])
    rep_der = scep_cms.cert_rep(req, scep_cms.SUCCESS, p["ra"], p["ra_key"], issued=issued, cipher="aes128_cbc",
                                sender_nonce=b"S" * 16)
    rep = scep_cms.parse_pki_message(rep_der)
    assert rep.signature_ok and rep.signer == p["ra"]
    a = rep.attributes
    assert (a["scep_message_type"], a["scep_pki_status"], a["scep_transaction_id"]) == ("3", "0", req.transaction_id)
    assert (a["scep_recipient_nonce"], a["scep_sender_nonce"]) == (req.sender_nonce, b"S" * 16)
    assert "scep_fail_info" not in a

    (tmp_path / "ra.pem").write_bytes(p["ra"].public_bytes(serialization.Encoding.PEM))
    (tmp_path / "dev.pem").write_bytes(p["dev"].public_bytes(serialization.Encoding.PEM))
    (tmp_path / "dev.key").write_bytes(p["dev_key"].private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    envelope = _openssl("cms", "-verify", "-inform", "DER", "-noverify", "-binary", data=rep_der)
    inner = _openssl("cms", "-decrypt", "-inform", "DER", "-binary", "-recip", str(tmp_path / "dev.pem"),
                     "-inkey", str(tmp_path / "dev.key"), data=envelope)
    assert scep_cms.certs_of(inner) == [issued]


def test_cert_rep_failure_has_fail_info_and_no_content(parties):
    p = parties
    req = scep_cms.parse_pki_message(scep_cms.pkcs_req(p["csr"], p["dev"], p["dev_key"], p["ra"]))
    rep = scep_cms.parse_pki_message(scep_cms.cert_rep(req, scep_cms.FAILURE, p["ra"], p["ra_key"],
                                                       fail_info=scep_cms.BAD_MESSAGE_CHECK))
    assert rep.signature_ok and rep.content == b""
    assert rep.attributes["scep_pki_status"] == "2" and rep.attributes["scep_fail_info"] == "1"
    assert rep.attributes["scep_recipient_nonce"] == req.sender_nonce
    with pytest.raises(ValueError):
        scep_cms.cert_rep(req, scep_cms.SUCCESS, p["ra"], p["ra_key"])  # SUCCESS needs the certificate


def test_tampered_signature_and_content_do_not_verify(parties):
    p = parties
    msg = bytearray(scep_cms.pkcs_req(p["csr"], p["dev"], p["dev_key"], p["ra"]))
    sig = bytearray(msg)
    sig[-3] ^= 0x01
    bad = scep_cms.parse_pki_message(bytes(sig))
    assert not bad.signature_ok and "signature does not verify" in bad.problem
    ci = cms.ContentInfo.load(bytes(msg))
    body = bytearray(ci["content"]["encap_content_info"]["content"].native)
    body[-1] ^= 0x01  # the ciphertext changes: messageDigest no longer matches
    start = bytes(msg).index(bytes(ci["content"]["encap_content_info"]["content"].native))
    msg[start:start + len(body)] = body
    changed = scep_cms.parse_pki_message(bytes(msg))
    assert not changed.signature_ok and "messageDigest" in changed.problem
    with pytest.raises(scep_cms.MessageError):
        scep_cms.parse_pki_message(b"\x30\x03\x02\x01\x00")


def test_envelope_for_someone_else_or_with_an_unknown_cipher(parties):
    p = parties
    other = self_signed("other RA", key("other"))
    env = scep_cms.envelope(p["csr"], _asn1(other))
    with pytest.raises(scep_cms.EnvelopeError) as exc:
        scep_cms.open_envelope(env, [(p["ra"], p["ra_key"])])
    assert exc.value.fail_info == scep_cms.BAD_MESSAGE_CHECK

    ci = cms.ContentInfo.load(scep_cms.envelope(p["csr"], _asn1(p["ra"]), "aes128_cbc"))
    eci = ci["content"]["encrypted_content_info"]
    eci["content_encryption_algorithm"] = algos.EncryptionAlgorithm(
        {"algorithm": "aes128_ofb", "parameters": core.OctetString(b"\0" * 16)})
    with pytest.raises(scep_cms.EnvelopeError) as exc:
        scep_cms.open_envelope(ci.dump(force=True), [(p["ra"], p["ra_key"])])
    assert exc.value.fail_info == scep_cms.BAD_ALG


def test_constructed_encrypted_content_as_go_pkcs7_sends_it(parties):
    """Go's pkcs7 (scepclient) sends encryptedContent as a constructed [0] of OCTET STRING chunks (BER)."""
    p = parties
    env = cms.ContentInfo.load(scep_cms.envelope(p["csr"], _asn1(p["ra"]), "des"))
    ed = env["content"]
    eci = ed["encrypted_content_info"]
    ct = eci["encrypted_content"].native
    chunks = b"".join(_tlv(0x04, ct[i:i + 64]) for i in range(0, len(ct), 64))
    eci_der = _tlv(0x30, eci["content_type"].dump() + eci["content_encryption_algorithm"].dump()
                   + _tlv(0xA0, chunks))
    ed_der = _tlv(0x30, ed["version"].dump() + ed["recipient_infos"].dump() + eci_der)
    ber = _tlv(0x30, env["content_type"].dump() + _tlv(0xA0, ed_der))
    assert scep_cms.open_envelope(ber, [(p["ra"], p["ra_key"])]) == (p["csr"], "des")


def _tlv(tag: int, body: bytes) -> bytes:
    n = len(body)
    length = bytes([n]) if n < 0x80 else bytes([0x80 | ((n.bit_length() + 7) // 8)]) + n.to_bytes(
        (n.bit_length() + 7) // 8, "big")
    return bytes([tag]) + length + body


def _asn1(cert: x509.Certificate):
    from asn1crypto import x509 as ax509
    return ax509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


# ------------------------------------------------------------------------------------------ PKIOperation
@pytest.fixture
def ndes_state(tmp_path, monkeypatch):
    """An NDES host as the role install leaves it (RA certificates with keys), no Intune connector; its state
    directory private to the test (the event log is written there)."""
    monkeypatch.setenv("NDES_WINRM_SIM_DIR", str(tmp_path))
    state = hostmodel.initial_state("ndes1.lab.contoso.test")
    ra = {"name": "NDES1-MSCEP-RA", "company": "Contoso Lab", "country": "US"}
    for template in ca.RA_TEMPLATES:
        cert, k = ca.issue_ra(template, ra, 2048)
        certstore.add(state, cert, ca.key_pem(k))
    hostmodel.install_mscep_defaults(state)
    from lab.winrm_sim import store
    with store.edit_state(state["name"]) as st:
        st.update(state)
    return state


def _ra_of(state, template):
    return scep_pkiop._ra(state, template)


def _answer(state, msg):
    status, ctype, body = scep_pkiop.pki_operation(state, msg)
    assert (status, ctype) == (200, scep_pkiop.PKI_MESSAGE)
    rep = scep_cms.parse_pki_message(body)
    assert rep.signature_ok and rep.signer == _ra_of(state, "EnrollmentAgentOffline")[0]
    return rep


def test_pki_operation_refusals_without_a_server(ndes_state, parties):
    state, p = ndes_state, parties
    enc = _ra_of(state, "CEPEncryption")[0]
    from lab.winrm_sim import store

    # no Intune connector: NDES has no policy module to ask, and issued no password of its own
    rep = _answer(state, scep_cms.pkcs_req(p["csr"], p["dev"], p["dev_key"], enc))
    assert rep.attributes["scep_fail_info"] == scep_cms.BAD_REQUEST
    log = scep_pkiop.events(store.read_state(state["name"]))
    assert "Intune Certificate Connector" in log[-1]["message"] and "not installed" in log[-1]["message"]

    # encrypted to the signing certificate, not the CEPEncryption one
    wrong = _ra_of(state, "EnrollmentAgentOffline")[0]
    rep = _answer(state, scep_cms.pkcs_req(p["csr"], p["dev"], p["dev_key"], wrong))
    assert rep.attributes["scep_fail_info"] == scep_cms.BAD_MESSAGE_CHECK

    # a message type NDES does not process here (GetCert)
    rep = _answer(state, scep_cms.pkcs_req(p["csr"], p["dev"], p["dev_key"], enc, message_type="21"))
    assert rep.attributes["scep_fail_info"] == scep_cms.BAD_REQUEST

    # not a pkiMessage: nothing to answer with a CertRep
    assert scep_pkiop.pki_operation(state, b"garbage")[0] == 400
    log = scep_pkiop.events(store.read_state(state["name"]))
    assert "cannot decode" in log[-1]["message"]


def test_connector_installed_but_not_registered(ndes_state, parties):
    from lab.winrm_sim.handlers import intune_connector
    state, p = ndes_state, parties
    intune_connector._install(state)
    assert "not registered" in scep_pkiop.connector_ready(state)
    intune_connector.register(state, days=-1)  # a connector certificate that has expired
    assert "expired" in scep_pkiop.connector_ready(state)
    intune_connector.register(state)
    assert scep_pkiop.connector_ready(state) is None
    state["services"]["PFXCertificateConnectorSvc"]["status"] = "Stopped"
    assert "not running" in scep_pkiop.connector_ready(state)


def test_get_ca_caps_advertises_only_what_pki_operation_does():
    """Every capability the endpoint's GetCACaps lists is one PKIOperation honours (a client may rely on it)."""
    from lab.winrm_sim import scep_endpoint
    honoured = {"POSTPKIOperation": True,  # scep_endpoint passes the POST body to pki_operation
                "Renewal": "17" in scep_pkiop.REQUEST_TYPES,
                "SHA-1": "sha1" in scep_cms.DIGESTS, "SHA-256": "sha256" in scep_cms.DIGESTS,
                "SHA-512": "sha512" in scep_cms.DIGESTS, "DES3": "tripledes_3key" in scep_cms.CIPHERS,
                "AES": {"aes128_cbc", "aes256_cbc"} <= set(scep_cms.CIPHERS)}
    assert scep_endpoint.CA_CAPS and all(honoured.get(cap) for cap in scep_endpoint.CA_CAPS), scep_endpoint.CA_CAPS
