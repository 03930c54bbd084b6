"""The config pipeline: raw stack configuration -> DeploymentConfig, with every problem named by its config key.

One pipeline for every reader of the stack config: the program (ndes/components/views.py, for the values
pulumi.runtime.get_config gives), `ndes verify` (`pulumi config --json` or a YAML file), the providers'
configure() (ndes/providers/connections.py) and the policy pack (PULUMI_CONFIG):

    stack_values (namespace, JSON text, `pulumi config --json` entries) -> resolve_env_refs ({fromEnv: NAME})
    -> DeploymentConfig (field rules) -> cross_check (checks.py)

Pure: no Pulumi, no I/O; the environment that `{fromEnv}` reads is a parameter (none by default).
"""
from __future__ import annotations

import json
from types import MappingProxyType
from typing import Any, Mapping

from pydantic import ValidationError

from .checks import cross_check
from .config import DeploymentConfig
from .env_refs import resolve_env_refs
from .errors import NAMESPACE, ConfigError, Problem

NO_ENVIRONMENT: Mapping[str, str] = MappingProxyType({})
# the keys of `pulumi config --json` entries (pulumi/pulumi pkg/cmd/pulumi/config: configValueJSON; `object` in
# older CLIs); `secret` is always present, `value`/`objectValue` are omitted when empty
_CLI_ENTRY = {"value", "objectValue", "secret", "object"}

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


def _cli_entry(v: Any) -> bool:
    return isinstance(v, dict) and isinstance(v.get("secret"), bool) and set(v) <= _CLI_ENTRY


def stack_values(values: Mapping[str, Any]) -> dict[str, Any]:
    """The `ndes` namespace of raw stack config, keyed without the prefix, each value parsed. Accepts the values
    as `pulumi config --json` lists them ({"value": text, "objectValue": object, "secret": bool}), as the engine
    hands them to the program and to providers (JSON text), or already parsed (a YAML file, a library caller);
    keys with or without `ndes:`; keys of other namespaces (aws:region) are left out."""
    out: dict[str, Any] = {}
    for k, v in values.items():
        name = k.split(":", 1)[1] if k.startswith(NAMESPACE + ":") else k
        if ":" in name:
            continue  # another namespace
        if _cli_entry(v):
            v = v.get("objectValue", v.get("value"))
        if isinstance(v, str):
            try:
                v = json.loads(v)
            except ValueError:
                pass
        out[name] = v
    return out


def validate(doc: Mapping[str, Any], stack: str | None = None, known: list[Problem] | None = None) -> DeploymentConfig:
    """A parsed, resolved document -> DeploymentConfig with the cross-checks; raises ConfigError with every problem.

    `known` are problems found before (an unset {fromEnv} variable): they are raised with the model's, and the
    model's complaint about the same key (its value is missing) is left out."""
    problems = list(known or [])
    seen = {p.key for p in problems}

    def new(found: list[Problem]) -> list[Problem]:
        return [p for p in found if not any(p.key == k or p.key.startswith((k + ".", k + "[")) for k in seen)]
    try:
        cfg = DeploymentConfig.model_validate(dict(doc))
    except ValidationError as exc:
        raise ConfigError(problems + new(problems_from_validation(exc))) from None
    problems += new(cross_check(cfg, stack))
    if problems:
        raise ConfigError(problems)
    return cfg


def load_config(values: Mapping[str, Any], stack: str | None = None,
                environ: Mapping[str, str] = NO_ENVIRONMENT) -> DeploymentConfig:
    """Validate the whole chain's configuration; raises ConfigError listing every problem with its key.

    `values`: raw stack config in any shape stack_values takes. `stack` is the Pulumi stack's name: TLS
    verification may be off only on the stacks of checks.INSECURE_TLS_STACKS (None, unknown, allows it nowhere).
    `environ`: what `{fromEnv: NAME}` reads (none by default; the outermost caller passes os.environ)."""
    return load_document(stack_values(values), stack, environ)


def load_document(doc: Mapping[str, Any], stack: str | None = None,
                  environ: Mapping[str, str] = NO_ENVIRONMENT) -> DeploymentConfig:
    """load_config of a document stack_values already parsed (NdesScepDeploymentArgs puts its secrets in first)."""
    problems: list[Problem] = []
    resolved = {k: resolve_env_refs(v, k, problems, environ) for k, v in doc.items()}
    return validate(resolved, stack, problems)
