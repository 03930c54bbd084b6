"""MachineCertificate.ps1: certificates in LocalMachine\\My, read as raw facts (DER, Windows' name strings) and
changed by three primitive actions Python decides on (ndes/windows/certificates.py interprets the DER).

get: `certificate` = the certificate `thumbprint` (None when it is not in the store); with `listStore`, `store`
    = every certificate of LocalMachine\\My (adoption and crash recovery look for a match there).
set: action `enroll`  a request from <template> as the computer (CertEnroll: Get-Certificate takes no key
                      length) with a <keyLength>-bit key, Subject <subject>, DNS names <dnsNames>, enrolled into the
                      store, FriendlyName <friendlyName>; `certificate` = the new one;
     action `mark`    FriendlyName of `thumbprint` := friendlyName;
     action `remove`  delete `thumbprint` with its private key (gone already: nothing to do).
"""
from __future__ import annotations

from typing import Literal

from . import Contract

SCRIPT = "MachineCertificate"


class CertificateFacts(Contract):
    """One certificate as the script reads it from Cert:\\LocalMachine\\My."""
    thumbprint: str
    der_base64: str
    """The certificate's DER (RawData), base64: every decision is taken from it, in Python."""
    subject: str
    """X509Certificate2.Subject as Windows spells it (for messages)."""
    issuer: str
    friendly_name: str = ""
    has_private_key: bool = False


class MachineCertificateParams(Contract):
    mode: Literal["get", "set"]
    thumbprint: str = ""
    list_store: bool = False
    action: Literal["", "enroll", "mark", "remove"] = ""
    template: str = ""
    """enroll: the template's name (cn), as Get-Certificate -Template takes it."""
    subject: str = ""
    dns_names: list[str] = []
    key_length: int = 0
    """enroll: the private key's length in bits (IX509PrivateKey.Length); 0 keeps the template's minimum."""
    friendly_name: str = ""


class MachineCertificateState(Contract):
    certificate: CertificateFacts | None = None
    store: list[CertificateFacts] = []
