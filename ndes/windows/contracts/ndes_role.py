"""NdesRole.ps1: Install-AdcsNetworkDeviceEnrollmentService / Uninstall-..., and the installed configuration
as raw facts: the SCEP app pool's identity as Windows spells it, CAInfo's Configuration, and every certificate
in LocalMachine\\My that carries a v1 template-name extension (the RA certificates are among them), as DER
plus the CSP of its key. Which of them are the RA certificates, and what their subjects say, is decided in
Python (ndes/windows/certificates.py): no subject text is parsed, so RDN values with commas or quotes are read
as they are.
"""
from __future__ import annotations

from typing import Literal

from pydantic import Field

from typing import TYPE_CHECKING

from . import Contract
from .machine_certificate import CertificateFacts

if TYPE_CHECKING:
    from ..certificates import Certificate

SCRIPT = "NdesRole"
RA_TEMPLATES = ("EnrollmentAgentOffline", "CEPEncryption")


class RaCertificateFacts(CertificateFacts):
    provider: str = ""
    """The key's CSP (CspKeyContainerInfo.ProviderName; '' when it cannot be read, e.g. a CNG key)."""


class InstallCredentialParams(Contract):
    """-Credential of the install (ndes:ndesRole.installCredential): a Domain Admins member."""
    username: str
    password: str = Field(repr=False)


class NdesRoleParams(Contract):
    mode: Literal["get", "set"]
    ensure: Literal["present", "absent"] = "present"
    service_account: str
    service_account_password: str = ""
    ca_config: str
    ra_name: str
    ra_email: str = ""
    ra_company: str = ""
    ra_department: str = ""
    ra_city: str = ""
    ra_state: str = ""
    ra_country: str = ""
    signing_provider: str
    signing_key_length: int
    encryption_provider: str
    encryption_key_length: int
    owner: str = ""
    allow_reinstall: bool = False
    install: bool = False
    """set: run Install-AdcsNetworkDeviceEnrollmentService (Python decided NDES is not configured)."""
    repair: bool = False
    """set: uninstall first (Python found a half-finished configuration), then install."""
    remove_thumbprints: list[str] = []
    """ensure absent: the RA certificates to delete with their keys (Python picks them from the state)."""
    install_credential: InstallCredentialParams | None = Field(default=None, repr=False)
    """set: the account the install reaches AD and the CA as (None: the caller, over a delegating logon)."""


class NdesRoleState(Contract):
    mscep_key: bool
    """HKLM:\\SOFTWARE\\Microsoft\\Cryptography\\MSCEP exists."""
    app_pool: bool = False
    """IIS:\\AppPools\\SCEP exists."""
    application: bool = False
    """The /CertSrv/mscep application exists in the Default Web Site."""
    service_account: str = ""
    """The SCEP app pool's processModel.userName, as Windows spells it (e.g. contoso\\svc-ndes)."""
    ca_config: str | None = None
    ra_certificates: list[RaCertificateFacts] = []
    owner: str = ""


def ra_certificates(state: NdesRoleState) -> list[tuple["Certificate", str]]:
    """The RA certificates among the state's certificates (their v1 template name says so), decoded, with the
    CSP of each key."""
    from ..certificates import decode
    out = []
    for facts in state.ra_certificates:
        cert = decode(facts)
        if cert.template_name in RA_TEMPLATES:
            out.append((cert, facts.provider))
    return out


def configured(state: NdesRoleState) -> bool:
    """NDES is installed AND configured: the MSCEP key, the SCEP application pool, the /CertSrv/mscep application
    and both RA certificates (the key alone also holds values other tools write; a failed install leaves parts)."""
    templates = {c.template_name for c, _ in ra_certificates(state)}
    return state.mscep_key and state.app_pool and state.application and set(RA_TEMPLATES) <= templates


def half_finished(state: NdesRoleState) -> bool:
    """Some of NDES's configuration is there, not all of it: a failed or interrupted install."""
    return (state.mscep_key or state.app_pool or state.application) and not configured(state)


def missing_parts(state: NdesRoleState) -> list[str]:
    templates = {c.template_name for c, _ in ra_certificates(state)}
    parts = [("the MSCEP registry key", state.mscep_key), ("the SCEP application pool", state.app_pool),
             ("the /CertSrv/mscep application", state.application)]
    return [name for name, there in parts if not there] + \
        [f"the {t} RA certificate" for t in RA_TEMPLATES if t not in templates]


def newest(certs: list[tuple["Certificate", str]], template: str) -> tuple["Certificate", str] | None:
    mine = [c for c in certs if c[0].template_name == template]
    return max(mine, key=lambda c: c[0].not_before) if mine else None
