"""The Pulumi program: stack config -> NdesScepDeploymentArgs -> one NdesScepDeployment -> outputs.

One user of the library API (ndes/components/args.py, README "Use it from your program"): the stack config is
the configuration document the component validates. Kept apart from __main__.py so tests can run it under mocks.

Stack outputs: the summary of what the configuration declares (scepUrls, templates, mscepMapping, caConfig,
serviceAccount, ndesHosts, platforms) and what the deployment made (ndes/components/outputs.py: caCertificates,
ndesHostState, appProxyApplications, intuneProfileIds, notes).
"""
from __future__ import annotations

import os
from typing import Any

import pulumi
import pulumi.runtime

from .components.args import NdesScepDeploymentArgs
from .components.deployment import NdesScepDeployment
from .model import ConfigError
from .model.errors import Problem
from .model.load import TOP_LEVEL_KEYS

SECRET_KEYS = {"password", "bindPassword", "clientSecret"}


def resolve_env_refs(value: Any, path: str, problems: list[Problem]) -> Any:
    """`{fromEnv: NAME}` anywhere in the config reads an environment variable (pipelines, the lab)."""
    if isinstance(value, dict):
        if set(value) == {"fromEnv"}:
            name = value["fromEnv"]
            if name not in os.environ:
                problems.append(Problem(path, f"reads the environment variable {name}, which is not set",
                                        f"export {name}=... before running pulumi, or set the value as a secret"))
                return None
            return os.environ[name]
        return {k: resolve_env_refs(v, f"{path}.{k}" if path else k, problems) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve_env_refs(v, f"{path}[{i}]", problems) for i, v in enumerate(value)]
    return value


def read_stack_config() -> dict[str, Any]:
    import json
    raw: dict[str, Any] = {}
    for key in TOP_LEVEL_KEYS:
        v = pulumi.runtime.get_config(f"ndes:{key}")
        if v is not None:
            try:
                raw[key] = json.loads(v)
            except ValueError:
                raw[key] = v
    problems: list[Problem] = []
    raw = {k: resolve_env_refs(v, k, problems) for k, v in raw.items()}
    if problems:
        raise ConfigError(problems)
    return raw


def secret_outputs(cfg) -> dict[str, pulumi.Output[str]]:
    """Every secret of the configuration as a Pulumi secret Output, for the planes to pass to providers."""
    s: dict[str, pulumi.Output[str]] = {
        "domain.bindPassword": pulumi.Output.secret(cfg.domain.bind_password.get_secret_value()),
        "serviceAccount.password": pulumi.Output.secret(cfg.service_account.password.get_secret_value()),
    }
    if cfg.winrm.password is not None:
        s["winrm.password"] = pulumi.Output.secret(cfg.winrm.password.get_secret_value())
    if cfg.graph.client_secret is not None:
        s["graph.clientSecret"] = pulumi.Output.secret(cfg.graph.client_secret.get_secret_value())
    return s


def main() -> NdesScepDeployment:
    try:
        deployment = NdesScepDeployment("ndes", NdesScepDeploymentArgs(config=read_stack_config()))
    except ConfigError as exc:  # raised before the component registers: nothing is declared
        raise pulumi.RunError(str(exc)) from None
    for key, value in {**deployment.summary, **deployment.operator_outputs}.items():
        pulumi.export(key, value)
    return deployment
