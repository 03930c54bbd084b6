"""Connections from the stack config: how a resource reaches its server, resolved when the verb runs.

A resource's inputs carry only what the admin declares plus `connection`: {ref, fingerprint[, url]}.
- `ref` names a connection of the stack config: `winrm:<host FQDN>` (ndes:winrm over the host's own winrm block,
  ndes:ca or ndes:ndesHosts[i]), `ldap` (ndes:domain), `graph` (ndes:graph), `graph:appProxy` (ndes:graph with
  the delegated identity of ndes:graph.appProxy);
- `fingerprint` is a hash of the connection's settings WITHOUT its secrets (a new URL, user, CA bundle or
  timeout shows in a preview as one changed line; a rotated password does not, and no hash of a password is
  ever stored in plain state);
- `url` (optional) overrides the configured URL (an Azure-built host's WinRM URL, an Output of its VM);
- `host`, `address` and `insecureSkipTlsVerify` (when on): the public facts the policy pack checks.

The provider resolves `ref` in every verb from the stack config the engine hands it in `configure()` (during
preview, up, and refresh/destroy with --run-program, secrets decrypted), so a rotated password or a re-issued
CA bundle works at once; the connection it used is kept in state, encrypted (`__connection`), as the fallback
for a verb run without the program (a plain `pulumi refresh` or `destroy`, whose configure() gets no config).
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
from pathlib import Path
from contextvars import ContextVar
from typing import Any, Iterator, Mapping
from urllib.parse import urlsplit

from ..model.urls import winrm_url

CONNECTION = "connection"
STATE_COPY = "__connection"
SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d"  # the Pulumi wire's secret marker (sdk rpc._special_sig_key)
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
SECRET_KEYS = frozenset({"password", "bindPassword", "spnAdminPassword", "clientSecret", "certificatePem"})


class ConnectionError_(ValueError):
    """A connection the config cannot give (no WinRM password for a host, an unreadable CA bundle): the message
    names the config key."""


_BASE: ContextVar[Path | None] = ContextVar("ndes_config_base", default=None)


@contextlib.contextmanager
def relative_to(base: Path | None) -> Iterator[None]:
    """Read the files config names relative to `base` (ndes verify --project) instead of the working directory."""
    token = _BASE.set(base)
    try:
        yield
    finally:
        _BASE.reset(token)


def read_text(path: str | None, key: str) -> str | None:
    """The text of a file named in config (relative paths from the project directory, where both the program
    and the provider plugin run), or None."""
    if not path:
        return None
    p = Path(path)
    if not p.is_absolute():
        p = (_BASE.get() or Path.cwd()) / p
    try:
        return p.read_text()
    except OSError as exc:
        raise ConnectionError_(f"{key}: cannot read {p}: {exc.strerror}") from None


def plain(_key: str | None, value: Any) -> Any:
    """A secret's value as the provider needs it (the default `secret` of the builders below)."""
    return value.get_secret_value() if hasattr(value, "get_secret_value") else value


def windows(cfg: Any, host: str, secret: Any = plain, placed: tuple[Any, str] | None = None) -> dict[str, Any]:
    """{"endpoint": {...}} of a Windows host named in config (the CA host or an NDES host).

    `secret(key, value)` turns each secret into what the caller keeps: the plain value (providers, verify), or
    a library caller's secret Output for `key` (ndes/components/connection.py); key None: a host's own password,
    which only the config gives. `placed`: the host's own winrm block and its config key, when the caller knows
    them (a library component's view of the config names no hosts)."""
    name = host.strip().lower().rstrip(".")
    if placed is not None:
        own, key = placed
    elif name == cfg.ca.host.lower():
        own, key = cfg.ca.winrm, "ndes:ca"
    else:
        found = [(i, h) for i, h in enumerate(cfg.ndes_hosts) if h.fqdn.lower() == name]
        if not found:
            raise ConnectionError_(f"no host {host} in ndes:ca.host or ndes:ndesHosts: the stack config no longer "
                                   "names it")
        i, h = found[0]
        own, key = h.winrm, f"ndes:ndesHosts[{i}]"
    w = cfg.winrm_for(name, own)
    mine = own is not None and own.password is not None
    password = secret(None, own.password) if mine else secret("winrm.password", w.password)
    if password is None:
        raise ConnectionError_(f"{key}.winrm.password (or ndes:winrm.password): no WinRM password for {name}")
    if not w.username:
        raise ConnectionError_(f"{key}.winrm.username (or ndes:winrm.username): no WinRM user for {name}")
    bundle_key = f"{key}.winrm.caBundle" if own is not None and own.ca_bundle else "ndes:winrm.caBundle"
    return {"endpoint": {
        "host": name, "url": w.url or winrm_url(name), "username": w.username,
        "password": password, "auth": w.auth, "caBundlePem": read_text(w.ca_bundle, bundle_key),
        "insecureSkipTlsVerify": w.insecure_skip_tls_verify, "operationTimeout": w.operation_timeout_seconds}}


SPN_ADMIN = ("spnAdminUser", "spnAdminPassword")
"""ServiceAccount's second bind (ndes:domain.spnAdminUser): the SPN write only."""


def directory(cfg: Any, secret: Any = plain) -> dict[str, Any]:
    """The DirectoryInputs connection fields from ndes:domain, and the SPN admin's (SPN_ADMIN) when set."""
    d = cfg.domain
    out: dict[str, Any] = {
        "ldapUrl": d.ldap_url, "startTls": d.start_tls, "bindUser": d.bind_user,
        "bindPassword": secret("domain.bindPassword", d.bind_password),
        "caBundle": read_text(d.ca_bundle, "ndes:domain.caBundle"), "insecureSkipTlsVerify": d.insecure_skip_tls_verify}
    if d.reader_urls:  # more than one DC: writes wait until the DCs the CA and the hosts read show them
        out.update(readerUrls=list(d.reader_urls), replicationTimeout=d.replication_timeout)
    if d.spn_admin_user:
        out.update(spnAdminUser=d.spn_admin_user, spnAdminPassword=secret("domain.spnAdminPassword",
                                                                          d.spn_admin_password))
    return out


def graph(cfg: Any, secret: Any = plain) -> dict[str, Any]:
    """The GraphInputs connection fields from ndes:graph (the app's own identity: the Intune profiles)."""
    g = cfg.graph
    cert = read_text(g.certificate_path, "ndes:graph.certificatePath") if g.credential == "certificate" else None
    return {"tenantId": g.tenant_id, "clientId": g.client_id, "credential": g.credential,
            "clientSecret": secret("graph.clientSecret", g.client_secret) if g.credential == "clientSecret" else None,
            "certificatePem": secret("graph.certificatePem", cert) if cert else None, "cloud": g.cloud,
            "graphEndpoint": g.graph_endpoint, "authority": g.authority,
            "caBundle": read_text(g.ca_bundle, "ndes:graph.caBundle"),
            "insecureSkipTlsVerify": g.insecure_skip_tls_verify}


def app_proxy(cfg: Any, secret: Any = plain) -> dict[str, Any]:
    """ndes:graph's tenant and cloud, signed in as the delegated identity of ndes:graph.appProxy (App Proxy's
    Graph APIs take no application permission; the Intune app's secret never travels with them)."""
    conn = graph(cfg, secret)
    ident = cfg.graph.app_proxy
    if ident.credential == "none":
        return conn  # a pipeline: the app-only identity reads; changes are reported (docs/identities.md)
    return {**conn, "credential": ident.credential, "clientId": ident.client_id, "clientSecret": None,
            "certificatePem": None}


def resolve(cfg: Any, ref: str) -> dict[str, Any]:
    """The connection `ref` names, from a DeploymentConfig (plain values, secrets included)."""
    if ref.startswith("winrm:"):
        return windows(cfg, ref[len("winrm:"):])
    if ref == "ldap":
        return directory(cfg)
    if ref == "graph":
        return graph(cfg)
    if ref == "graph:appProxy":
        return app_proxy(cfg)
    raise ConnectionError_(f"unknown connection '{ref}'")


def implied(props: Mapping[str, Any], graph_ref: str = "graph") -> dict[str, Any] | None:
    """The `connection` a state written before connections had (its inline connection fields say which one;
    `graph_ref`: the Graph connection of the provider's kind), so that state, too, is reached with today's
    credentials; None when they do not say."""
    ep = props.get("endpoint")
    if isinstance(ep, Mapping) and isinstance(ep.get("host"), str):
        return {"ref": f"winrm:{ep['host']}", "url": ep.get("url")}
    if "ldapUrl" in props:
        return {"ref": "ldap"}
    if "tenantId" in props:
        return {"ref": graph_ref}
    return None


def fingerprint(conn: Mapping[str, Any]) -> str:
    """A short hash of the connection's settings, secrets left out (see the module docstring)."""
    def public(v: Any) -> Any:
        if isinstance(v, Mapping):
            return {k: public(x) for k, x in v.items() if k not in SECRET_KEYS}
        return v
    return hashlib.sha256(json.dumps(public(conn), sort_keys=True, default=str).encode()).hexdigest()[:16]


def public(conn: Mapping[str, Any], url_override: bool = False) -> dict[str, Any]:
    """What the policy pack reads of a connection (ndes_policies): the Windows host and its WinRM address
    (host:port; not for a URL given as an override), and insecureSkipTlsVerify when it is on."""
    out: dict[str, Any] = {}
    ep = conn.get("endpoint")
    if isinstance(ep, Mapping):
        out["host"] = ep.get("host")
        if not url_override:
            parts = urlsplit(str(ep.get("url") or ""))
            out["address"] = f"{(parts.hostname or '').lower()}:{parts.port or 5986}"
        conn = ep
    if conn.get("insecureSkipTlsVerify") is True:
        out["insecureSkipTlsVerify"] = True
    return out


def reference(cfg: Any, ref: str, url: Any = None) -> dict[str, Any]:
    """The `connection` input a component passes (raises ConnectionError_ naming the config key)."""
    conn = resolve(cfg, ref)
    out: dict[str, Any] = {"ref": ref, "fingerprint": fingerprint(conn), **public(conn, url is not None)}
    if url is not None:
        out["url"] = url
    return out


def with_url(conn: dict[str, Any], url: str | None) -> dict[str, Any]:
    """A Windows connection reached at another URL (connection.url)."""
    if url and "endpoint" in conn:
        return {**conn, "endpoint": {**conn["endpoint"], "url": url}}
    return conn


# ---- the provider side: the stack config configure() received ---------------------------------------------------
_CACHE: dict[tuple[str, str | None], Any] = {}


def stack_of(owner: str) -> str | None:
    """The stack name in an owner mark (<project>/<stack>/<resource>)."""
    parts = (owner or "").split("/")
    return parts[1] if len(parts) >= 3 else None


def config_from(raw: Mapping[str, Any], stack: str | None) -> Any | None:
    """The DeploymentConfig of the stack config configure() received (None when it received none, e.g. a plain
    refresh; or when it does not validate: the state copy is used then, and stderr says why)."""
    ours = {k: v for k, v in raw.items() if k.startswith("ndes:")}
    if not ours:
        return None
    key = (json.dumps(ours, sort_keys=True, default=str), stack)
    if key not in _CACHE:
        from ..model import ConfigError, load_config
        try:
            _CACHE[key] = load_config(ours, stack=stack, environ=os.environ)
        except ConfigError as exc:
            print(f"warning: the stack config does not validate ({exc}); connections come from state",
                  file=sys.stderr, flush=True)
            _CACHE[key] = None
    return _CACHE[key]


def secret(value: Any) -> dict[str, Any]:
    """`value` as a secret on the wire: the engine keeps it encrypted in state (providers that do not accept
    secrets may still return them marked; the engine unmarshals outputs with KeepSecrets)."""
    return {SECRET_SIG_KEY: SECRET_SIG, "value": value}


def unsecret(value: Any) -> Any:
    if isinstance(value, Mapping) and value.get(SECRET_SIG_KEY) == SECRET_SIG:
        return value.get("value")
    return value
