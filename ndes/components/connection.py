"""The connection inputs every resource takes, in one of two forms (ndes/providers/connections.py):

- by reference, for the stack-config program (this repository's `__main__.py`): `connection: {ref, fingerprint}`;
  the provider resolves it from the stack config in each verb, so a rotated password works for refresh, the drift
  job and destroy without an `up`, and a preview's diff carries no connection plumbing;
- inline, for a library caller (ndes/components/views.py sets INLINE in the secrets dict): the caller's program
  has no `ndes:` stack config for the provider to read, so the connection travels with the resource (its secrets
  as the secret Outputs the caller gave, encrypted in state).
"""
from __future__ import annotations

from typing import Any

import pulumi

from ..model.config import WinRMConfig
from ..providers import connections

INLINE = "__inlineConnections"
"""Key of the secrets dict: True when the connections travel inline (a library caller's Args)."""


def inline(secrets: dict[str, Any] | None) -> bool:
    return bool((secrets or {}).get(INLINE))


def connection_input(cfg: Any, ref: str, url: pulumi.Input[str] | None = None) -> dict[str, Any]:
    """{"connection": {ref, fingerprint[, url]}}; a connection the config cannot give is a RunError naming
    the config key (no WinRM password for a host, an unreadable CA bundle)."""
    try:
        return {connections.CONNECTION: connections.reference(cfg, ref, url)}
    except connections.ConnectionError_ as exc:
        raise pulumi.RunError(str(exc)) from None


def _secret(secrets: dict[str, Any]) -> Any:
    """connections.py's `secret`: the caller's secret Output for a key, else the config's value as a secret
    Output (None when neither); a host's own password (key None) from the config only."""
    def secret(key: str | None, value: Any) -> Any:
        if key is not None and secrets.get(key) is not None:
            return secrets[key]
        return None if value is None else pulumi.Output.secret(connections.plain(key, value))
    return secret


def _built(build: Any, *args: Any) -> dict[str, Any]:
    try:
        return build(*args)
    except connections.ConnectionError_ as exc:
        raise pulumi.RunError(str(exc)) from None


def windows(cfg: Any, host: str, own: WinRMConfig | None, key: str, secrets: dict[str, Any],
            url: pulumi.Input[str] | None = None) -> dict[str, Any]:
    """The Windows connection of `host` (the host's own winrm block over ndes:winrm); `url` (e.g. an Azure VM's
    winrm_url Output) overrides the configured URL."""
    if not inline(secrets):
        return connection_input(cfg, f"winrm:{host}", url)
    ep = _built(connections.windows, cfg, host, _secret(secrets), (own, key))["endpoint"]
    if url is not None:
        ep["url"] = url
    return {"endpoint": pulumi.Output.secret(ep)}


def directory(cfg: Any, secrets: dict[str, Any], spn_admin: bool = False) -> dict[str, Any]:
    """The bind to AD (ndes:domain); with `spn_admin`, the SPN admin's instead (ServiceAccount's second bind)."""
    if not inline(secrets):
        return connection_input(cfg, "ldap") if not spn_admin else {}
    conn = _built(connections.directory, cfg, _secret(secrets))
    return {k: v for k, v in conn.items() if (k in connections.SPN_ADMIN) == spn_admin}


def graph(cfg: Any, secrets: dict[str, Any], app_proxy: bool = False) -> dict[str, Any]:
    """Graph as ndes:graph's app (the Intune profiles), or with `app_proxy` as the delegated identity of
    ndes:graph.appProxy (App Proxy's Graph APIs take no application permission; the Intune app's secret never
    travels with them)."""
    if not inline(secrets):
        return connection_input(cfg, "graph:appProxy" if app_proxy else "graph")
    return _built(connections.app_proxy if app_proxy else connections.graph, cfg, _secret(secrets))
