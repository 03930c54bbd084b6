"""Extended key usages by name and OID."""
from __future__ import annotations

import re

EKU_OIDS: dict[str, str] = {
    "serverAuth": "1.3.6.1.5.5.7.3.1",
    "clientAuth": "1.3.6.1.5.5.7.3.2",
    "codeSigning": "1.3.6.1.5.5.7.3.3",
    "emailProtection": "1.3.6.1.5.5.7.3.4",
    "ipsecEndSystem": "1.3.6.1.5.5.7.3.5",
    "timeStamping": "1.3.6.1.5.5.7.3.8",
    "ocspSigning": "1.3.6.1.5.5.7.3.9",
    "ipsecIke": "1.3.6.1.5.5.8.2.2",
    "smartcardLogon": "1.3.6.1.4.1.311.20.2.2",
    "encryptingFileSystem": "1.3.6.1.4.1.311.10.3.4",
    "certificateRequestAgent": "1.3.6.1.4.1.311.20.2.1",
    "anyPurpose": "2.5.29.37.0",
}
EKU_NAMES = {v: k for k, v in EKU_OIDS.items()}
# Names as Intune's portal shows them (Graph extendedKeyUsages[].name).
EKU_DISPLAY = {
    "serverAuth": "Server Authentication",
    "clientAuth": "Client Authentication",
    "codeSigning": "Code Signing",
    "emailProtection": "Secure Email",
    "smartcardLogon": "Smart Card Logon",
    "encryptingFileSystem": "Encrypting File System",
    "anyPurpose": "Any Purpose",
}
_LOWER = {k.lower(): k for k in EKU_OIDS}
_OID = re.compile(r"^[0-2](\.(0|[1-9]\d*))+$")


def canonical_eku(name: str) -> str:
    """A known name in canonical case, or a dotted OID for one with no name."""
    s = name.strip()
    if s.lower() in _LOWER:
        return _LOWER[s.lower()]
    if _OID.match(s):
        return EKU_NAMES.get(s, s)
    raise ValueError(f"'{name}' is not an extended key usage; use a name ({', '.join(EKU_OIDS)}) or a dotted OID")


def normalize_ekus(names: list[str]) -> list[str]:
    out: list[str] = []
    for n in names:
        c = canonical_eku(n)
        if c not in out:
            out.append(c)
    return sorted(out, key=lambda c: eku_oid(c))


def eku_oid(name: str) -> str:
    return EKU_OIDS.get(name, name)


def eku_name(oid: str) -> str:
    return EKU_NAMES.get(oid, oid)
