"""Key usage in words, the pKIKeyUsage bytes, template purpose and the MSCEP registry mapping.

pKIKeyUsage (MS-CRTD 2.14) holds the X.509 KeyUsage bits in DER bit order: byte 0 bit 0x80 is
digitalSignature ... 0x01 encipherOnly, byte 1 bit 0x80 decipherOnly.

The Intune SCEP profile's key usage picks the MSCEP registry value the connector reads (Microsoft's "Configure
infrastructure to support SCEP" doc, and the seed guide): Digital signature -> SignatureTemplate; Key
encipherment -> EncryptionTemplate; both -> GeneralPurposeTemplate. The template's Request Handling "Purpose"
must match: Signature, Encryption, Signature and encryption.
"""
from __future__ import annotations

from typing import Iterable

KEY_USAGE_BITS: dict[str, tuple[int, int]] = {
    "digitalSignature": (0, 0x80),
    "nonRepudiation": (0, 0x40),
    "keyEncipherment": (0, 0x20),
    "dataEncipherment": (0, 0x10),
    "keyAgreement": (0, 0x08),
    "keyCertSign": (0, 0x04),
    "cRLSign": (0, 0x02),
    "encipherOnly": (0, 0x01),
    "decipherOnly": (1, 0x80),
}
KEY_USAGES = tuple(KEY_USAGE_BITS)
_LOWER = {k.lower(): k for k in KEY_USAGES}
_LOWER.update({"contentcommitment": "nonRepudiation", "signature": "digitalSignature"})

# Intune SCEP profiles offer only these two (Graph keyUsages flags).
SCEP_KEY_USAGES = ("digitalSignature", "keyEncipherment")

MSCEP_VALUES = ("SignatureTemplate", "EncryptionTemplate", "GeneralPurposeTemplate")
PURPOSES = {
    "SignatureTemplate": "Signature",
    "EncryptionTemplate": "Encryption",
    "GeneralPurposeTemplate": "Signature and encryption",
}


def canonical_key_usage(name: str) -> str:
    try:
        return _LOWER[name.strip().lower()]
    except KeyError:
        raise ValueError(f"'{name}' is not a key usage; use one of {', '.join(KEY_USAGES)}") from None


def normalize_key_usage(names: list[str]) -> list[str]:
    """Canonical names, de-duplicated, in X.509 bit order (so diffs are stable)."""
    seen = {canonical_key_usage(n) for n in names}
    return [k for k in KEY_USAGES if k in seen]


def key_usage_bytes(names: list[str]) -> bytes:
    """The 2-byte pKIKeyUsage value; digitalSignature + keyEncipherment -> b'\\xa0\\x00'."""
    out = bytearray(2)
    for n in normalize_key_usage(names):
        i, bit = KEY_USAGE_BITS[n]
        out[i] |= bit
    return bytes(out)


def key_usage_from_bytes(raw: bytes) -> list[str]:
    raw = bytes(raw) + b"\x00" * (2 - len(raw))
    return [n for n, (i, bit) in KEY_USAGE_BITS.items() if raw[i] & bit]


def mscep_value_for(scep_key_usage: list[str]) -> str:
    """Which MSCEP registry value the Intune connector reads for this SCEP key usage."""
    ku = set(normalize_key_usage(scep_key_usage))
    sig, enc = "digitalSignature" in ku, "keyEncipherment" in ku
    if sig and enc:
        return "GeneralPurposeTemplate"
    if sig:
        return "SignatureTemplate"
    if enc:
        return "EncryptionTemplate"
    raise ValueError("a SCEP profile's key usage needs digitalSignature, keyEncipherment or both")


def template_purpose(template_key_usage: list[str]) -> str | None:
    """The Request Handling purpose of a template with this key usage, in the console's words (None: neither)."""
    ku = set(normalize_key_usage(template_key_usage))
    if not ku & set(SCEP_KEY_USAGES):
        return None
    return PURPOSES[mscep_value_for(list(ku & set(SCEP_KEY_USAGES)))]


def check_mscep_values(names: Iterable[str]) -> None:
    """Refuse names that are not one of the three MSCEP registry values (the contract, the provider and the
    config use this one rule)."""
    bad = [n for n in names if n not in MSCEP_VALUES]
    if bad:
        raise ValueError(f"{', '.join(repr(b) for b in bad)}: not one of the MSCEP values "
                         f"{', '.join(MSCEP_VALUES)}")


def mscep_mapping(scep_key_usage: list[str], template_name: str) -> dict[str, str]:
    """The MSCEP registry values to set: {value name: template name}."""
    return {mscep_value_for(scep_key_usage): template_name}
