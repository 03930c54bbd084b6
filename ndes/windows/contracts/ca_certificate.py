"""CaCertificate.ps1 (read-only): the active CA's current signing certificate (what `certutil -ca.cert` exports)
and the root of its chain. The CA's key is found through CertSvc\\Configuration `Active` (its sanitized name, see
contracts/ca_access.py); the last CACertHash value names the current certificate in LocalMachine\\My; the chain
is built by .NET. Whether the active CA is the configured one is decided here (`is_ca`).
"""
from __future__ import annotations

from typing import Literal

from . import Contract

SCRIPT = "CaCertificate"


class CaCertificateParams(Contract):
    mode: Literal["get"]
    ca_name: str = ""
    """The configured common name (for messages; the script reads the host's active CA)."""


class CaCertFacts(Contract):
    der_base64: str
    pem: str
    thumbprint: str
    subject: str
    not_after: str
    """UTC, ISO 8601 (yyyy-MM-ddTHH:mm:ssZ)."""
    self_signed: bool = False


class CaCertificateState(Contract):
    exists: bool
    config_key: str = ""
    common_name: str = ""
    issuing: CaCertFacts | None = None
    root: CaCertFacts | None = None


def is_ca(state: CaCertificateState, ca_name: str) -> bool:
    return state.exists and state.issuing is not None and state.root is not None and \
        state.common_name.casefold() == ca_name.casefold()


__all__ = ["CaCertFacts", "CaCertificateParams", "CaCertificateState", "SCRIPT", "is_ca"]
