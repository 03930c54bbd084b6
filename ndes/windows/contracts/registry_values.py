"""RegistryValues.ps1: HKLM registry values, read with their registry types (String, ExpandString, DWord, QWord,
MultiString, Binary as hex text); set converges them (ensure absent deletes them) and, with markRebootPending,
records the project's restart mark when a change needs a restart (HostBoot acts on that mark only)."""
from __future__ import annotations

from typing import Any, Literal

from . import Contract

SCRIPT = "RegistryValues"


class RegistryValueParam(Contract):
    path: str
    """HKLM:\\... (the registry provider's path)."""
    name: str
    type: str = ""
    """String | ExpandString | DWord | QWord | MultiString | Binary (set; the script refuses another)."""
    value: Any = None


class RegistryValuesParams(Contract):
    mode: Literal["get", "set"]
    values: list[RegistryValueParam]
    ensure: Literal["present", "absent"] = "present"
    mark_reboot_pending: bool = False
    owner: str = ""
    mark: str = ""
    """The owner mark's name under HKLM:\\SOFTWARE\\Pulumi\\NDES\\Owners ('' = none)."""


class RegistryValueFacts(Contract):
    path: str
    name: str
    exists: bool = False
    type: str | None = None
    value: Any = None


class RegistryValuesState(Contract):
    values: list[RegistryValueFacts] = []
    owner: str | None = None
