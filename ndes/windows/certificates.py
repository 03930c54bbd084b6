"""Decisions about certificates, taken in Python from their DER (the scripts only return the bytes).

The certificate template a certificate was issued from is read from its extensions, never from text Windows
formats: szOID_CERTIFICATE_TEMPLATE (1.3.6.1.4.1.311.21.7, v2+ templates) holds SEQUENCE { templateID OID,
templateMajorVersion INTEGER OPTIONAL, templateMinorVersion INTEGER OPTIONAL } (MS-WCCE 2.2.2.7.7.2,
learn.microsoft.com/openspecs/windows_protocols/ms-wcce/9da866e5-9ce9-4a83-9064-0d20af8b2ccf);
szOID_ENROLL_CERTTYPE_EXTENSION (1.3.6.1.4.1.311.20.2, v1 templates) holds the template's name as a BMPString.
`X509Extension.Format()` would give a localized display name instead (dsccommunity/CertificateDsc maps such a
display name back through AD), so a template is identified by its OID (msPKI-Cert-Template-OID, which the
CertificateTemplate resource knows).
"""
from __future__ import annotations

import base64
import datetime as dt
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.x509.oid import NameOID, ObjectIdentifier

from .contracts.machine_certificate import CertificateFacts

__all__ = ["Certificate", "TemplateInfo", "decode", "template_info", "template_name_v1", "TIME_FORMAT"]

TEMPLATE_INFO_OID = ObjectIdentifier("1.3.6.1.4.1.311.21.7")
TEMPLATE_NAME_OID = ObjectIdentifier("1.3.6.1.4.1.311.20.2")
TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
SHORT_NAMES = {NameOID.COMMON_NAME: "CN", NameOID.EMAIL_ADDRESS: "E", NameOID.ORGANIZATION_NAME: "O",
               NameOID.ORGANIZATIONAL_UNIT_NAME: "OU", NameOID.LOCALITY_NAME: "L",
               NameOID.STATE_OR_PROVINCE_NAME: "S", NameOID.COUNTRY_NAME: "C"}


@dataclass(frozen=True)
class TemplateInfo:
    oid: str
    major: int | None = None
    minor: int | None = None


@dataclass(frozen=True)
class Certificate:
    thumbprint: str
    subject: str
    issuer: str
    common_name: str
    dns_names: list[str]
    not_before: dt.datetime
    not_after: dt.datetime
    template: TemplateInfo | None
    template_name: str | None
    """The v1 template name extension (shipped templates such as EnrollmentAgentOffline), else None."""
    friendly_name: str = ""
    has_private_key: bool = False
    ekus: list[str] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)
    """The subject's attributes by their Windows short names (CN, E, O, OU, L, S, C), decoded from the DER:
    no quoting or escaping, whatever characters the values hold."""
    key_size: int | None = None

    def days_left(self, now: dt.datetime | None = None) -> int:
        return int((self.not_after - (now or dt.datetime.now(dt.timezone.utc))).total_seconds() // 86400)

    def from_template(self, oid: str) -> bool:
        return self.template is not None and self.template.oid == oid


class _Der:
    """The few DER reads the template extension needs (definite lengths only, as DER requires)."""

    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def read(self) -> tuple[int, bytes]:
        if self.pos + 2 > len(self.data):
            raise ValueError("truncated DER")
        tag, length = self.data[self.pos], self.data[self.pos + 1]
        self.pos += 2
        if length & 0x80:
            n = length & 0x7F
            if n == 0 or n > 4 or self.pos + n > len(self.data):
                raise ValueError("bad DER length")
            length = int.from_bytes(self.data[self.pos:self.pos + n], "big")
            self.pos += n
        if self.pos + length > len(self.data):
            raise ValueError("truncated DER")
        value = self.data[self.pos:self.pos + length]
        self.pos += length
        return tag, value

    def done(self) -> bool:
        return self.pos >= len(self.data)


def template_info(cert: x509.Certificate) -> TemplateInfo | None:
    """The v2 template extension's OID and versions, or None when the certificate carries none (or a bad one).
    `cryptography` decodes the extension itself (x509.MSCertificateTemplate)."""
    try:
        value = cert.extensions.get_extension_for_oid(TEMPLATE_INFO_OID).value
    except (x509.ExtensionNotFound, ValueError):
        return None
    if not isinstance(value, x509.MSCertificateTemplate):
        return None
    return TemplateInfo(value.template_id.dotted_string, value.major_version, value.minor_version)


def template_name_v1(cert: x509.Certificate) -> str | None:
    try:
        raw = cert.extensions.get_extension_for_oid(TEMPLATE_NAME_OID).value.value  # type: ignore[attr-defined]
    except x509.ExtensionNotFound:
        return None
    try:
        tag, body = _Der(raw).read()
    except ValueError:
        return None
    return body.decode("utf-16-be", errors="replace") if tag == 0x1E else None


def decode(facts: CertificateFacts) -> Certificate:
    """A certificate from the script's facts; its names, dates and template from the DER."""
    cert = x509.load_der_x509_certificate(base64.b64decode(facts.der_base64))
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        dns = sorted({str(n).lower().rstrip(".") for n in san.get_values_for_type(x509.DNSName)})
    except x509.ExtensionNotFound:
        dns = []
    try:
        ekus = [o.dotted_string for o in cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value]
    except x509.ExtensionNotFound:
        ekus = []
    cns = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    names = {short: str(attrs[-1].value) for oid, short in SHORT_NAMES.items()
             if (attrs := cert.subject.get_attributes_for_oid(oid))}
    try:
        key_size = getattr(cert.public_key(), "key_size", None)
    except ValueError:
        key_size = None
    return Certificate(
        thumbprint=facts.thumbprint.upper(), subject=facts.subject, issuer=facts.issuer,
        common_name=str(cns[-1].value) if cns else "", dns_names=dns,
        not_before=cert.not_valid_before_utc, not_after=cert.not_valid_after_utc,
        template=template_info(cert), template_name=template_name_v1(cert), friendly_name=facts.friendly_name,
        has_private_key=facts.has_private_key, ekus=ekus, names=names, key_size=key_size)
