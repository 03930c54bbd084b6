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
from ..providers._windows import endpoint_input

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


def _text(path: str | None, key: str) -> str | None:
    try:
        return connections.read_text(path, key)
    except connections.ConnectionError_ as exc:
        raise pulumi.RunError(str(exc)) from None


def _secret(secrets: dict[str, Any], key: str, value: Any) -> Any:
    """The caller's secret Output for `key`, else the config's value as a secret Output (None when neither)."""
    if secrets.get(key) is not None:
        return secrets[key]
    return None if value is None else pulumi.Output.secret(value.get_secret_value())


def windows(cfg: Any, host: str, own: WinRMConfig | None, key: str, secrets: dict[str, Any],
            url: pulumi.Input[str] | None = None) -> dict[str, Any]:
    """The Windows connection of `host` (the host's own winrm block over ndes:winrm); `url` (e.g. an Azure VM's
    winrm_url Output) overrides the configured URL."""
    if not inline(secrets):
        return connection_input(cfg, f"winrm:{host}", url)
    w = cfg.winrm_for(host, own)
    password = _secret({} if own is not None and own.password is not None else secrets, "winrm.password",
                       own.password if own is not None and own.password is not None else w.password)
    if password is None:
        raise pulumi.RunError(f"{key}.winrm.password (or ndes:winrm.password): no WinRM password for {host}")
    if not w.username:
        raise pulumi.RunError(f"{key}.winrm.username (or ndes:winrm.username): no WinRM user for {host}")
    bundle_key = f"{key}.winrm.caBundle" if own is not None and own.ca_bundle else "ndes:winrm.caBundle"
    return {"endpoint": pulumi.Output.secret(endpoint_input(
        host, url=url if url is not None else w.url, username=w.username, password=password, auth=w.auth,
        ca_bundle_pem=_text(w.ca_bundle, bundle_key), insecure_skip_tls_verify=w.insecure_skip_tls_verify,
        operation_timeout=w.operation_timeout_seconds))}


def directory(cfg: Any, secrets: dict[str, Any], spn_admin: bool = False) -> dict[str, Any]:
    """The bind to AD (ndes:domain); with `spn_admin`, the SPN admin's too (ServiceAccount)."""
    if not inline(secrets):
        return connection_input(cfg, "ldap") if not spn_admin else {}
    d = cfg.domain
    if spn_admin:
        return {"spnAdminUser": d.spn_admin_user, "spnAdminPassword": _secret(
            secrets, "domain.spnAdminPassword", d.spn_admin_password)} if d.spn_admin_user else {}
    return {
        "ldapUrl": d.ldap_url, "startTls": d.start_tls, "bindUser": d.bind_user,
        "bindPassword": _secret(secrets, "domain.bindPassword", d.bind_password),
        "caBundle": _text(d.ca_bundle, "ndes:domain.caBundle"), "insecureSkipTlsVerify": d.insecure_skip_tls_verify,
        # more than one DC: writes wait until the DCs the CA and the hosts read show them
        **({"readerUrls": d.reader_urls, "replicationTimeout": d.replication_timeout} if d.reader_urls else {}),
    }


def graph(cfg: Any, secrets: dict[str, Any], app_proxy: bool = False) -> dict[str, Any]:
    """Graph as ndes:graph's app (the Intune profiles), or with `app_proxy` as the delegated identity of
    ndes:graph.appProxy (App Proxy's Graph APIs take no application permission; the Intune app's secret never
    travels with them)."""
    if not inline(secrets):
        return connection_input(cfg, "graph:appProxy" if app_proxy else "graph")
    g = cfg.graph
    cert = _text(g.certificate_path, "ndes:graph.certificatePath") if g.credential == "certificate" else None
    conn = {
        "tenantId": g.tenant_id, "clientId": g.client_id, "credential": g.credential,
        "clientSecret": _secret(secrets, "graph.clientSecret", g.client_secret) if g.credential == "clientSecret"
        else None,
        "certificatePem": pulumi.Output.secret(cert) if cert else None,
        "cloud": g.cloud, "graphEndpoint": g.graph_endpoint, "authority": g.authority,
        "caBundle": _text(g.ca_bundle, "ndes:graph.caBundle"), "insecureSkipTlsVerify": g.insecure_skip_tls_verify,
    }
    ident = g.app_proxy
    if not app_proxy or ident.credential == "none":
        return conn  # a pipeline: the app-only identity reads; changes are reported (docs/identities.md)
    return {**conn, "credential": ident.credential, "clientId": ident.client_id, "clientSecret": None,
            "certificatePem": None}
