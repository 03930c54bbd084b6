"""Raw stack configuration -> DeploymentConfig, with every problem named by its config key."""
from __future__ import annotations

import json
from typing import Any, Mapping

from pydantic import ValidationError

from .checks import cross_check
from .config import DeploymentConfig
from .errors import NAMESPACE, ConfigError, Problem

TOP_LEVEL_KEYS = tuple(f.alias or n for n, f in DeploymentConfig.model_fields.items())


def _key(loc: tuple) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in ("function-after", "function-before") or str(part).startswith(("function-", "literal[")):
            continue
        else:
            out += ("." if out else "") + str(part)
    return out


def _message(err: dict) -> tuple[str, str]:
    kind, msg = err.get("type", ""), err.get("msg", "")
    if kind == "missing":
        return "is required", "set it with pulumi config set --path (see README, Configuration)"
    if kind == "extra_forbidden":
        return "is not a known setting (a typo?)", "check the spelling against the README's configuration reference"
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, "):]
    return msg, ""


def problems_from_validation(exc: ValidationError) -> list[Problem]:
    out = []
    for err in exc.errors(include_input=False, include_url=False):
        message, fix = _message(err)
        out.append(Problem(_key(tuple(err.get("loc", ()))), message, fix))
    return out


def parse_raw(values: Mapping[str, Any]) -> dict[str, Any]:
    """Stack config values arrive as strings (JSON for objects); keys may carry the `ndes:` prefix."""
    out: dict[str, Any] = {}
    for k, v in values.items():
        name = k.split(":", 1)[1] if k.startswith(NAMESPACE + ":") else k
        if ":" in name:
            continue  # another namespace
        if isinstance(v, str):
            try:
                v = json.loads(v)
            except ValueError:
                pass
        out[name] = v
    return out


def load_config(values: Mapping[str, Any], stack: str | None = None) -> DeploymentConfig:
    """Validate the whole chain's configuration; raises ConfigError listing every problem with its key.

    `stack` is the Pulumi stack's name: TLS verification may be off only on the stacks of
    checks.INSECURE_TLS_STACKS (None, unknown, allows it nowhere)."""
    raw = parse_raw(values)
    try:
        cfg = DeploymentConfig.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(problems_from_validation(exc)) from None
    problems = cross_check(cfg, stack)
    if problems:
        raise ConfigError(problems)
    return cfg
