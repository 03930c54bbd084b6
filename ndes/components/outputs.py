"""What an operator reads after an `up` (`pulumi stack output`): the chain's results, not its configuration.

    caCertificates        root and issuing CA thumbprints and expiry
    ndesHostState         per NDES host: SCEP URL, SSL thumbprint and expiry, RA certificates' expiry and days
                          left, the connector's registration, instruction and certificate expiry
    appProxyApplications  per NDES host: application id, object id, service principal id, external URL
    intuneProfileIds      trusted root, issuing CA and SCEP profile ids per platform
    notes                 what a resource reported for a person to act on (a restart pending with allowReboot
                          off, NDES installed with other settings than declared, CA changes), "<resource>: <note>"
"""
from __future__ import annotations

from typing import Any

import pulumi


def notes_of(resources: list[pulumi.Resource]) -> pulumi.Output[list[str]]:
    """The `notes` outputs of these resources, each prefixed with its resource's name."""
    parts = [pulumi.Output.all(r.urn, getattr(r, "notes")).apply(
        lambda a: [f"{a[0].rsplit('::', 1)[-1]}: {n}" for n in (a[1] or [])])
        for r in resources if "notes" in getattr(type(r), "__annotations__", {})]
    return pulumi.Output.all(*parts).apply(lambda ls: [n for lst in ls for n in lst])


def operator_outputs(outputs: dict[str, Any], resources: list[pulumi.Resource]) -> dict[str, Any]:
    """The stack outputs above from NdesScepDeployment's chain outputs (a plane left out gives an empty value)."""
    hosts = {fqdn: {k: v for k, v in o.items() if k != "fqdn"} for fqdn, o in (outputs.get("ndesHosts") or {}).items()}
    return {
        "caCertificates": outputs.get("caHost") or {},
        "ndesHostState": hosts,
        "appProxyApplications": outputs.get("appProxy") or {},
        "intuneProfileIds": outputs.get("intune") or {},
        "notes": notes_of(resources),
    }
