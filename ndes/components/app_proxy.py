"""AppProxy: each NDES host published through Entra application proxy (one AppProxyApplication per host).

Also home of `graph_connection`, the Graph inputs every Graph resource takes, built from ndes:graph: the
client secret arrives as a secret Output; the CA bundle and the certificate file named in config are read
here and passed as PEM text (so refresh and destroy work from another machine).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pulumi

from ..model.config import DeploymentConfig, GraphConfig
from ..providers.app_proxy_application import AppProxyApplication


def read_file_config(path: str | None, key: str, base_dir: str | Path | None = None) -> str | None:
    """The text of a file named in config (relative paths from the project directory), or None."""
    if not path:
        return None
    p = Path(path)
    if not p.is_absolute():
        p = Path(base_dir or Path.cwd()) / p
    try:
        return p.read_text()
    except OSError as exc:
        raise pulumi.RunError(f"{key}: cannot read {p}: {exc.strerror}") from None


def graph_connection(g: GraphConfig, secrets: dict[str, Any]) -> dict[str, Any]:
    """Provider inputs to reach Graph, from ndes:graph."""
    secret = secrets.get("graph.clientSecret")
    if secret is None and g.client_secret is not None:
        secret = pulumi.Output.secret(g.client_secret.get_secret_value())
    cert = read_file_config(g.certificate_path, "ndes:graph.certificatePath") if g.credential == "certificate" \
        else None
    return {
        "tenantId": g.tenant_id, "clientId": g.client_id, "credential": g.credential,
        "clientSecret": secret if g.credential == "clientSecret" else None,
        "certificatePem": pulumi.Output.secret(cert) if cert else None,
        "cloud": g.cloud, "graphEndpoint": g.graph_endpoint, "authority": g.authority,
        "caBundle": read_file_config(g.ca_bundle, "ndes:graph.caBundle"),
        "insecureSkipTlsVerify": g.insecure_skip_tls_verify,
    }


def app_proxy_connection(g: GraphConfig, secrets: dict[str, Any]) -> dict[str, Any]:
    """Provider inputs of the App Proxy resources: ndes:graph's tenant and cloud, signed in as the delegated
    identity of ndes:graph.appProxy (App Proxy's Graph APIs take no application permission; the Intune app's
    secret never travels with them)."""
    ident = g.app_proxy
    conn = graph_connection(g, secrets)
    if ident.credential == "none":
        return conn  # a pipeline: the app-only identity reads; changes are reported (docs/identities.md)
    return {**conn, "credential": ident.credential, "clientId": ident.client_id, "clientSecret": None,
            "certificatePem": None}


def app_display_name(cfg: DeploymentConfig, short_name: str) -> str:
    base = cfg.app_proxy.display_name
    return base if len(cfg.ndes_hosts) == 1 else f"{base} {short_name}"


class AppProxy(pulumi.ComponentResource):
    """The App Proxy applications of the NDES hosts.

    Attributes: applications (fqdn -> AppProxyApplication), resources (list), outputs (fqdn -> dict of
    applicationId, objectId, servicePrincipalId, externalUrl Outputs).
    """

    def __init__(self, name: str, cfg: DeploymentConfig, secrets: dict[str, Any],
                 opts: pulumi.ResourceOptions | None = None, owner_prefix: str | None = None):
        super().__init__("ndes:index:AppProxy", name, None, opts)
        prefix = owner_prefix or f"{pulumi.get_project()}/{pulumi.get_stack()}"
        conn = app_proxy_connection(cfg.graph, secrets)
        ap = cfg.app_proxy
        child = pulumi.ResourceOptions(parent=self)
        self.applications: dict[str, AppProxyApplication] = {}
        self.outputs: dict[str, dict[str, Any]] = {}
        for h in cfg.ndes_hosts:
            res = f"{name}-{h.short_name}"
            app = AppProxyApplication(res, {
                **conn, "owner": f"{prefix}/{res}", "configKey": "ndes:appProxy", "adopt": ap.adopt,
                "displayName": app_display_name(cfg, h.short_name), "externalUrl": h.external_url,
                "internalUrl": h.internal, "preAuthentication": ap.pre_authentication,
                "translateHostHeader": ap.translate_host_header, "translateLinksInBody": ap.translate_links_in_body,
                "enabled": True, "connectorGroup": ap.connector_group,
            }, child)
            self.applications[h.fqdn] = app
            self.outputs[h.fqdn] = {"applicationId": app.applicationId, "objectId": app.objectId,
                                    "servicePrincipalId": app.servicePrincipalId, "externalUrl": app.externalUrl}
        self.resources: list[pulumi.Resource] = list(self.applications.values())
        self.register_outputs({"applications": self.outputs})
