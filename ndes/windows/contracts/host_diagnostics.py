"""HostDiagnostics.ps1: the facts Microsoft's Validate-NDESConfiguration script checks on the NDES host, read
only, in Windows' own shapes; `ndes verify` (ndes/verify/host_checks.py) decides on them.

os            Win32_OperatingSystem Caption / Version / LastBootUpTime (UTC)
ieEsc         IsInstalled of the two Active Setup components of IE Enhanced Security Configuration
              ({A509B1A7-37EF-4b3f-8CFC-4F3A74704073} administrators, {A509B1A8-...} users); None when absent
administrators  the local Administrators group's members as ADSI WinNT paths (WinNT://DOMAIN/name)
rootStore     LocalMachine\\Root, each certificate's DER (Python tells a root from an intermediate)
features      the named Windows features and whether each is installed (Get-WindowsFeature)
bareMscep     the HTTP status of a bare GET of https://<hostFqdn>/certsrv/mscep/mscep.dll on the host itself
              (403 = the Intune policy module answers; 200 = plain NDES, no connector), 0 with `bareMscepError`
outbound      per endpoint: an HTTPS request through the system proxy (WinINet/.NET default proxy) reached it or
              not (any HTTP answer counts as reached), with the error text
proxy         the .NET default proxy for https://<first endpoint> ('' when direct)
events        the newest NDES and connector errors from the event logs (EventLogReader, a fixed XPath query)
mscepLog      the last mscep.dll lines of the newest W3SVC1 IIS log
userRights    the logon rights group policy assigns (RSOP_UserPrivilegeRight), right -> accounts
connectorCertificate  the DER of the Intune connector's certificate (EncryptionCertThumbprint in LocalMachine\\My)
"""
from __future__ import annotations

from typing import Literal

from . import Contract

SCRIPT = "HostDiagnostics"
ESC_ADMIN = "{A509B1A7-37EF-4b3f-8CFC-4F3A74704073}"
ESC_USER = "{A509B1A8-37EF-4b3f-8CFC-4F3A74704073}"


class HostDiagnosticsParams(Contract):
    mode: Literal["get"] = "get"
    host_fqdn: str
    features: list[str] = []
    endpoints: list[str] = []
    """https://host[:port]/ URLs the host must reach (Intune, App Proxy)."""


class OsFacts(Contract):
    caption: str = ""
    version: str = ""
    last_boot_up_time: str = ""


class FeatureFact(Contract):
    name: str
    installed: bool


class Reach(Contract):
    url: str
    reached: bool
    error: str = ""


class EventFact(Contract):
    log: str
    provider: str
    id: int = 0
    level: str = ""
    """Error | Critical (only these are read)."""
    time_created: str = ""
    message: str = ""


class HostDiagnosticsState(Contract):
    now: str = ""
    """The host's clock, UTC."""
    os: OsFacts = OsFacts()
    ie_esc_admin: int | None = None
    ie_esc_user: int | None = None
    administrators: list[str] = []
    root_store: list[str] = []
    """base64 DER of each certificate in LocalMachine\\Root."""
    features: list[FeatureFact] = []
    bare_mscep: int = 0
    bare_mscep_error: str = ""
    outbound: list[Reach] = []
    proxy: str = ""
    events: list[EventFact] = []
    """The newest errors (up to 20) of NDES (Application: Microsoft-Windows-NetworkDeviceEnrollmentService,
    NDESConnector) and of the connector (Microsoft-Intune-CertificateConnectors/Admin), newest first."""
    mscep_log: list[str] = []
    """The last `mscep.dll` lines (up to 50) of the newest IIS log of the Default Web Site (W3SVC1), W3C format."""
    user_rights: dict[str, list[str]] = {}
    """Logon rights assigned by policy (RSOP_UserPrivilegeRight in root\\rsop\\computer): right -> accounts as
    policy names them (DOMAIN\\name or *SID). Rights set only in the local policy (secedit) are not visible."""
    connector_certificate: str = ""
    """base64 DER of the certificate the connector names in PFXCertificateConnector EncryptionCertThumbprint
    ('' when none: not installed or not registered)."""
