"""Typed configuration and pure derivations: no I/O, no Pulumi."""
from .config import DeploymentConfig
from .errors import ConfigError, Problem
from .load import load_config

__all__ = ["ConfigError", "DeploymentConfig", "Problem", "load_config"]
