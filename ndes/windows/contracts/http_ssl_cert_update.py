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

The record's OTHER settings are passed again (mode `read` first: `netsh http show sslcert ipport=<ip:port>`'s raw
lines; `update_settings` decides; mode `update` passes them). The update replaces the whole record: the API
takes a complete HTTP_SERVICE_CONFIG_SSL_SET (its ParamDesc: DefaultCertCheckMode, DefaultRevocationFreshnessTime,
DefaultRevocationUrlRetrievalTimeout, SslCtlIdentifier, SslCtlStoreName, DefaultFlags;
https://learn.microsoft.com/windows/win32/api/http/ns-http-http_service_config_ssl_param), and tools calling it
with only a certificate lost the binding's flags (win-acme/win-acme#2831: dsmapperusage, clientcertnegotiation;
webprofusion/certify#588: Disable Legacy TLS, QUIC, HTTP/2). Whether netsh itself re-reads the record and keeps
what is not given is documented nowhere (MicrosoftDocs/windowsserverdocs#4791: `update sslcert` is undocumented);
Microsoft's own aspnet/Benchmarks re-passes the values it read with `show sslcert` on `update`
(src/BenchmarksApps/TLS/HttpSys/NetSh/NetShWrapper.cs), and so does this contract. Only settings that differ from
netsh's defaults are passed: the result is the same whether netsh keeps or resets, and a netsh that does not know
a newer flag is never given it unless the record has it set. A set flag this module has no netsh parameter for
is refused (`UnknownSetting`) rather than silently lost.

Every value is validated here AND again in the script: ipport an IPv4/[IPv6] address and port, certhash 40 hex
digits, appid a braced GUID, each setting one `name=value` word matching SETTING. They travel as separate
arguments, never as one command string.
"""
from __future__ import annotations

import re
from typing import Literal

from pydantic import field_validator, model_validator

from ...model import thumbprints
from . import Contract

SCRIPT = "HttpSslCertUpdate"
IIS_APP_ID = "{4dc3e181-e14b-4a21-b022-59fc669b0914}"
"""The application id IIS registers its https bindings with in HTTP.sys (`netsh http show sslcert` on an IIS
host lists it for every binding IIS made): an update keeps the binding IIS's."""
IPPORT = re.compile(r"^(?:(?:\d{1,3}\.){3}\d{1,3}|\[[0-9A-Fa-f:.]+\]):\d{1,5}$")
APPID = re.compile(r"^\{[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\}$")
NOT_FOUND = "The following command was not found"
_ON_OFF = ("verifyclientcertrevocation|verifyrevocationwithcachedclientcertonly|usagecheck|dsmapperusage|"
           "clientcertnegotiation|reject|disablehttp2|disablequic|disabletls12|disabletls13|disablelegacytls|"
           "disableocspstapling|enabletokenbinding|logextendedevents|enablesessionticket|disablesessionid")
SETTING = (rf"^(?:(?:{_ON_OFF})=(?:enable|disable)|(?:revocationfreshnesstime|urlretrievaltimeout)=[0-9]{{1,10}}"
           r"|(?:sslctlidentifier|sslctlstorename)=[A-Za-z0-9_.-]{1,64})$")
"""One argument `update sslcert` takes beside the certificate (`netsh http add sslcert help` on current Windows,
quoted in microsoft/IIS.WebManager#510; disablesessionid: aspnet/Benchmarks NetShWrapper.cs). The same pattern
guards the script (tests/windows/test_ps1_static.py compares them)."""


class HttpSslCertUpdateParams(Contract):
    mode: Literal["read", "update"] = "update"
    """read: `netsh http show sslcert ipport=..` (raw lines); update: `netsh http update sslcert ..`."""
    ipport: str
    certhash: str = ""
    appid: str = IIS_APP_ID
    settings: list[str] = []
    """The record's other settings to pass again (`update_settings`), one `name=value` word each."""

    @field_validator("ipport")
    @classmethod
    def _ipport(cls, v: str) -> str:
        if not IPPORT.fullmatch(v) or not 0 < int(v.rsplit(":", 1)[1]) < 65536:
            raise ValueError(f"{v!r} is not an HTTP.sys ipport (0.0.0.0:443, 10.0.0.5:443 or [::]:443)")
        return v

    @field_validator("certhash")
    @classmethod
    def _certhash(cls, v: str) -> str:
        if v and thumbprints.normalized(v) != v:  # already in the one spelling: netsh gets it as it is
            raise ValueError(f"{v!r} is not a certificate thumbprint (40 upper-case hex digits)")
        return v

    @field_validator("appid")
    @classmethod
    def _appid(cls, v: str) -> str:
        if not APPID.fullmatch(v):
            raise ValueError(f"{v!r} is not a braced GUID")
        return v

    @field_validator("settings")
    @classmethod
    def _settings(cls, v: list[str]) -> list[str]:
        names = [s.split("=", 1)[0] for s in v]
        bad = [s for s in v if not re.fullmatch(SETTING, s)]
        if bad or len(set(names)) != len(names):
            raise ValueError(f"{bad or v!r}: each setting is one netsh `name=value` word, each name once")
        return v

    @model_validator(mode="after")
    def _update_needs_a_certificate(self) -> "HttpSslCertUpdateParams":
        if self.mode == "update" and not self.certhash:
            raise ValueError("mode update needs certhash")
        if self.mode == "read" and (self.certhash or self.settings):
            raise ValueError("mode read takes only the ipport")
        return self


class HttpSslCertUpdateState(Contract):
    exit_code: int
    """netsh's exit code ($LASTEXITCODE)."""
    output: list[str] = []
    """netsh's standard output, line by line, as it printed it (`show sslcert` in mode read)."""


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


class UnknownSetting(ValueError):
    """The record has a setting on that this module cannot pass again: updating would drop it."""


# `netsh http show sslcert` labels -> (update parameter, the value netsh's add gives when it is not passed).
# Labels and defaults: the output after a bare `add sslcert` (microsoft/azure-pipelines-extensions#140) and the
# Windows Server 2022-era example in aspnet/Benchmarks NetShWrapper.cs; "Set"/"Not Set" is netsh's wording for the
# DefaultFlags bits (MicrosoftDocs/security `Disable-Legacy-TLS.md`: "Watch for Disable Legacy TLS Versions:
# Set/Not Set").
_SWITCHES = {"Verify Client Certificate Revocation": ("verifyclientcertrevocation", True),
             "Verify Revocation Using Cached Client Certificate Only": ("verifyrevocationwithcachedclientcertonly",
                                                                        False),
             "Usage Check": ("usagecheck", True), "DS Mapper Usage": ("dsmapperusage", False),
             "Negotiate Client Certificate": ("clientcertnegotiation", False), "Reject Connections": ("reject", False),
             "Disable HTTP2": ("disablehttp2", False), "Disable QUIC": ("disablequic", False),
             "Disable TLS1.2": ("disabletls12", False), "Disable TLS1.3": ("disabletls13", False),
             "Disable OCSP Stapling": ("disableocspstapling", False),
             "Enable Token Binding": ("enabletokenbinding", False), "Log Extended Events": ("logextendedevents", False),
             "Disable Legacy TLS Versions": ("disablelegacytls", False),
             "Enable Session Ticket": ("enablesessionticket", False), "Disable Session ID": ("disablesessionid", False)}
_NUMBERS = {"Revocation Freshness Time": "revocationfreshnesstime", "URL Retrieval Timeout": "urlretrievaltimeout"}
_NAMES = {"Ctl Identifier": "sslctlidentifier", "Ctl Store Name": "sslctlstorename"}
_THE_CERTIFICATE = {"IP:port", "Hostname:port", "Central Certificate Store", "Certificate Hash", "Application ID",
                    "Certificate Store Name"}
_ON, _OFF = {"enabled", "set", "enable"}, {"disabled", "not set", "disable"}
_LINE = re.compile(r"^\s*(\S.*?)\s*:\s+(.*?)\s*$")


def record_of(lines: list[str]) -> dict[str, str]:
    """`netsh http show sslcert ipport=..`'s lines as label -> value, up to its Extended Properties (the
    HttpServiceConfigSslCertInfoEx records, which `update sslcert` does not take)."""
    out: dict[str, str] = {}
    for line in lines:
        if line.strip().rstrip(":") == "Extended Properties":
            break
        m = _LINE.match(line)
        if m:
            out.setdefault(m.group(1), m.group(2))
    return out


def update_settings(lines: list[str]) -> list[str]:
    """The `name=value` arguments that keep the record's settings through `update sslcert`: each one that differs
    from netsh's default, in netsh's order. UnknownSetting for a setting on that has no parameter here."""
    out: list[str] = []
    for label, value in record_of(lines).items():
        v = value.lower()
        if label in _SWITCHES:
            name, default = _SWITCHES[label]
            if v not in _ON | _OFF:
                raise UnknownSetting(f"{label}: {value!r} is neither on nor off")
            if (v in _ON) != default:
                out.append(f"{name}={'enable' if v in _ON else 'disable'}")
        elif label in _NUMBERS:
            if not re.fullmatch(r"[0-9]{1,10}", value):
                raise UnknownSetting(f"{label}: {value!r} is not a number")
            if int(value):
                out.append(f"{_NUMBERS[label]}={value}")
        elif label in _NAMES:
            if value != "(null)":
                out.append(f"{_NAMES[label]}={value}")
        elif label not in _THE_CERTIFICATE and v in _ON:
            raise UnknownSetting(f"{label}: {value}")
    bad = [s for s in out if not re.fullmatch(SETTING, s)]
    if bad:
        raise UnknownSetting(f"{', '.join(bad)}: not a value netsh can be given as one argument")
    return out
