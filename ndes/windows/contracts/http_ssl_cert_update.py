"""HttpSslCertUpdate.ps1: swap the certificate of an existing HTTP.sys SSL binding IN PLACE, with no moment
without a binding, by `netsh http update sslcert ipport=<ip:port> certhash=<hex> appid=<{GUID}> certstorename=MY`.

netsh's `update sslcert` calls HttpUpdateServiceConfiguration(HttpServiceConfigSSLCertInfo), which "updates
atomically a service configuration parameter that specifies a TLS certificate in a configuration record"
(https://learn.microsoft.com/windows/win32/api/http/nf-http-httpupdateserviceconfiguration; the command's
syntax: https://learn.microsoft.com/windows-server/administration/windows-commands/netsh-http). The other way,
IIS's RemoveSslCertificate() + AddSslCertificate() (IisHttpsBinding.ps1's `certificate` action), is
HttpDeleteServiceConfiguration then HttpSetServiceConfiguration: between them the port has no certificate and
TLS handshakes fail.

The script returns netsh's raw output lines and exit code; Python decides (`outcome`). Windows Server 2012 R2's
netsh has no `http update` ("The following command was not found: http update sslcert ...",
MilestoneSystemsInc/PowerShellSamples#9): the caller then falls back to IisHttpsBinding's two-step action.

Every value is validated here AND again in the script: ipport an IPv4/[IPv6] address and port, certhash 40 hex
digits, appid a braced GUID. They travel as separate arguments, never as one command string.
"""
from __future__ import annotations

import re
from typing import Literal

from pydantic import field_validator

from ...model import thumbprints
from . import Contract

SCRIPT = "HttpSslCertUpdate"
IIS_APP_ID = "{4dc3e181-e14b-4a21-b022-59fc669b0914}"
"""The application id IIS registers its https bindings with in HTTP.sys (`netsh http show sslcert` on an IIS
host lists it for every binding IIS made): an update keeps the binding IIS's."""
IPPORT = re.compile(r"^(?:(?:\d{1,3}\.){3}\d{1,3}|\[[0-9A-Fa-f:.]+\]):\d{1,5}$")
APPID = re.compile(r"^\{[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\}$")
NOT_FOUND = "The following command was not found"


class HttpSslCertUpdateParams(Contract):
    mode: Literal["update"] = "update"
    ipport: str
    certhash: str
    appid: str = IIS_APP_ID

    @field_validator("ipport")
    @classmethod
    def _ipport(cls, v: str) -> str:
        if not IPPORT.fullmatch(v) or not 0 < int(v.rsplit(":", 1)[1]) < 65536:
            raise ValueError(f"{v!r} is not an HTTP.sys ipport (0.0.0.0:443, 10.0.0.5:443 or [::]:443)")
        return v

    @field_validator("certhash")
    @classmethod
    def _certhash(cls, v: str) -> str:
        if thumbprints.normalized(v) != v:  # already in the one spelling: netsh gets it as it is
            raise ValueError(f"{v!r} is not a certificate thumbprint (40 upper-case hex digits)")
        return v

    @field_validator("appid")
    @classmethod
    def _appid(cls, v: str) -> str:
        if not APPID.fullmatch(v):
            raise ValueError(f"{v!r} is not a braced GUID")
        return v


class HttpSslCertUpdateState(Contract):
    exit_code: int
    """netsh's exit code ($LASTEXITCODE)."""
    output: list[str] = []
    """netsh's standard output, line by line, as it printed it."""


def ipport_of(binding_information: str) -> str | None:
    """The HTTP.sys ipport IIS registers for a binding without a host name: `*:443:` -> 0.0.0.0:443,
    `10.0.0.5:443:` -> 10.0.0.5:443; None for a host-name binding (SNI: hostnameport, not handled here)."""
    m = re.fullmatch(r"(\*|[0-9.]*|\[[0-9A-Fa-f:.]+\]):(\d+):(.*)", binding_information)
    if m is None or m.group(3):
        return None
    ip, port = m.group(1), m.group(2)
    return f"{'0.0.0.0' if ip in ('*', '') else ip}:{port}"


def outcome(state: HttpSslCertUpdateState) -> Literal["updated", "unsupported", "failed"]:
    """updated (exit 0); unsupported (this netsh has no `http update`: Windows Server 2012 R2); failed."""
    if state.exit_code == 0:
        return "updated"
    if any(NOT_FOUND in line for line in state.output):
        return "unsupported"
    return "failed"
