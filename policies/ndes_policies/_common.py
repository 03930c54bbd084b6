"""What every policy module shares: matching the project's resources by Kind, reading their properties
safely, the stack name, the stack's own configuration (the model's config pipeline), the policy config, and one
message shape.

Matching: a resource matches a Kind when the LAST segment of its type token is that Kind
(`pulumi-python:dynamic/ndes:ScepProfile` -> `ScepProfile`), so renaming the module keeps the pack working.

Reading: the engine hands properties wrapped in pulumi_policy proxies that raise on a value unknown at preview;
`plain()` unwraps them into dicts/lists once and turns each unknown into `UNKNOWN`, so a policy can skip what it
cannot judge yet instead of failing the whole policy. Numbers arrive as floats (JSON): `as_int()`.

Messages: `message(what, why, key, fix)` -> "<what is wrong>. Why it matters: <why>. Change <ndes:key>: <fix>."
Values that are secrets (passwords, client secrets, the WinRM endpoint's credentials) are never read into a
message: policies quote only names, hosts, URLs and settings.
"""
from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Mapping, Sequence
from typing import Any, Iterator

from pulumi_policy import Secret

UNKNOWN_MARKERS = frozenset({
    "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7",  # boolean
    "3eeb2bf0-c639-47a8-9e75-3b44932eb421",  # number
    "04da6b54-80e4-46f7-96ec-b56ff0331ba9",  # string
    "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2",  # array
    "030794c1-ac77-496b-92df-f27374a8bd58",  # asset
    "e48ece36-62e2-4504-bad9-02848725956a",  # archive
    "dd056dcd-154b-4c76-9bd3-c8f88648b5ff",  # object
})


class _Unknown:
    """A value the engine does not know yet (preview). Falsy, equal only to itself."""

    _instance: "_Unknown | None" = None

    def __new__(cls) -> "_Unknown":
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN = _Unknown()


def is_unknown(value: Any) -> bool:
    return value is UNKNOWN


def plain(value: Any) -> Any:
    """Unwrap pulumi_policy's proxies (unknown-checking and secret-preserving) into plain dicts and lists;
    unknown values become UNKNOWN. Safe on plain data too (unit tests)."""
    target = _target(value)
    if target is not None:
        value = target
    if isinstance(value, Secret):
        value = value.value
    if isinstance(value, str):
        return UNKNOWN if value in UNKNOWN_MARKERS else value
    if isinstance(value, Mapping):
        return {k: plain(_raw_item(value, k)) for k in value}
    if isinstance(value, Sequence) and not isinstance(value, (bytes, bytearray)):
        return [plain(_raw_item(value, i)) for i in range(len(value))]
    return value


def _target(value: Any) -> Any:
    """The wrapped object of a pulumi_policy proxy (they answer the key "__target"), else None."""
    if isinstance(value, (dict, list, str, bytes)) or not hasattr(value, "__getitem__"):
        return None
    try:
        return value["__target"]
    except Exception:  # noqa: BLE001 - not a proxy
        return None


def _raw_item(container: Any, key: Any) -> Any:
    """container[key] without tripping the unknown-checking proxy (it raises on unknowns)."""
    target = _target(container)
    return (target if target is not None else container)[key]


def kind_of(type_token: str) -> str:
    """The Kind of a type token: its last ':' segment (`pulumi-python:dynamic/ndes:NdesRole` -> NdesRole)."""
    return (type_token or "").rsplit(":", 1)[-1].rsplit("/", 1)[-1]


def props_of(obj: Any) -> dict[str, Any]:
    """The plain properties of a ResourceValidationArgs or a PolicyResource."""
    p = plain(getattr(obj, "props", None) or {})
    return p if isinstance(p, dict) else {}


def resources_of(args: Any, *kinds: str) -> Iterator[tuple[Any, dict[str, Any]]]:
    """(PolicyResource, plain props) of every resource of the stack whose Kind is one of `kinds`."""
    for r in getattr(args, "resources", None) or []:
        if kind_of(r.resource_type) in kinds:
            yield r, props_of(r)


def as_int(value: Any) -> int | None:
    if isinstance(value, bool) or value is None or is_unknown(value):
        return None
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return int(f) if f == int(f) else None


def as_list(value: Any) -> list[Any] | None:
    """A list value, None when absent or unknown (an unknown anywhere inside makes it unknown)."""
    if value is None or is_unknown(value) or not isinstance(value, list):
        return None
    if any(is_unknown(v) for v in value):
        return None
    return value


def known_str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def host_of(props: Mapping[str, Any]) -> str | None:
    """The Windows host a resource lives on: its connection's (or, in state from before connections, its
    endpoint's) host (FQDN, lower case)."""
    for key in ("connection", "endpoint"):
        ep = props.get(key)
        if isinstance(ep, dict) and isinstance(ep.get("host"), str):
            return ep["host"].strip().lower().rstrip(".")
    return None


def config_key(props: Mapping[str, Any], default: str, field: str | None = None) -> str:
    """The stack config key a setting comes from: the resource's own `configKey` input (e.g.
    ndes:templates.client) when it carries one, else `default`; `field` appended (ndes:...minimumKeySize)."""
    base = props.get("configKey")
    base = base if isinstance(base, str) and base.startswith("ndes:") else default
    return f"{base}.{field}" if field else base


def message(what: str, why: str, key: str, fix: str) -> str:
    return f"{what}. Why it matters: {why}. Change {key}: {fix}."


def setting(args: Any, name: str, default: Any) -> Any:
    """A policy config property (policy-config JSON / the schema's default), `default` when absent."""
    try:
        cfg = args.get_config() or {}
    except AttributeError:
        cfg = {}
    value = cfg.get(name, default) if isinstance(cfg, Mapping) else default
    return default if value is None else value


def deployment() -> Any | None:
    """The stack's own configuration (a DeploymentConfig) through the model's config pipeline, as the program
    reads it: the engine hands a policy pack the stack config in PULUMI_CONFIG (secrets decrypted) and runs it in
    the CLI's environment, so `{fromEnv}` resolves as it does for the program (pulumi/pulumi
    sdk/go/common/resource/plugin/analyzer_plugin.go, constructEnv). None when absent (unit tests, other engines)
    or when it does not validate: the program's own preview then fails naming every problem."""
    from ndes.model import ConfigError, load_config
    try:
        doc = json.loads(os.environ.get("PULUMI_CONFIG") or "{}")
        return load_config(doc, stack=current_stack() or None, environ=os.environ) if isinstance(doc, dict) else None
    except (ValueError, ConfigError):  # ConfigError is a ValueError; named for the reader
        return None


def current_stack() -> str:
    """The stack being previewed/updated: PULUMI_STACK (the engine sets it for policy packs), else the SDK's."""
    name = os.environ.get("PULUMI_STACK")
    if name:
        return name
    try:
        import pulumi

        return pulumi.get_stack()
    except Exception:  # noqa: BLE001 - outside an engine run
        return ""


def parse_time(value: Any) -> dt.datetime | None:
    """A notAfter as the providers write it (2027-01-31T12:00:00Z, or any ISO 8601), UTC; None if unreadable."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip().replace("Z", "+00:00")
    try:
        t = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return t if t.tzinfo else t.replace(tzinfo=dt.timezone.utc)


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)
