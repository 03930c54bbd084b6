"""How App Proxy publishes the NDES host, declared once: the stack config (config_intune.AppProxyConfig,
`ndes:appProxy`) and the AppProxyApplication provider's inputs both inherit the fields, types and defaults.

The name rule on connectorGroup is the config's: the inputs also parse state that `read` filled from Graph
(the connector group's name as Graph spells it), which must still load so refresh and destroy work.
"""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel


class AppProxySettings(BaseModel):
    """The onPremisesPublishing settings the admin chooses. No model_config of its own: the config's and the
    inputs' (camelCase aliases, unknown keys refused) apply."""

    connector_group: str = "Default"
    """The connector group serving the application (its name)."""
    pre_authentication: Literal["passthrough", "aadPreAuthentication"] = "passthrough"
    translate_host_header: bool = True
    translate_links_in_body: bool = False
