"""The Enterprise CA and NDES run on different servers (a stack policy).

CA side: the hosts of CaAccess and CaCertificate (their WinRM endpoint), and the CA host named in each
NdesRole's caConfig (<CA host>\\<CA name>). NDES side: the hosts of NdesRole. Two endpoints with the same
WinRM address are the same machine even under two names.
"""
from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from pulumi_policy import EnforcementLevel, ReportViolation, StackValidationPolicy

from ndes.model.rules import same_server

from ._common import host_of, known_str, message, resources_of


def _address(props: dict[str, Any]) -> str | None:
    conn = props.get("connection")
    if isinstance(conn, dict) and isinstance(conn.get("address"), str):
        return conn["address"]  # host:port of the WinRM URL (ndes/providers/connections.py public)
    ep = props.get("endpoint")
    url = ep.get("url") if isinstance(ep, dict) else None
    if not isinstance(url, str):
        return None
    try:
        parts = urlsplit(url)
        return f"{(parts.hostname or '').lower()}:{parts.port or 5986}"
    except ValueError:
        return None


def validate(args: Any, report_violation: ReportViolation) -> None:
    ca_hosts: dict[str, str] = {}   # host -> where it was seen
    ca_addrs: dict[str, str] = {}
    for r, p in resources_of(args, "CaAccess", "CaCertificate"):
        if host_of(p):
            ca_hosts.setdefault(host_of(p), r.name)
        if _address(p):
            ca_addrs.setdefault(_address(p), host_of(p) or r.name)
    for r, p in resources_of(args, "NdesRole"):
        cfg = known_str(p.get("caConfig"))
        if cfg and "\\" in cfg:
            ca_hosts.setdefault(cfg.split("\\", 1)[0].strip().lower().rstrip("."), f"{r.name} caConfig")
    for r, p in resources_of(args, "NdesRole"):
        host, addr = host_of(p), _address(p)
        clash, ca = None, next((ca for ca in ca_hosts if same_server(host or "", ca)), None)
        if ca is not None:
            clash = f"NDES is installed on {host}, which is also the Enterprise CA ({ca_hosts[ca]})"
        elif addr and addr in ca_addrs:
            clash = (f"NDES on {host or r.name} and the CA on {ca_addrs[addr]} are reached at the same WinRM "
                     f"address {addr}: one machine")
        if clash:
            report_violation(message(
                clash,
                "Microsoft does not support NDES on the CA server: the NDES role's service account and RA keys "
                "would live on the CA, and a compromised IIS front end would hold the CA's signing key",
                "ndes:ca.host / ndes:ndesHosts[].fqdn", "put NDES on another server than the Enterprise CA"),
                r.urn)


separate_hosts = StackValidationPolicy(
    name="ca-ndes-separate-hosts",
    description="The Enterprise CA and the NDES role run on different hosts.",
    validate=validate,
    enforcement_level=EnforcementLevel.MANDATORY,
)

POLICIES = [separate_hosts]
