"""Graph checks: each NDES host published through App Proxy (external URL -> internal URL, passthrough).

The Graph client is the seam: tests pass a fake with `list` / `get`, as ndes.graph.app_proxy calls them.
"""
from __future__ import annotations

from typing import Any

from ..model.config import DeploymentConfig, NdesHostConfig
from .result import Result, fail, ok

PRE_AUTH = {"passthrough": "passthru", "aadPreAuthentication": "aadPreAuthentication"}
"""ndes:appProxy.preAuthentication -> Graph's externalAuthenticationType."""


def _display_name(cfg: DeploymentConfig, h: NdesHostConfig) -> str:
    base = cfg.app_proxy.display_name
    return base if len(cfg.ndes_hosts) == 1 else f"{base} {h.short_name}"


def app_proxy(cfg: DeploymentConfig, client: Any, h: NdesHostConfig) -> list[Result]:
    from ..graph import app_proxy as ap
    area, check = f"graph {h.fqdn}", "App Proxy application"
    name = _display_name(cfg, h)
    app = ap.find_application(client, name)
    if app is None:
        return [fail(area, check, f"no application named '{name}'",
                     "publish the NDES host in Entra App Proxy (ndes:appProxy; `pulumi up` does)")]
    pub = ap.get_application(client, app["id"]).get("onPremisesPublishing") or {}
    ext, internal = str(pub.get("externalUrl") or ""), str(pub.get("internalUrl") or "")
    problems = []
    if ext.rstrip("/").lower() != h.external_url.rstrip("/").lower():
        problems.append(f"external URL is '{ext}', configured {h.external_url}")
    if internal.rstrip("/").lower() != h.internal.rstrip("/").lower():
        problems.append(f"internal URL is '{internal}', configured {h.internal}")
    want_auth = PRE_AUTH.get(cfg.app_proxy.pre_authentication, cfg.app_proxy.pre_authentication)
    if str(pub.get("externalAuthenticationType") or "").lower() != want_auth.lower():
        problems.append(f"pre-authentication is '{pub.get('externalAuthenticationType')}', configured {want_auth} "
                        "(devices cannot sign in to Entra before SCEP)")
    if problems:
        return [fail(area, check, "; ".join(problems),
                     "Entra admin center > Enterprise applications > the app > Application proxy: set the URLs "
                     "and Passthrough")]
    return [ok(area, check, f"'{name}': {ext} -> {internal}")]


def scep_profiles(cfg: DeploymentConfig, client: Any) -> list[Result]:
    """Each platform's SCEP profile exists and lists every NDES host's SCEP URL (one URL per NDES server)."""
    from ..graph import intune
    from ..model.graph_enums import PLATFORMS
    it = cfg.intune
    out = []
    for prof, platform in [(prof, pl) for _, prof, pls in it.scep_profile_entries() for pl in pls]:
        p = PLATFORMS[platform]
        name = it.scep_display_name(prof, platform)
        area, check = "graph intune", f"SCEP profile {name if it.scep_profiles else p.title}"
        found = intune.find_profiles(client, name, p.scep_type, "SCEP profile")
        if not found:
            out.append(fail(area, check, f"no SCEP profile named '{name}'",
                            "create it (ndes:intune; `pulumi up` does) or set ndes:intune.profileNamePrefix"))
            continue
        urls = {str(u).lower() for u in found[0].get("scepServerUrls") or []}
        missing = [u for u in cfg.scep_urls if u.lower() not in urls]
        out.append(ok(area, check, f"'{name}' lists {', '.join(cfg.scep_urls)}") if not missing else
                   fail(area, check, f"'{name}' lacks {', '.join(missing)} (has {', '.join(sorted(urls)) or 'none'})",
                        "add https://<external FQDN>/certsrv/mscep/mscep.dll for each NDES server to the profile's "
                        "SCEP server URLs"))
    return out
