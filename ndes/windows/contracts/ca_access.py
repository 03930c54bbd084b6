"""CaAccess.ps1: "Request Certificates" (Enroll 0x200) of one account in the Enterprise CA's own security
descriptor (CertSvc\\Configuration\\<CA key>\\Security, REG_BINARY), read-modify-write of that account's one
access-allowed ACE; CertSvc restarted only when the descriptor changed (the CA reads it at start).

The CA's key is found as Windows names it: `CertSvc\\Configuration` value `Active` holds the (sanitized) name of
the active CA's key, whose `CommonName` value is the CA's common name. Registry keys use the SANITIZED name
(ICertConfig::GetConfig remarks: a `#` becomes `!0023`, MS-WCCE 3.1.1.4.1.1), so the common name is never used as
a key path. The script reports the key and the common name; whether this is the CA the configuration names is
decided here (`is_ca`, case-insensitive as Windows compares CA names).
"""
from __future__ import annotations

from typing import Literal

from . import Contract

SCRIPT = "CaAccess"
ENROLL = 0x200
READ = 0x100


class CaAccessParams(Contract):
    mode: Literal["get", "set"]
    ensure: Literal["present", "absent"] = "present"
    ca_name: str
    """The CA's common name as configured (ndes:ca.commonName): set acts only on the active CA of that name."""
    account: str
    """DOMAIN\\name."""
    account_sid: str = ""
    """The account's SID when known (else NTAccount.Translate on the CA host)."""
    owner: str = ""


class CaAccessState(Contract):
    exists: bool
    """A CA is configured on this host (CertSvc\\Configuration has an Active value naming an existing key)."""
    config_key: str = ""
    """The active CA's key name under CertSvc\\Configuration (the sanitized common name)."""
    common_name: str = ""
    """Its CommonName value."""
    present: bool = False
    """The account's allow ACE grants Enroll."""
    mask: int = 0
    denied: bool = False
    """A deny ACE for the account covers Enroll."""
    account_sid: str = ""
    restarted: bool = False
    owner: str = ""


def is_ca(state: CaAccessState, ca_name: str) -> bool:
    """The host's active CA is the one named `ca_name` (CA names compare without case, as Windows does)."""
    return state.exists and state.common_name.casefold() == ca_name.casefold()


def owner_mark(ca_name: str, account: str) -> str:
    return f"CaAccess:{ca_name}:{account}"
