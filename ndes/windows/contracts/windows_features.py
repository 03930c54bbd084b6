"""WindowsFeatures.ps1: Get-WindowsFeature / Install-WindowsFeature / Uninstall-WindowsFeature. set present
installs the missing features and records what it installed under HKLM:\\SOFTWARE\\Pulumi\\NDES\\InstalledFeatures
(value name = owner); set absent uninstalls only the features recorded there for this owner; a restart Windows asks
for is recorded as the project's restart mark."""
from __future__ import annotations

from typing import Literal

from . import Contract

SCRIPT = "WindowsFeatures"


class WindowsFeaturesParams(Contract):
    mode: Literal["get", "set"]
    features: list[str]
    ensure: Literal["present", "absent"] = "present"
    include_management_tools: bool = False
    owner: str = ""


class FeatureFacts(Contract):
    name: str
    """As Windows spells it."""
    display_name: str = ""
    installed: bool
    install_state: str = ""
    """Installed, Available or Removed (payload removed: installing needs -Source)."""


class WindowsFeaturesState(Contract):
    features: list[FeatureFacts] = []
    unknown: list[str] = []
    """Asked-for names Get-WindowsFeature does not know."""
    installed_by_owner: list[str] = []
    owner: str = ""
