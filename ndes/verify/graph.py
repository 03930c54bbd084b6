"""Graph checks: each NDES host's App Proxy application, the trusted certificate profiles and the SCEP profiles,
read through their providers as `pulumi refresh` reads them (owned.py). The profiles' certificates come from
the CA's CaCertificate as its provider reads it; the SCEP profiles' root is the trusted root profile read first.
"""
from __future__ import annotations

import dataclasses
from typing import Any

from ..declare import graph as declared, hosts
from ..model.config import DeploymentConfig, NdesHostConfig
from ..model.graph_enums import PLATFORMS
from .owned import Reading, judged, read
from .result import Result, fail

WORDS = {"externalUrl": "external URL", "internalUrl": "internal URL", "preAuthentication": "pre-authentication",
         "scepServerUrls": "SCEP server URLs", "rootProfileId": "root profile", "certificate": "certificate"}
APP_FIX = ("Entra admin center > Enterprise applications > the app > Application proxy: set the URLs of "
           "ndes:ndesHosts[].externalUrl / internalUrl and pre-authentication Passthrough (devices cannot sign in "
           "to Entra before SCEP)")
PROFILE_FIX = "Intune admin center > Devices > Configuration: set the profile as configured"


def app_proxy(cfg: DeploymentConfig, ctx: Any, h: NdesHostConfig) -> list[Result]:
    d = declared.app_proxy(cfg)[h.fqdn]
    r = read(ctx, d, "graph:appProxy")
    p = d.props
    return [judged(f"graph {h.fqdn}", "App Proxy application", r, fix=APP_FIX, names=WORDS,
                   missing=f"no application named '{p['displayName']}'",
                   well=f"'{p['displayName']}': {r.inp.external_url} -> {r.inp.internal_url}")]


def _without(r: Reading, names: set[str]) -> Reading:
    return dataclasses.replace(r, drift=[x for x in r.drift if x[0] not in names])


def intune_profiles(cfg: DeploymentConfig, ctx: Any) -> list[Result]:
    """The trusted certificate profiles (the CA's certificates, per platform) and each platform's SCEP profile
    (every NDES host's SCEP URL, linked to the platform's root profile)."""
    area = "graph intune"
    ca = read(ctx, hosts.ca_host(cfg)["certificate"], f"winrm:{cfg.ca.host}")
    if not ca.exists:
        return [fail(area, "Intune profiles", f"not checked: the CA host has no CA named '{cfg.ca.common_name}'",
                     "see the CA host's checks (ndes:ca.commonName)")]
    certs = {"root": ca.live["rootDerBase64"], "issuing": ca.live["issuingDerBase64"]}
    refs = [*declared.trusted_root_group_refs(cfg), *(g for _, p, _ in cfg.intune.scep_profile_entries()
                                                       for g in p.assignments.exclude)]
    # a group given by name is resolved in the stack (pulumi-azuread): assignments are then not compared
    unnamed = {"groups"} if any(not g.id for g in refs) else set()
    root_groups = declared.root_targets(cfg, declared.given_ids(declared.trusted_root_group_refs(cfg)))
    out, roots = [], {}
    for step, d in declared.trusted_profiles(cfg, certs, root_groups).items():
        r = read(ctx, d, "graph")
        if step.endswith("-root"):
            roots[d.props["platform"]] = r.id or ""
        out.append(judged(area, f"trusted certificate profile {d.props['displayName']}", _without(r, unnamed),
                          fix=PROFILE_FIX, names=WORDS, missing=f"no trusted certificate profile named "
                          f"'{d.props['displayName']}'", well=f"'{d.props['displayName']}' as configured"))
    for d in declared.scep_profiles(cfg, roots, declared.given_targets).values():
        name, title = d.props["displayName"], PLATFORMS[d.props["platform"]].title
        # without the stack's root profile the link cannot be compared: the root's own check says it is missing
        skip = unnamed | ({"rootProfileId"} if not d.props["rootProfileId"] else set())
        r = _without(read(ctx, d, "graph"), skip)
        out.append(judged(area, f"SCEP profile {name if cfg.intune.scep_profiles else title}", r, names=WORDS,
                          missing=f"no SCEP profile named '{name}' (ndes:intune.profileNamePrefix names it)",
                          fix=f"{PROFILE_FIX}: its SCEP server URLs are "
                          "https://<external FQDN>/certsrv/mscep/mscep.dll of each NDES server",
                          well=f"'{name}' lists {', '.join(cfg.scep_urls)}"))
    return out
