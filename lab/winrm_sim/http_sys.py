"""HTTP.sys's SSL certificate bindings as the simulated IIS host keeps them: the certificate of an https binding
without a host name is HTTP.sys's record for its ipport (`*:443:` -> 0.0.0.0:443), which IIS's Get-WebBinding
reads back as certificateHash.

A swap made of two calls (IIS's RemoveSslCertificate() then AddSslCertificate(): HttpDeleteServiceConfiguration,
then HttpSetServiceConfiguration) leaves the ipport without a record between them, and TLS handshakes on it
fail. The simulator applies a script's actions in one step, so a client could never see that moment; instead
every such moment is RECORDED here (`state["httpSys"]["absences"]`) so a test can tell a swap that had one from
one that had none (netsh http update sslcert: HttpUpdateServiceConfiguration, atomic).
"""
from __future__ import annotations

from typing import Any

from ndes.windows.contracts.http_ssl_cert_update import ipport_of

from . import clock

KEEP = 50


def record_absence(state: dict[str, Any], binding_information: str, thumbprint: str, by: str) -> None:
    """The ipport of `binding_information` had no SSL record for a moment (its certificate `thumbprint` removed)."""
    ipport = ipport_of(binding_information)
    if ipport is None or not thumbprint:
        return
    log = state.setdefault("httpSys", {}).setdefault("absences", [])
    log.append({"ipport": ipport, "thumbprint": thumbprint.upper(), "by": by,
                "at": clock.now().strftime("%Y-%m-%dT%H:%M:%S.%fZ")})
    del log[:-KEEP]


def absences(state: dict[str, Any]) -> list[dict[str, Any]]:
    return list((state.get("httpSys") or {}).get("absences") or [])


def records(state: dict[str, Any], ipport: str) -> list[dict[str, Any]]:
    """The https bindings (of every site) whose certificate is HTTP.sys's record for `ipport`."""
    sites = ((state.get("iis") or {}).get("sites") or {}).values()
    return [b for s in sites for b in s.get("bindings", []) if b.get("protocol") == "https"
            and b.get("certificateHash") and ipport_of(b["bindingInformation"]) == ipport]
