"""What the checks read through: the project's own clients (directory, windows, graph) built from the validated
configuration, never through Pulumi. Read-only: checks call `get` modes and LDAP/Graph reads only.

A `Context` builds each client lazily and caches it (and script answers) for the run; tests pass factories that
return fakes at the client boundary (a directory reader, a host with `run_script`, a SCEP fetcher).
"""
from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Protocol

from ..model.config import DeploymentConfig, WinRMConfig


class ScriptHost(Protocol):
    """What the checks need of ndes.windows.WindowsHost."""

    def run_script(self, name: str, params: dict, *, timeout: int | None = None) -> dict: ...


def read_text(path: str | None, base: Path | None = None) -> str | None:
    """The text of a file named in config (relative to `base`, the project directory), or None."""
    if not path:
        return None
    p = Path(path)
    if not p.is_absolute() and base is not None:
        p = base / p
    return p.read_text()


def default_directory(cfg: DeploymentConfig, base: Path | None) -> Any:
    from ..directory import DirectoryClient
    from ..providers._directory import DirectoryInputs
    from .directory import DirectoryReader

    conn = connection_of(cfg, "ldap", base)
    inp = DirectoryInputs.model_validate({k: conn[k] for k in DirectoryInputs.connection_fields if k in conn})
    return DirectoryReader(DirectoryClient.connect(inp.directory_settings()))


def default_windows(cfg: DeploymentConfig, host: str, own: WinRMConfig | None, base: Path | None) -> ScriptHost:
    """The WinRM client of a host named in config, built as the providers build it (connections.windows)."""
    from ..providers._windows import EndpointInput, client_endpoint
    from ..windows import WindowsHost

    ep = EndpointInput.model_validate(connection_of(cfg, f"winrm:{host}", base)["endpoint"])
    return WindowsHost(client_endpoint(ep))


def default_graph(cfg: DeploymentConfig, base: Path | None, ref: str = "graph") -> Any:
    from ..providers.graph_connection import GraphInputs

    return GraphInputs.model_validate(connection_of(cfg, ref, base)).client()


def connection_of(cfg: DeploymentConfig, ref: str, base: Path | None) -> dict[str, Any]:
    """The connection fields `ref` names (winrm:<host>, ldap, graph, graph:appProxy), from the config, as a
    provider resolves them from the stack config (ndes/providers/connections.py); files relative to `base`."""
    from ..providers import connections

    with connections.relative_to(base):
        return connections.resolve(cfg, ref)


@dataclass
class Context:
    """The configuration and the clients of one `ndes verify` run.

    `base` is the directory relative config paths (caBundle) are read from. `ca_bundle_pem` is what the
    external-URL checks trust (the system store when None): by default the Graph section's caBundle, as the lab
    and a private PKI need; devices trust what the platform trusts.
    """

    cfg: DeploymentConfig
    base: Path | None = None
    directory_factory: Callable[[], Any] | None = None
    windows_factory: Callable[[str, WinRMConfig | None], ScriptHost] | None = None
    graph_factory: Callable[[], Any] | None = None
    scep_fetcher: Any = None
    _directory: Any = field(default=None, repr=False)
    _hosts: dict[str, ScriptHost] = field(default_factory=dict, repr=False)
    _graph: Any = field(default=None, repr=False)
    cache: dict[Any, Any] = field(default_factory=dict, repr=False)

    def _once(self, key: Any, make: Callable[[], Any]) -> Any:
        """Build a client once; a failure is kept and raised again, so an unreachable server costs one timeout."""
        failed = self.cache.get(("failed", key))
        if failed is not None:
            raise failed
        try:
            return make()
        except Exception as exc:
            self.cache[("failed", key)] = exc
            raise

    def directory(self) -> Any:
        if self._directory is None:
            self._directory = self._once("directory", self.directory_factory
                                         or (lambda: default_directory(self.cfg, self.base)))
        return self._directory

    def host(self, name: str, own: WinRMConfig | None) -> ScriptHost:
        if name not in self._hosts:
            make = self.windows_factory or (lambda h, o: default_windows(self.cfg, h, o, self.base))
            self._hosts[name] = self._once(("host", name), lambda: make(name, own))
        return self._hosts[name]

    def script(self, host: str, own: WinRMConfig | None, script: str, params: dict[str, Any]) -> dict[str, Any]:
        """The `state` of a script's get mode on `host`, cached per (host, script, params) for the run."""
        assert params.get("mode") == "get", "verify only reads"
        key = (host, script, repr(sorted(params.items())))
        if key not in self.cache:
            self.cache[key] = self.host(host, own).run_script(script, params)["state"]
        return self.cache[key]

    def graph(self) -> Any:
        if self._graph is None:
            self._graph = self._once("graph", self.graph_factory or (lambda: default_graph(self.cfg, self.base)))
        return self._graph

    def connection(self, ref: str) -> dict[str, Any]:
        """The connection fields of `ref` for a provider's Inputs (see connection_of)."""
        key = ("connection", ref)
        if key not in self.cache:
            self.cache[key] = self._once(key, lambda: connection_of(self.cfg, ref, self.base))
        return self.cache[key]

    @contextlib.contextmanager
    def clients(self) -> Iterator[None]:
        """The providers' hooks reach the servers through this run's clients (one per server; fakes in tests)."""
        from ..providers.clients import substituted

        own = {self.cfg.ca.host.lower(): self.cfg.ca.winrm, **{h.fqdn.lower(): h.winrm for h in self.cfg.ndes_hosts}}
        with substituted(windows=lambda ep: self.host(ep.host, own.get(ep.host.lower())),
                         graph=self.graph_for, directory=lambda _settings: contextlib.nullcontext(
                             self.directory_client())):
            yield

    def directory_client(self) -> Any:
        """The run's one bound DirectoryClient (the reader's): every directory resource binds as ndes:domain says
        (connections.resolve 'ldap'), so one client serves them all; the hooks' `with` leaves it open."""
        c = getattr(self.directory(), "c", None)
        if c is None:
            raise TypeError("this directory reader holds no LDAP client: the providers' reads need one "
                            "(a reader-level fake cannot serve them)")
        return c

    def graph_for(self, settings: Any) -> Any:
        """The Graph client of one identity (the Intune app, or App Proxy's delegated one), once per run."""
        if self.graph_factory is not None:
            return self.graph()
        key = ("graph", settings.tenant_id, settings.client_id, settings.credential)
        if key not in self.cache:
            from ..graph import client_for
            self.cache[key] = self._once(key, lambda: client_for(settings))
        return self.cache[key]

    def external_ca_bundle(self) -> str | None:
        return read_text(self.cfg.graph.ca_bundle, self.base)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            if self._directory is not None and hasattr(self._directory, "close"):
                self._directory.close()
        graphs = [self._graph, *(v for k, v in self.cache.items() if isinstance(k, tuple) and k[:1] == ("graph",))]
        for g in graphs:  # the Intune app's client and each identity's graph_for kept for the run
            with contextlib.suppress(Exception):
                if g is not None and hasattr(g, "close"):
                    g.close()


@contextlib.contextmanager
def opened(ctx: Context) -> Iterator[Context]:
    try:
        yield ctx
    finally:
        ctx.close()
