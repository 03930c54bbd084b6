"""HTTP.sys's SSL certificate bindings as the simulated IIS host keeps them: the certificate of an https binding
without a host name is HTTP.sys's record for its ipport (`*:443:` -> 0.0.0.0:443), which IIS's Get-WebBinding
reads back as certificateHash.

A swap made of two calls (IIS's RemoveSslCertificate() then AddSslCertificate(): HttpDeleteServiceConfiguration,
then HttpSetServiceConfiguration) leaves the ipport without a record between them, and TLS handshakes on it
fail. The simulator applies a script's actions in one step, so a client could never see that moment; instead
every such moment is RECORDED here (`state["httpSys"]["absences"]`) so a test can tell a swap that had one from
one that had none (netsh http update sslcert: HttpUpdateServiceConfiguration, atomic).

A record's other settings (`state["httpSys"]["settings"][ipport]`: netsh parameter -> value as last given; a
parameter absent is at netsh's default) are what `netsh http show sslcert` prints (`show_lines`); a deleted record takes them with it.
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
    state.setdefault("httpSys", {}).setdefault("settings", {}).pop(ipport, None)  # the record is deleted
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


def settings(state: dict[str, Any], ipport: str) -> dict[str, str]:
    """The record's settings as last given (netsh parameter -> value, as `update sslcert` takes them)."""
    return dict(((state.get("httpSys") or {}).get("settings") or {}).get(ipport) or {})


def set_settings(state: dict[str, Any], ipport: str, values: dict[str, str]) -> None:
    state.setdefault("httpSys", {}).setdefault("settings", {})[ipport] = dict(values)


# `netsh http show sslcert`'s lines in its order: (label, netsh parameter or None, default shown). The labels, the
# order and the defaults are aspnet/Benchmarks' "Example of output" (src/BenchmarksApps/TLS/HttpSys/NetSh/
# NetShWrapper.cs); the DefaultFlags bits print Set / Not Set (MicrosoftDocs/security Disable-Legacy-TLS.md).
SHOW = [("Verify Client Certificate Revocation", "verifyclientcertrevocation", "Enabled"),
        ("Verify Revocation Using Cached Client Certificate Only", "verifyrevocationwithcachedclientcertonly",
         "Disabled"),
        ("Usage Check", "usagecheck", "Enabled"), ("Revocation Freshness Time", "revocationfreshnesstime", "0"),
        ("URL Retrieval Timeout", "urlretrievaltimeout", "0"), ("Ctl Identifier", "sslctlidentifier", "(null)"),
        ("Ctl Store Name", "sslctlstorename", "(null)"), ("DS Mapper Usage", "dsmapperusage", "Disabled"),
        ("Negotiate Client Certificate", "clientcertnegotiation", "Disabled"),
        ("Reject Connections", "reject", "Disabled"), ("Disable HTTP2", "disablehttp2", "Not Set"),
        ("Disable QUIC", "disablequic", "Not Set"), ("Disable TLS1.2", "disabletls12", "Not Set"),
        ("Disable TLS1.3", "disabletls13", "Not Set"), ("Disable OCSP Stapling", "disableocspstapling", "Not Set"),
        ("Enable Token Binding", "enabletokenbinding", "Not Set"),
        ("Log Extended Events", "logextendedevents", "Not Set"),
        ("Disable Legacy TLS Versions", "disablelegacytls", "Not Set"),
        ("Enable Session Ticket", "enablesessionticket", "Not Set"),
        ("Disable Session ID", "disablesessionid", "Not Set"),
        ("Enable Caching Client Hello", None, "Not Set")]


def show_lines(state: dict[str, Any], ipport: str, binding: dict[str, Any]) -> list[str]:
    """`netsh http show sslcert ipport=<ipport>` for the record `binding` carries."""
    mine = settings(state, ipport)
    out = ["", "SSL Certificate bindings:", "-------------------------", "",
           f"    IP:port                      : {ipport}",
           f"    Certificate Hash             : {binding['certificateHash'].lower()}",
           f"    Application ID               : {binding.get('appId') or '{4dc3e181-e14b-4a21-b022-59fc669b0914}'}",
           f"    Certificate Store Name       : {binding.get('certificateStoreName') or 'MY'}"]
    for label, name, default in SHOW:
        value = mine.get(name or "", "") or default
        if name in mine and default in ("Enabled", "Disabled"):
            value = "Enabled" if mine[name] == "enable" else "Disabled"
        elif name in mine and default == "Not Set":
            value = "Set" if mine[name] == "enable" else "Not Set"
        out.append(f"    {label:<28} : {value}")
    return out + [""]
