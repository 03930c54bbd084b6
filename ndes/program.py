"""The Pulumi program: stack config -> NdesScepDeploymentArgs -> one NdesScepDeployment -> outputs.

One user of the library API (ndes/components/args.py, README "Use it from your program"): the stack config is
the configuration document the component validates. Kept apart from __main__.py so tests can run it under mocks.

Stack outputs: the summary of what the configuration declares (scepUrls, templates, mscepMapping, caConfig,
serviceAccount, ndesHosts, platforms) and what the deployment made (ndes/components/outputs.py: caCertificates,
ndesHostState, appProxyApplications, intuneProfileIds, notes).
"""
from __future__ import annotations

from typing import Any

import pulumi
import pulumi.runtime

from .components.args import NdesScepDeploymentArgs
from .components.deployment import NdesScepDeployment
from .model import ConfigError
from .model.errors import Problem
from .env_refs import resolve_env_refs
from .model.load import TOP_LEVEL_KEYS

SECRET_KEYS = {"password", "bindPassword", "clientSecret"}


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
        deployment = NdesScepDeployment("ndes", NdesScepDeploymentArgs(config=read_stack_config(),
                                                                        connections_from_stack_config=True))
    except ConfigError as exc:  # raised before the component registers: nothing is declared
        raise pulumi.RunError(str(exc)) from None
    for key, value in {**deployment.summary, **deployment.operator_outputs}.items():
        pulumi.export(key, value)
    return deployment
