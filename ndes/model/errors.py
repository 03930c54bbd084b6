"""Configuration errors that name the stack config key and the fix."""
from __future__ import annotations

from dataclasses import dataclass

NAMESPACE = "ndes"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the configuration.

    `key` is the path inside the `ndes` namespace in Pulumi's `--path` syntax (``intune.scep.keySize``,
    ``ndesHosts[0].externalUrl``); `message` says what is wrong and why; `fix` says what to do.
    """

    key: str
    message: str
    fix: str = ""

    @property
    def config_key(self) -> str:
        return f"{NAMESPACE}:{self.key}" if self.key else NAMESPACE

    def __str__(self) -> str:
        text = f"{self.config_key}: {self.message}"
        return f"{text}. Fix: {self.fix}" if self.fix else text


class ConfigError(ValueError):
    """The stack configuration is invalid; raised before anything touches a server."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        lines = [f"invalid NDES/SCEP configuration ({len(self.problems)} problem(s)):"]
        lines += [f"  - {p}" for p in self.problems]
        super().__init__("\n".join(lines))

    @property
    def keys(self) -> list[str]:
        return [p.config_key for p in self.problems]


def set_hint(key: str, value: str) -> str:
    """The command that sets one config value, as a fix hint."""
    return f"pulumi config set --path '{key}' {value}"
