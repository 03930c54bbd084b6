"""SCEP's CMS messages (RFC 8894) for the lab's NDES: parse a pkiMessage, open its pkcsPKIEnvelope, build a
CertRep. asn1crypto carries the structures (SCEP needs its own signed attributes, which cryptography's PKCS#7
builders cannot add); cryptography does the RSA and symmetric work.

Contracts:
- `parse_pki_message(der)` -> PkiMessage; raises MessageError when the bytes are not a SignedData pkiMessage
  (nothing to answer with a CertRep); `signature_ok` says whether the signer's signature and messageDigest hold.
- `open_envelope(der, recipients)` -> (content, algorithm name); `recipients` are (certificate, key) pairs, the
  one whose issuer+serial a RecipientInfo names opens it; raises EnvelopeError(fail_info) otherwise.
- `cert_rep(...)` -> DER of a CertRep SignedData signed by the RA signing key: signed attributes contentType,
  messageDigest, messageType 3, pkiStatus, failInfo (FAILURE only), transactionID, senderNonce,
  recipientNonce (= the request's senderNonce); on SUCCESS its content is an EnvelopedData to the requester's
  certificate holding a certs-only PKCS#7 of the issued certificate, with the request's content cipher.
- `pkcs_req(...)` builds a PKCSReq as a device would (tests, and nothing in the NDES path).
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field

from asn1crypto import algos, cms, core, parser
from asn1crypto import x509 as ax509
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
from cryptography.hazmat.primitives import hashes, padding, serialization
from cryptography.hazmat.primitives.asymmetric import padding as apadding
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.serialization import pkcs7

# ------------------------------------------------------------------------------------------ SCEP attributes
MESSAGE_TYPES = {"3": "CertRep", "17": "RenewalReq", "19": "PKCSReq", "20": "CertPoll", "21": "GetCert",
                 "22": "GetCRL"}
SUCCESS, FAILURE, PENDING = "0", "2", "3"
BAD_ALG, BAD_MESSAGE_CHECK, BAD_REQUEST, BAD_TIME, BAD_CERT_ID = "0", "1", "2", "3", "4"
FAIL_INFO_NAMES = {"0": "badAlg", "1": "badMessageCheck", "2": "badRequest", "3": "badTime", "4": "badCertId"}

_SCEP_OIDS = {
    "2.16.840.1.113733.1.9.2": ("scep_message_type", core.PrintableString),
    "2.16.840.1.113733.1.9.3": ("scep_pki_status", core.PrintableString),
    "2.16.840.1.113733.1.9.4": ("scep_fail_info", core.PrintableString),
    "2.16.840.1.113733.1.9.5": ("scep_sender_nonce", core.OctetString),
    "2.16.840.1.113733.1.9.6": ("scep_recipient_nonce", core.OctetString),
    "2.16.840.1.113733.1.9.7": ("scep_transaction_id", core.PrintableString),
}
for _oid, (_name, _spec) in _SCEP_OIDS.items():  # teach asn1crypto SCEP's attributes (additive, idempotent)
    cms.CMSAttributeType._map.setdefault(_oid, _name)
    cms.CMSAttributeType._reverse_map = None
    cms.CMSAttribute._oid_specs.setdefault(_name, type(f"SetOf_{_name}", (core.SetOf,), {"_child_spec": _spec}))

# ------------------------------------------------------------------------------------------ algorithms
DIGESTS = {"sha1": hashes.SHA1, "sha256": hashes.SHA256, "sha384": hashes.SHA384, "sha512": hashes.SHA512,
           "md5": hashes.MD5}
CIPHERS = {  # asn1crypto name -> (cryptography algorithm factory, key bytes, block bytes)
    "des": (lambda k: TripleDES(k * 3), 8, 8),             # single DES = 3DES with K1=K2=K3
    "tripledes_3key": (lambda k: TripleDES(k), 24, 8),
    "aes128_cbc": (algorithms.AES, 16, 16),
    "aes192_cbc": (algorithms.AES, 24, 16),
    "aes256_cbc": (algorithms.AES, 32, 16),
}


class MessageError(ValueError):
    """Not a SCEP pkiMessage (no CertRep can answer it)."""


class EnvelopeError(ValueError):
    """The pkcsPKIEnvelope cannot be opened; `fail_info` is the SCEP failInfo to answer with."""

    def __init__(self, message: str, fail_info: str):
        super().__init__(message)
        self.fail_info = fail_info


@dataclass
class PkiMessage:
    message_type: str
    transaction_id: str
    sender_nonce: bytes
    digest: str
    content: bytes
    signer: x509.Certificate | None
    signer_asn1: ax509.Certificate | None
    signature_ok: bool
    problem: str = ""
    attributes: dict[str, object] = field(default_factory=dict)

    @property
    def type_name(self) -> str:
        return MESSAGE_TYPES.get(self.message_type, f"unknown ({self.message_type})")


def _attrs(signed_attrs) -> dict[str, object]:
    out: dict[str, object] = {}
    for a in signed_attrs or []:
        name = a["type"].native
        vals = a["values"]
        out[name] = vals[0].native if len(vals) else None
    return out


def _issuer_serial_matches(sid_or_rid, cert: ax509.Certificate) -> bool:
    if sid_or_rid.name != "issuer_and_serial_number":
        return False
    ias = sid_or_rid.chosen
    tbs = cert["tbs_certificate"]
    return ias["serial_number"].native == tbs["serial_number"].native and ias["issuer"].dump() == tbs["issuer"].dump()


def parse_pki_message(der: bytes) -> PkiMessage:
    try:
        ci = cms.ContentInfo.load(der)
        if ci["content_type"].native != "signed_data":
            raise MessageError(f"the pkiMessage is a {ci['content_type'].native}, not signed data")
        sd = ci["content"]
        infos = sd["signer_infos"]
        if len(infos) != 1:
            raise MessageError(f"a pkiMessage has one signer, this one has {len(infos)}")
        si = infos[0]
        content = sd["encap_content_info"]["content"]
        content_bytes = b"" if content is None or isinstance(content, core.Void) else bytes(content.native or b"")
        attrs = _attrs(si["signed_attrs"])
        certs = [c.chosen for c in sd["certificates"] or [] if c.name == "certificate"]
        digest = si["digest_algorithm"]["algorithm"].native
    except MessageError:
        raise
    except (ValueError, TypeError, KeyError) as exc:
        raise MessageError(f"the pkiMessage cannot be parsed: {exc}") from None
    signer_asn1 = next((c for c in certs if _issuer_serial_matches(si["sid"], c)), None)
    msg = PkiMessage(message_type=str(attrs.get("scep_message_type") or ""),
                     transaction_id=str(attrs.get("scep_transaction_id") or ""),
                     sender_nonce=bytes(attrs.get("scep_sender_nonce") or b""), digest=digest, content=content_bytes,
                     signer=x509.load_der_x509_certificate(signer_asn1.dump()) if signer_asn1 else None,
                     signer_asn1=signer_asn1, signature_ok=False, attributes=attrs)
    msg.signature_ok, msg.problem = _verify(si, msg)
    return msg


def _verify(si, msg: PkiMessage) -> tuple[bool, str]:
    if msg.signer is None:
        return False, "the signer's certificate is not in the message"
    if msg.digest not in DIGESTS:
        return False, f"digest algorithm {msg.digest} is not supported"
    h = DIGESTS[msg.digest]()
    want = msg.attributes.get("message_digest")
    d = hashes.Hash(h)
    d.update(msg.content)
    if want != d.finalize():
        return False, "messageDigest does not match the content"
    signed = si["signed_attrs"].dump()
    signed = b"\x31" + signed[1:]  # the signature covers the attributes as a SET OF, not [0] IMPLICIT
    pub = msg.signer.public_key()
    if not isinstance(pub, rsa.RSAPublicKey):
        return False, "the signer's key is not RSA"
    try:
        pub.verify(si["signature"].native, signed, apadding.PKCS1v15(), h)
    except InvalidSignature:
        return False, "the signature does not verify with the signer's certificate"
    return True, ""


def open_envelope(der: bytes, recipients: list[tuple[x509.Certificate, rsa.RSAPrivateKey]]) -> tuple[bytes, str]:
    try:
        ci = cms.ContentInfo.load(der)
        if ci["content_type"].native != "enveloped_data":
            raise EnvelopeError(f"the pkcsPKIEnvelope is {ci['content_type'].native}, not enveloped data",
                                BAD_MESSAGE_CHECK)
        ed = ci["content"]
        eci = ed["encrypted_content_info"]
        alg = eci["content_encryption_algorithm"]
        alg_name = alg["algorithm"].native
        infos = list(ed["recipient_infos"])
        ciphertext = _encrypted_content(eci.contents)
    except EnvelopeError:
        raise
    except (ValueError, TypeError, KeyError) as exc:
        raise EnvelopeError(f"the pkcsPKIEnvelope cannot be parsed: {exc}", BAD_MESSAGE_CHECK) from None
    if alg_name not in CIPHERS:
        raise EnvelopeError(f"content encryption {alg_name} is not supported", BAD_ALG)
    for ri in infos:
        if ri.name != "ktri":
            continue
        ktri = ri.chosen
        for cert, key in recipients:
            if not _issuer_serial_matches(ktri["rid"], ax509.Certificate.load(cert.public_bytes(
                    serialization.Encoding.DER))):
                continue
            if ktri["key_encryption_algorithm"]["algorithm"].native != "rsaes_pkcs1v15":
                raise EnvelopeError("key transport is not rsaEncryption (PKCS #1 v1.5)", BAD_ALG)
            try:
                cek = key.decrypt(ktri["encrypted_key"].native, apadding.PKCS1v15())
                return _decrypt(alg_name, cek, alg["parameters"].native, ciphertext), alg_name
            except ValueError as exc:
                raise EnvelopeError(f"the pkcsPKIEnvelope does not decrypt: {exc}", BAD_MESSAGE_CHECK) from None
    raise EnvelopeError("the pkcsPKIEnvelope is not encrypted to this NDES's encryption (CEPEncryption) "
                        "certificate", BAD_MESSAGE_CHECK)


def _encrypted_content(eci_contents: bytes) -> bytes:
    """encryptedContent [0] IMPLICIT OCTET STRING of an EncryptedContentInfo, primitive or constructed (BER: Go's
    pkcs7, which scepclient uses, sends it constructed, as a series of OCTET STRINGs)."""
    pos = 0
    while pos < len(eci_contents):
        cls, method, tag, header, contents, trailer = _parse_at(eci_contents, pos)
        pos += len(header) + len(contents) + len(trailer)
        if cls == 2 and tag == 0:
            return _octets(method, contents)
    return b""


def _parse_at(data: bytes, pos: int) -> tuple[int, int, int, bytes, bytes, bytes]:
    info, _end = parser._parse(data, len(data), pos)
    return info


def _octets(method: int, contents: bytes) -> bytes:
    if method == 0:
        return contents
    out, pos = b"", 0
    while pos < len(contents):
        cls, m, tag, header, inner, trailer = _parse_at(contents, pos)
        pos += len(header) + len(inner) + len(trailer)
        if (cls, tag) == (0, 0):  # end-of-contents of an indefinite length
            continue
        out += _octets(m, inner)
    return out


def _decrypt(alg_name: str, key: bytes, iv: bytes, data: bytes) -> bytes:
    make, key_len, block = CIPHERS[alg_name]
    if len(key) != key_len or not isinstance(iv, bytes) or len(iv) != block:
        raise ValueError("wrong key or IV length")
    dec = Cipher(make(key), modes.CBC(iv)).decryptor()
    padded = dec.update(data) + dec.finalize()
    unpad = padding.PKCS7(block * 8).unpadder()
    return unpad.update(padded) + unpad.finalize()


def envelope(content: bytes, recipient: ax509.Certificate, alg_name: str = "aes256_cbc") -> bytes:
    """EnvelopedData (ContentInfo DER) of `content` to `recipient` (issuer+serial as that certificate holds them)."""
    make, key_len, block = CIPHERS[alg_name]
    key, iv = os.urandom(key_len), os.urandom(block)
    pad = padding.PKCS7(block * 8).padder()
    enc = Cipher(make(key), modes.CBC(iv)).encryptor()
    ciphertext = enc.update(pad.update(content) + pad.finalize()) + enc.finalize()
    pub = x509.load_der_x509_certificate(recipient.dump()).public_key()
    assert isinstance(pub, rsa.RSAPublicKey)
    tbs = recipient["tbs_certificate"]
    ktri = cms.KeyTransRecipientInfo({
        "version": "v0",
        "rid": cms.RecipientIdentifier(name="issuer_and_serial_number", value=cms.IssuerAndSerialNumber(
            {"issuer": tbs["issuer"], "serial_number": tbs["serial_number"]})),
        "key_encryption_algorithm": cms.KeyEncryptionAlgorithm({"algorithm": "rsaes_pkcs1v15"}),
        "encrypted_key": pub.encrypt(key, apadding.PKCS1v15()),
    })
    ed = cms.EnvelopedData({
        "version": "v0",
        "recipient_infos": [cms.RecipientInfo(name="ktri", value=ktri)],
        "encrypted_content_info": cms.EncryptedContentInfo({
            "content_type": "data",
            "content_encryption_algorithm": algos.EncryptionAlgorithm(
                {"algorithm": alg_name, "parameters": core.OctetString(iv)}),
            "encrypted_content": ciphertext,
        }),
    })
    return cms.ContentInfo({"content_type": "enveloped_data", "content": ed}).dump()


def _attribute(name: str, value) -> cms.CMSAttribute:
    return cms.CMSAttribute({"type": name, "values": [value]})


def signed_data(content: bytes | None, attributes: list[cms.CMSAttribute], cert: x509.Certificate,
                key: rsa.RSAPrivateKey, digest: str = "sha256") -> bytes:
    """SignedData (ContentInfo DER) signed by `key` with `attributes` (+ contentType, messageDigest), the signer
    named by issuer+serial, its certificate included. The attributes are put in DER (sorted) order, so the bytes
    on the wire are the bytes signed (verifiers that re-encode the SET OF get the same)."""
    h = DIGESTS[digest]()
    d = hashes.Hash(h)
    d.update(content or b"")
    attrs = [_attribute("content_type", "data"), _attribute("message_digest", d.finalize()), *attributes]
    attrs.sort(key=lambda a: a.dump())
    to_sign = cms.CMSAttributes(attrs).dump()
    signature = key.sign(to_sign, apadding.PKCS1v15(), h)
    acert = ax509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))
    tbs = acert["tbs_certificate"]
    si = cms.SignerInfo({
        "version": "v1",
        "sid": cms.SignerIdentifier(name="issuer_and_serial_number", value=cms.IssuerAndSerialNumber(
            {"issuer": tbs["issuer"], "serial_number": tbs["serial_number"]})),
        "digest_algorithm": algos.DigestAlgorithm({"algorithm": digest}),
        "signed_attrs": cms.CMSAttributes(attrs),
        "signature_algorithm": algos.SignedDigestAlgorithm({"algorithm": "rsassa_pkcs1v15"}),
        "signature": signature,
    })
    encap = {"content_type": "data"}
    if content is not None:
        encap["content"] = content
    sd = cms.SignedData({
        "version": "v1",
        "digest_algorithms": [algos.DigestAlgorithm({"algorithm": digest})],
        "encap_content_info": cms.ContentInfo(encap),
        "certificates": [cms.CertificateChoices(name="certificate", value=acert)],
        "signer_infos": [si],
    })
    return cms.ContentInfo({"content_type": "signed_data", "content": sd}).dump()


def cert_rep(request: PkiMessage, status: str, ra_cert: x509.Certificate, ra_key: rsa.RSAPrivateKey, *,
             issued: x509.Certificate | None = None, fail_info: str | None = None, cipher: str = "aes256_cbc",
             sender_nonce: bytes | None = None) -> bytes:
    attrs = [_attribute("scep_message_type", "3"), _attribute("scep_pki_status", status),
             _attribute("scep_transaction_id", request.transaction_id),
             _attribute("scep_sender_nonce", sender_nonce or os.urandom(16)),
             _attribute("scep_recipient_nonce", request.sender_nonce)]
    content = None
    if status == FAILURE:
        attrs.append(_attribute("scep_fail_info", fail_info or BAD_REQUEST))
    elif status == SUCCESS:
        if issued is None or request.signer_asn1 is None:
            raise ValueError("a SUCCESS CertRep needs the issued certificate and the requester's certificate")
        degenerate = pkcs7.serialize_certificates([issued], serialization.Encoding.DER)
        content = envelope(degenerate, request.signer_asn1, cipher)
    digest = request.digest if request.digest in DIGESTS and request.digest != "md5" else "sha256"
    return signed_data(content, attrs, ra_cert, ra_key, digest)


def pkcs_req(csr_der: bytes, signer_cert: x509.Certificate, signer_key: rsa.RSAPrivateKey,
             ra_encryption_cert: x509.Certificate, *, cipher: str = "aes256_cbc", digest: str = "sha256",
             message_type: str = "19", transaction_id: str | None = None, nonce: bytes | None = None) -> bytes:
    """A PKCSReq as a device builds it: the CSR enveloped to the RA encryption certificate, signed by the
    device's (self-signed) key."""
    rcpt = ax509.Certificate.load(ra_encryption_cert.public_bytes(serialization.Encoding.DER))
    env = envelope(csr_der, rcpt, cipher)
    tid = transaction_id or hashlib.sha256(signer_key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)).hexdigest()
    attrs = [_attribute("scep_message_type", message_type), _attribute("scep_transaction_id", tid),
             _attribute("scep_sender_nonce", nonce or os.urandom(16))]
    return signed_data(env, attrs, signer_cert, signer_key, digest)


def certs_of(degenerate_der: bytes) -> list[x509.Certificate]:
    return pkcs7.load_der_pkcs7_certificates(degenerate_der)
