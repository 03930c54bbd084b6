"""Checks of what a resource owns: the inputs ndes/declare builds for it, read through its provider's own hooks
(`find`, then `get`, as adoption reads a hand-built object) and compared the way `pulumi refresh` and
`preview --diff` compare them (adoption.drift). What a resource declares is never re-read here with other
parameters or constants: verify and refresh cannot disagree.

    r = read(ctx, declared["iis-request-limits"], f"winrm:{host.fqdn}")
    judged(host.fqdn, "IIS request limits", r, fix="IIS Manager > Request Filtering > ...")
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..declare import Declared
from ..providers import adoption
from .result import Result, fail, ok


@dataclass
class Reading:
    """A declared resource as its provider reads it on the live server."""

    declared: Declared
    inp: Any
    """The validated Inputs (the connection filled in from the stack config, as the provider resolves it)."""
    id: str | None
    """The live object's id (`find`), or None: nothing this resource would create or take over exists."""
    live: dict[str, Any] | None
    """`get`'s live state in the admin's words (None: gone)."""
    drift: list[tuple[str, Any, Any]] = field(default_factory=list)
    """(input, live value, declared value) for every compared input that differs."""

    @property
    def exists(self) -> bool:
        return self.live is not None

    def said(self, names: dict[str, str] | None = None) -> str:
        """The drift in the admin's words: "maxUrl is 4096, declared 65534"; `names` renames inputs."""
        names = names or {}
        return "; ".join(f"{names.get(n, n)} is {adoption.shown(have)}, declared {adoption.shown(want)}"
                         for n, have, want in self.drift)


def read(ctx: Any, d: Declared, ref: str, fed: dict[str, Any] | None = None, id_: str | None = None) -> Reading:
    """Read `d` through its provider: `ref` names the connection (connections.py: winrm:<host>, ldap, graph,
    graph:appProxy), `fed` the inputs other resources' outputs give (a thumbprint, a SID); `id_` reads that
    object (e.g. the certificate the binding names) instead of the one `find` finds. Cached for the run."""
    key = cache_key(d, ref, fed, id_)
    if key in ctx.cache:
        return ctx.cache[key]
    provider = d.provider()
    conn = {k: v for k, v in ctx.connection(ref).items() if k in provider.Inputs.connection_fields}
    inp = provider.Inputs.model_validate({**d.props, **(fed or {}), **conn, "configKey": d.config_key})
    with ctx.clients():
        found = id_ if id_ is not None else getattr(provider.find(inp), "id", None)
        live = provider.get(found or "", inp)
    reading = Reading(d, inp, found, live,
                      adoption.drift(provider, inp, live) if live is not None else [])
    ctx.cache[key] = reading
    return reading


def cache_key(d: Declared, ref: str, fed: dict[str, Any] | None = None, id_: str | None = None) -> tuple:
    """Where `read` keeps a reading for the run (a unit test puts a reading there to judge it without a server)."""
    return ("owned", d.kind, d.step, ref, repr(sorted((fed or {}).items())), id_)


def judged(area: str, check: str, r: Reading, *, fix: str, missing: str, well: str,
           names: dict[str, str] | None = None) -> Result:
    """One result for a declared resource: `missing` when it does not exist, its drift when it differs (with
    `fix`, the guide's words for the repair; `pulumi up` converges it), `well` when it is as declared."""
    key = f" ({r.declared.config_key})"
    if not r.exists:
        return fail(area, check, missing, f"{fix}; `pulumi up` does it{key}")
    if r.drift:
        return fail(area, check, r.said(names), f"{fix}; `pulumi up` converges it{key}")
    return ok(area, check, well)
