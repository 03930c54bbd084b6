"""The `connection` input every resource takes: which connection of the stack config reaches its server
(ndes/providers/connections.py). The provider resolves it from the stack config in each verb; the inputs
carry the reference and a fingerprint of the connection's settings, never the connection itself."""
from __future__ import annotations

from typing import Any

import pulumi

from ..model.config import DeploymentConfig
from ..providers import connections


def connection_input(cfg: DeploymentConfig, ref: str, url: pulumi.Input[str] | None = None) -> dict[str, Any]:
    """{"connection": {ref, fingerprint[, url]}}; a connection the config cannot give is a RunError naming
    the config key (no WinRM password for a host, an unreadable CA bundle)."""
    try:
        return {connections.CONNECTION: connections.reference(cfg, ref, url)}
    except connections.ConnectionError_ as exc:
        raise pulumi.RunError(str(exc)) from None
