"""AppProxy: each NDES host published through Entra application proxy (one AppProxyApplication per host).
The `connection` input of the Graph resources comes from ndes/components/connection.py (ndes:graph, resolved by
the provider from the stack config: ndes/providers/connections.py).
"""
from __future__ import annotations

from typing import Any

import pulumi

from ..model.config import DeploymentConfig
from ..declare import graph as g_decl
from ..declare.graph import app_display_name  # noqa: F401 (its home)
from ..providers.resources import AppProxyApplication, resource_of
from . import connection


def app_proxy_connection(cfg: DeploymentConfig, secrets: dict[str, Any] | None = None) -> dict[str, Any]:
    """The `connection` input of the App Proxy resources: ndes:graph's tenant and cloud, signed in as the
    delegated identity of ndes:graph.appProxy (App Proxy's Graph APIs take no application permission; the
    Intune app's secret never travels with them)."""
    return connection.graph(cfg, secrets or {}, app_proxy=True)


class AppProxy(pulumi.ComponentResource):
    """The App Proxy applications of the NDES hosts.

    Attributes: applications (fqdn -> AppProxyApplication), resources (list), outputs (fqdn -> dict of
    applicationId, objectId, servicePrincipalId, externalUrl Outputs).
    """

    def __init__(self, name: str, cfg: DeploymentConfig, secrets: dict[str, Any],
                 opts: pulumi.ResourceOptions | None = None, owner_prefix: str | None = None):
        super().__init__("ndes:index:AppProxy", name, None, opts)
        prefix = owner_prefix or f"{pulumi.get_project()}/{pulumi.get_stack()}"
        conn = app_proxy_connection(cfg, secrets)
        child = pulumi.ResourceOptions(parent=self)
        self.applications: dict[str, AppProxyApplication] = {}
        self.outputs: dict[str, dict[str, Any]] = {}
        for fqdn, d in g_decl.app_proxy(cfg).items():
            res = f"{name}-{d.step}"
            app = resource_of(d.provider)(res, {
                **conn, "owner": f"{prefix}/{res}", "configKey": d.config_key, "adopt": d.adopt, **d.props}, child)
            self.applications[fqdn] = app
            self.outputs[fqdn] = {"applicationId": app.applicationId, "objectId": app.objectId,
                                  "servicePrincipalId": app.servicePrincipalId, "externalUrl": app.externalUrl}
        self.resources: list[pulumi.Resource] = list(self.applications.values())
        self.register_outputs({"applications": self.outputs})
