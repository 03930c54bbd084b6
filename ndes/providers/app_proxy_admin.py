"""App Proxy where no user can sign in (ndes:graph.appProxy.credential: none, a pipeline): read and verify with the
app-only identity, and report a needed change with the exact commands an admin runs (docs/identities.md).

Graph's App Proxy APIs (connector groups, connectorGroup/$ref, onPremisesPublishing) take no application
permission, so the pipeline's app can read the application (Application.Read.All) but never change it; nor can it
read the connector group, which therefore stays as last recorded. Nothing is skipped in silence: a difference or
a missing application fails the run with the commands, as the Intune connector's registration does.
"""
from __future__ import annotations

from typing import Any

from ..graph import AccessDenied


def admin_commands(tenant_id: str, owner: str) -> str:
    """The commands a user holding Application Administrator runs on a workstation to apply the change."""
    parts = owner.split("/")
    stack = parts[1] if len(parts) >= 3 else "<stack>"
    return (f"az login --tenant {tenant_id} --allow-no-subscriptions (as a user holding Application Administrator), "
            f"then pulumi up --stack {stack} --config-path --config 'ndes:graph.appProxy.credential=azureCli' "
            "(or set ndes:graph.appProxy.credential: azureCli in that stack's config)")


def differences(live: dict[str, Any], want: dict[str, Any]) -> list[str]:
    return [f"{k}: live {live.get(k)!r}, configured {v!r}" for k, v in want.items() if live.get(k) != v]


def change_needed(what: str, changes: list[str], tenant_id: str, owner: str) -> AccessDenied:
    """The error that reports a change nobody here may make."""
    return AccessDenied(f"{what} needs a change that only a signed-in user holding Application Administrator may "
                        f"make ({'; '.join(changes)}), and this run signs in as the app only "
                        f"(ndes:graph.appProxy.credential: none; App Proxy's Graph APIs take no application "
                        f"permission). To apply it: {admin_commands(tenant_id, owner)}")
