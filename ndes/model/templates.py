"""Certificate templates as the admin describes them, and the pKICertificateTemplate attributes they become.

Two kinds, as in the seed guide: "ssl" is a duplicate of the shipped Web Server template, "client" a duplicate
of User. The attribute values follow MS-CRTD section 2 and the v2 duplicates in
shared/reference/adcs-ndes.md (flags, msPKI-* flags, key usage, EKUs, periods, CSP list). `template_attributes`
derives the raw values; `template_settings` maps raw values read from AD back to words, so a drift report says
"exportable: true", not "msPKI-Private-Key-Flag: 16842768".
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .durations import Period, from_filetime_interval, to_filetime_interval
from .eku import eku_name, eku_oid, normalize_ekus
from .keyusage import key_usage_bytes, key_usage_from_bytes, normalize_key_usage

# flags (MS-CRTD 2.4)
CT_FLAG_MACHINE_TYPE = 0x40
CT_FLAG_ADD_TEMPLATE_NAME = 0x200
CT_FLAG_IS_MODIFIED = 0x20000
# msPKI-Certificate-Name-Flag (2.28)
CT_FLAG_ENROLLEE_SUPPLIES_SUBJECT = 0x1
# msPKI-Enrollment-Flag (2.26)
CT_FLAG_INCLUDE_SYMMETRIC_ALGORITHMS = 0x1
CT_FLAG_PUBLISH_TO_DS = 0x8
CT_FLAG_AUTO_ENROLLMENT = 0x20
# msPKI-Private-Key-Flag (2.27): client and CA version bits of a Server 2003 (v2) template, plus exportable.
PRIVATE_KEY_V2_BASE = 0x01010000
CT_FLAG_EXPORTABLE_KEY = 0x10

KEY_USAGE_OID = "2.5.29.15"

BASES = {
    # shipped template -> what a duplicate keeps from it
    "ssl": {
        "base": "WebServer",
        "flags": CT_FLAG_MACHINE_TYPE | CT_FLAG_ADD_TEMPLATE_NAME | CT_FLAG_IS_MODIFIED,  # 131648
        "name_flag_when_not_supplied": 0x10000000 | 0x8000000,  # subject DNS as CN, DNS SAN
        "enrollment_flag": 0,
        "csps": ["2,Microsoft DH SChannel Cryptographic Provider", "1,Microsoft RSA SChannel Cryptographic Provider"],
    },
    "client": {
        "base": "User",
        "flags": CT_FLAG_ADD_TEMPLATE_NAME | CT_FLAG_IS_MODIFIED,  # 131584
        "name_flag_when_not_supplied": -1509949440,  # 0xA6000000 as User ships it
        "enrollment_flag": CT_FLAG_INCLUDE_SYMMETRIC_ALGORITHMS | CT_FLAG_AUTO_ENROLLMENT,  # 33
        "csps": ["2,Microsoft Base Cryptographic Provider v1.0", "1,Microsoft Enhanced Cryptographic Provider v1.0"],
    },
}


@dataclass(frozen=True)
class TemplateSettings:
    """A template in the admin's words (what the console's tabs show)."""

    kind: str  # "ssl" | "client"
    name: str
    display_name: str
    validity: Period
    renewal_period: Period
    minimum_key_size: int = 2048
    key_usage: list[str] = field(default_factory=lambda: ["digitalSignature", "keyEncipherment"])
    extended_key_usage: list[str] = field(default_factory=list)
    exportable: bool = False
    enrollee_supplies_subject: bool = True
    publish_to_ad: bool = False


def _signed32(v: int) -> int:
    v &= 0xFFFFFFFF
    return v - (1 << 32) if v & 0x80000000 else v


def template_attributes(t: TemplateSettings) -> dict[str, object]:
    """The LDAP attribute values of the template object (without cn, OID and security descriptor).

    Integers are returned as Python ints (LDAP INTEGER, signed 32-bit), byte strings as bytes, multi-valued
    attributes as lists.
    """
    base = BASES[t.kind]
    ekus = [eku_oid(e) for e in normalize_ekus(t.extended_key_usage)]
    name_flag = CT_FLAG_ENROLLEE_SUPPLIES_SUBJECT if t.enrollee_supplies_subject else base["name_flag_when_not_supplied"]
    enrollment = base["enrollment_flag"] | (CT_FLAG_PUBLISH_TO_DS if t.publish_to_ad else 0)
    private_key = PRIVATE_KEY_V2_BASE | (CT_FLAG_EXPORTABLE_KEY if t.exportable else 0)
    return {
        "displayName": t.display_name,
        "flags": base["flags"],
        "revision": 100,
        "msPKI-Template-Schema-Version": 2,
        "msPKI-Template-Minor-Revision": 0,
        "pKIDefaultKeySpec": 1,
        "pKIMaxIssuingDepth": 0,
        "pKIKeyUsage": key_usage_bytes(t.key_usage),
        "pKICriticalExtensions": [KEY_USAGE_OID],
        "pKIExtendedKeyUsage": ekus,
        "msPKI-Certificate-Application-Policy": ekus,
        "pKIDefaultCSPs": list(base["csps"]),
        "pKIExpirationPeriod": to_filetime_interval(t.validity),
        "pKIOverlapPeriod": to_filetime_interval(t.renewal_period),
        "msPKI-Certificate-Name-Flag": _signed32(name_flag),
        "msPKI-Enrollment-Flag": _signed32(enrollment),
        "msPKI-Private-Key-Flag": _signed32(private_key),
        "msPKI-Minimal-Key-Size": t.minimum_key_size,
        "msPKI-RA-Signature": 0,
    }


def _one(attrs: dict, key: str, default=None):
    v = attrs.get(key, default)
    if isinstance(v, (list, tuple)):
        return v[0] if v else default
    return v


def template_settings(kind: str, name: str, attrs: dict) -> TemplateSettings:
    """Map attribute values read from AD back to the admin's words (the inverse of template_attributes)."""
    name_flag = int(_one(attrs, "msPKI-Certificate-Name-Flag", 0))
    enrollment = int(_one(attrs, "msPKI-Enrollment-Flag", 0))
    private_key = int(_one(attrs, "msPKI-Private-Key-Flag", 0))
    ekus = attrs.get("pKIExtendedKeyUsage") or attrs.get("msPKI-Certificate-Application-Policy") or []
    if isinstance(ekus, str):
        ekus = [ekus]
    return TemplateSettings(
        kind=kind,
        name=name,
        display_name=str(_one(attrs, "displayName", name)),
        validity=from_filetime_interval(bytes(_one(attrs, "pKIExpirationPeriod", b""))),
        renewal_period=from_filetime_interval(bytes(_one(attrs, "pKIOverlapPeriod", b""))),
        minimum_key_size=int(_one(attrs, "msPKI-Minimal-Key-Size", 0)),
        key_usage=normalize_key_usage(key_usage_from_bytes(bytes(_one(attrs, "pKIKeyUsage", b"\x00\x00")))),
        extended_key_usage=normalize_ekus([eku_name(o) for o in ekus]),
        exportable=bool(private_key & CT_FLAG_EXPORTABLE_KEY),
        enrollee_supplies_subject=bool(name_flag & CT_FLAG_ENROLLEE_SUPPLIES_SUBJECT),
        publish_to_ad=bool(enrollment & CT_FLAG_PUBLISH_TO_DS),
    )
