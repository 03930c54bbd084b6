"""The simulated CA's X.509 side: its keys and certificates (lab.pki), certificates built and signed as a Windows
CA builds them (subject, key usage, the template extensions), and the facts read back from a certificate.
Used by lab/winrm_sim/ca.py.
"""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID, ObjectIdentifier

from lab import pki

from . import clock


TEMPLATE_NAME_V1_OID = ObjectIdentifier("1.3.6.1.4.1.311.20.2")   # szOID_ENROLL_CERTTYPE_EXTENSION (BMPString)


TEMPLATE_INFO_V2_OID = ObjectIdentifier("1.3.6.1.4.1.311.21.7")   # szOID_CERTIFICATE_TEMPLATE


# ---------------------------------------------------------------------------------------- issuing
def issuing_ca() -> tuple[x509.Certificate, rsa.RSAPrivateKey]:
    cert_path, key_path = pki.ensure_enterprise_ca()
    cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    key = serialization.load_pem_private_key(key_path.read_bytes(), password=None,
                                             unsafe_skip_rsa_key_validation=True)
    return cert, key  # type: ignore[return-value]


def root_ca() -> x509.Certificate:
    cert_path, _ = pki.ensure_ca()
    return x509.load_pem_x509_certificate(cert_path.read_bytes())


def new_key(bits: int) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def key_pem(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def cert_pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def thumbprint(cert: x509.Certificate) -> str:
    return hashlib.sha1(cert.public_bytes(serialization.Encoding.DER)).hexdigest().upper()


def cert_facts(cert: x509.Certificate) -> dict[str, Any]:
    """What the scripts report for a certificate (the same keys the PowerShell side builds)."""
    der = cert.public_bytes(serialization.Encoding.DER)
    try:
        sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        dns = [n.lower() for n in sans.get_values_for_type(x509.DNSName)]
    except x509.ExtensionNotFound:
        dns = []
    cns = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return {
        "thumbprint": thumbprint(cert),
        "subject": windows_subject(cert.subject),
        "commonName": str(cns[0].value) if cns else "",
        "issuer": windows_subject(cert.issuer),
        "dnsNames": dns,
        "notBefore": cert.not_valid_before_utc.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "notAfter": cert.not_valid_after_utc.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "derBase64": base64.b64encode(der).decode(),
        "pem": cert_pem(cert),
    }


_WIN_NAMES = {NameOID.COMMON_NAME: "CN", NameOID.ORGANIZATION_NAME: "O", NameOID.ORGANIZATIONAL_UNIT_NAME: "OU",
              NameOID.LOCALITY_NAME: "L", NameOID.STATE_OR_PROVINCE_NAME: "S", NameOID.COUNTRY_NAME: "C",
              NameOID.EMAIL_ADDRESS: "E"}


def windows_subject(name: x509.Name) -> str:
    """X509Certificate2.Subject order: most specific first ("CN=x, O=y, C=US")."""
    parts = []
    for rdn in reversed(list(name.rdns)):
        for a in rdn:
            parts.append(f"{_WIN_NAMES.get(a.oid, a.oid.dotted_string)}={a.value}")
    return ", ".join(parts)


def _bmp(text: str) -> bytes:
    body = text.encode("utf-16-be")
    return b"\x1e" + _der_len(len(body)) + body


def _der_len(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(raw)]) + raw


def _der_int(v: int) -> bytes:
    raw = v.to_bytes(max(1, (v.bit_length() + 8) // 8), "big")
    return b"\x02" + _der_len(len(raw)) + raw


def _template_v2_ext(oid: str, major: int, minor: int) -> bytes:
    """szOID_CERTIFICATE_TEMPLATE: SEQUENCE { templateID OID, majorVersion INTEGER, minorVersion INTEGER }."""
    body = _oid_der(oid) + _der_int(major) + _der_int(minor)
    return b"\x30" + _der_len(len(body)) + body


def _oid_der(dotted: str) -> bytes:
    nums = [int(x) for x in dotted.split(".")]
    out = bytes([40 * nums[0] + nums[1]])
    for n in nums[2:]:
        chunk = [n & 0x7F]
        n >>= 7
        while n:
            chunk.append(0x80 | (n & 0x7F))
            n >>= 7
        out += bytes(reversed(chunk))
    return b"\x06" + _der_len(len(out)) + out


def _ku(raw: bytes) -> x509.KeyUsage:
    b0 = raw[0] if raw else 0xA0
    b1 = raw[1] if len(raw) > 1 else 0
    return x509.KeyUsage(
        digital_signature=bool(b0 & 0x80), content_commitment=bool(b0 & 0x40), key_encipherment=bool(b0 & 0x20),
        data_encipherment=bool(b0 & 0x10), key_agreement=bool(b0 & 0x08), key_cert_sign=bool(b0 & 0x04),
        crl_sign=bool(b0 & 0x02), encipher_only=bool(b0 & 0x01) and bool(b0 & 0x08),
        decipher_only=bool(b1 & 0x80) and bool(b0 & 0x08))


def _sign(subject: x509.Name, public_key, validity: dt.timedelta, *, sans: list[str], ku: bytes, ekus: list[str],
          extra: list[x509.Extension]) -> x509.Certificate:
    ca_cert, ca_key = issuing_ca()
    now = clock.now()  # the CA's clock: the lab clock (clock.py)
    not_after = min(now + validity, ca_cert.not_valid_after_utc)
    b = (x509.CertificateBuilder().subject_name(subject).issuer_name(ca_cert.subject).public_key(public_key)
         .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=10))
         .not_valid_after(not_after)
         .add_extension(_ku(ku), critical=True)
         .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
         .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False))
    if ekus:
        b = b.add_extension(x509.ExtendedKeyUsage([ObjectIdentifier(o) for o in ekus]), critical=False)
    if sans:
        b = b.add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in sans]), critical=False)
    for ext in extra:
        b = b.add_extension(ext.value, critical=ext.critical)
    return b.sign(ca_key, hashes.SHA256())


def _unrecognized(oid: ObjectIdentifier, value: bytes) -> x509.Extension:
    return x509.Extension(oid, False, x509.UnrecognizedExtension(oid, value))


def _cn_subject(cn: str, extra: list[tuple[ObjectIdentifier, str]] = ()) -> x509.Name:  # type: ignore[assignment]
    attrs = [x509.NameAttribute(o, v) for o, v in extra if v] + [x509.NameAttribute(NameOID.COMMON_NAME, cn)]
    return x509.Name(attrs)


def template_name_v1(cert: x509.Certificate) -> str | None:
    try:
        raw = cert.extensions.get_extension_for_oid(TEMPLATE_NAME_V1_OID).value.value  # type: ignore[attr-defined]
    except x509.ExtensionNotFound:
        return None
    return raw[2:].decode("utf-16-be") if raw[:1] == b"\x1e" and raw[1] < 0x80 else None
