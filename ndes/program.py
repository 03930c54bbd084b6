"""The Pulumi program: stack config -> NdesScepDeploymentArgs -> one NdesScepDeployment -> outputs.

One user of the library API (ndes/components/args.py, README "Use it from your program"): the program reads the
`ndes:` stack config values and hands them on raw; the component runs the model's config pipeline on them once
(ndes/model/load.py: parse, `{fromEnv}`, validation, cross-checks). Kept apart from __main__.py so tests can run it
under mocks.

Stack outputs: the summary of what the configuration declares (scepUrls, templates, mscepMapping, caConfig,
serviceAccount, ndesHosts, platforms) and what the deployment made (ndes/components/outputs.py: caCertificates,
ndesHostState, appProxyApplications, intuneProfileIds, notes).
"""
from __future__ import annotations

import os

import pulumi
import pulumi.runtime

from .components.args import NdesScepDeploymentArgs
from .components.deployment import NdesScepDeployment
from .model import ConfigError, DeploymentConfig, load_config
from .model.load import TOP_LEVEL_KEYS

def read_stack_config() -> dict[str, str]:
    """The stack's `ndes:` values as the engine gives them to the program (JSON text per top-level key)."""
    found = {key: pulumi.runtime.get_config(f"ndes:{key}") for key in TOP_LEVEL_KEYS}
    return {key: v for key, v in found.items() if v is not None}


def load_stack_config() -> DeploymentConfig:
    """This stack's validated configuration (the model's pipeline over read_stack_config(), `{fromEnv}` read from
    the environment), for a program that builds the planes itself."""
    return load_config(read_stack_config(), stack=pulumi.get_stack(), environ=os.environ)


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
