"""The Intune Certificate Connector's certificate: read, warned ahead of time, with the renewal step.

The connector authenticates to Intune with a certificate it enrolled when an administrator signed in to its
configuration UI; once it expires, the Intune policy module cannot validate challenges and devices get IIS 403.17
(a reader of the seed guide). Renewal is the same sign-in again: run the connector's configuration
(PFXCertificateConnectorUI.exe) on the NDES host and sign in as a Global or Intune Administrator ("you can run
configuration of the connector again at any time", Microsoft Learn, "Certificate Connector for Microsoft Intune"
overview). No documented non-interactive way exists, so the project warns and says the step; it never fakes it.
"""
from __future__ import annotations

WARN_DAYS = 30
UI = r"%ProgramFiles%\Microsoft Intune\PFXCertificateConnector\ConnectorUI\PFXCertificateConnectorUI.exe"
STEP = (f"on the NDES host run {UI} and sign in as a Global or Intune Administrator: the connector enrolls a new "
        "certificate (no documented non-interactive way)")


def certificate_warning(host: str, days_left: int | None, not_after: str) -> str | None:
    """The warning for a connector certificate with `days_left` days left (None when there is nothing to say)."""
    if days_left is None:
        return None
    if days_left < 0:
        return (f"the Intune connector's certificate on {host} expired {not_after}: devices get IIS 403.17; "
                f"{STEP}")
    if days_left <= WARN_DAYS:
        return f"the Intune connector's certificate on {host} expires {not_after} ({days_left} days left): {STEP}"
    return None
