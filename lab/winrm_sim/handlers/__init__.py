"""Script handlers: each plays one project script's contract against the simulated host's state.

A handler is `fn(ctx: HostContext, params: dict) -> dict` registered with `@handler("<ScriptName>")` in its
own module `handlers/<snake_name>.py`; it returns the script's result ({"changed", "state", "rebootRequired",
"warnings"}) or raises ScriptError(message, category) -> the bootstrap's JSON error and exit code 1. Handlers
are honest: they refuse what Windows refuses (unknown feature names, wrong registry types, unknown principals).
"""
from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass, field
from typing import Any, Callable

HANDLERS: dict[str, Callable[["HostContext", dict], dict]] = {}


def handler(name: str):
    """Register the decorated function as the handler of script `name`."""
    def register(fn: Callable[["HostContext", dict], dict]) -> Callable[["HostContext", dict], dict]:
        if name in HANDLERS and HANDLERS[name] is not fn:
            raise RuntimeError(f"two handlers for script {name}")
        HANDLERS[name] = fn
        return fn
    return register


class ScriptError(Exception):
    """What the script would report: PowerShell's exception message and ErrorCategory name."""

    def __init__(self, message: str, category: str = "NotSpecified") -> None:
        super().__init__(message)
        self.message = message
        self.category = category


@dataclass
class HostContext:
    name: str
    """The host's FQDN."""
    role: str
    """"ndes" | "ca" """
    state: dict[str, Any]
    """The host's mutable state; saved to disk after the call."""
    user: str
    """The authenticated principal (DOMAIN\\user)."""
    lab: Any
    """LabAccess: other hosts' state by name (lab.edit_host(name)), the Samba DC (lab.directory())."""
    _reboot: Callable[[], None] = field(repr=False, default=lambda: None)
    knobs: Any = field(repr=False, default=None)
    """The simulator's test knobs (lab/winrm_sim/knobs.py), or None."""

    def request_reboot(self) -> None:
        """Restart the host once the current answer has been sent (as Restart-Computer -Force does)."""
        self._reboot()


def result(state: dict, *, changed: bool = False, reboot_required: bool = False,
           warnings: list[str] | None = None) -> dict:
    return {"changed": changed, "state": state, "rebootRequired": reboot_required, "warnings": warnings or []}


def param(params: dict, name: str, default: Any = ...) -> Any:
    """A parameter as the script reads it from $Params (missing and no default -> the StrictMode error)."""
    if name in params:
        return params[name]
    if default is ...:
        raise ScriptError(f"The property '{name}' cannot be found on this object. Verify that the property "
                          "exists.", "NotSpecified")
    return default


def validated(model: Any, params: dict) -> Any:
    """The params checked against the script's contract (ndes/windows/contracts): a caller that sends
    something else fails as PowerShell's binding or StrictMode would, naming what is wrong."""
    from pydantic import ValidationError

    try:
        return model.model_validate(params)
    except ValidationError as exc:
        first = exc.errors(include_url=False, include_input=False)[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or "Params"
        raise ScriptError(f"Cannot validate argument on parameter '{where}'. {first.get('msg', '')}",
                          "InvalidArgument") from None


def mode_of(params: dict) -> str:
    mode = param(params, "mode")
    if mode not in ("get", "set"):
        raise ScriptError(f"mode must be get or set, not '{mode}'", "InvalidArgument")
    return mode


def load_all() -> None:
    """Import every handler module of this package (each registers itself)."""
    for mod in pkgutil.iter_modules(__path__):
        if not mod.name.startswith("_"):
            importlib.import_module(f"{__name__}.{mod.name}")
