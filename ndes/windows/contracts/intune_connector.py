"""IntuneConnector.ps1's service facts and the decision taken from them in Python.

The connector installs one service per feature (PFXCertificateConnectorSvc, PkiCreateConnectorSvc,
PfxCreateLegacyConnectorSvc, PkiRevokeConnectorSvc, PKIConnectorSvc; markstan/Validate-NDESConfiguration); only
the features selected in the connector's configuration are meant to run. The script reports each service's
status and start type; a service is meant to run when its start type is Automatic. The helpers below take the
state as it travels (IntuneConnectorState.wire()).
"""
from __future__ import annotations

from typing import Any, Literal

from . import Contract

SCRIPT = "IntuneConnector"


class IntuneConnectorParams(Contract):
    mode: Literal["get", "set"]
    ensure: Literal["present", "absent"] = "present"
    installer_path: str = ""
    """set: the installer on the host for a silent install / uninstall ('' = report only)."""
    require_registered: bool = False
    """set fails while the connector is not installed, not registered, or its certificate expired."""
    owner: str = ""


class IntuneConnectorState(Contract):
    installed: bool
    version: str = ""
    services: dict[str, str] = {}
    """Service name -> status (Running, Stopped, ...)."""
    start_types: dict[str, str] = {}
    """Service name -> start type (Automatic, Manual, Disabled)."""
    registered: bool = False
    certificate_thumbprint: str = ""
    certificate_not_after: str = ""
    certificate_days_left: int | None = None
    owner: str = ""


def meant_to_run(state: dict[str, Any]) -> list[str]:
    """The connector services whose start type is Automatic (the configured features)."""
    start = state.get("startTypes") or {}
    return sorted(n for n in (state.get("services") or {}) if start.get(n) == "Automatic")


def stopped(state: dict[str, Any]) -> list[str]:
    """The services meant to run that are not running."""
    services = state.get("services") or {}
    return [n for n in meant_to_run(state) if services.get(n) != "Running"]


def services_running(state: dict[str, Any]) -> bool:
    """Installed, at least one service meant to run, and all of those running."""
    return bool(state.get("installed")) and bool(meant_to_run(state)) and not stopped(state)
