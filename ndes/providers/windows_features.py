"""WindowsFeatures: the roles and features NDES needs on its host (ADCS-Device-Enrollment, IIS and the .NET
pieces), installed with Install-WindowsFeature.

`read` reports which of the declared features are installed (an uninstall behind Pulumi's back shows as a
shorter `features` list, and `pulumi up` installs it again). Delete uninstalls only what this resource itself
installed (recorded on the host per owner), never a feature that was there before. A change that Windows says
needs a restart sets `rebootRequired` (the host's HostReboot resource acts on it).
"""
from __future__ import annotations

from typing import Any, ClassVar

from pydantic import field_validator

from ..model.field_rules import as_recorded
from ..windows import ScriptFailed
from ..windows.contracts import call
from ..windows.contracts import windows_features as C
from ._windows import host_of, WindowsInputs, WindowsProvider
from .base import Existing

SCRIPT = "WindowsFeatures"
NDES_FEATURES = ["ADCS-Device-Enrollment", "Web-Server", "Web-Filtering", "Web-Asp-Net45", "Web-Net-Ext45",
                 "Web-Metabase", "Web-WMI", "NET-WCF-HTTP-Activation45", "Web-Scripting-Tools"]
"""What the guide and Microsoft's NDES validation script check for, plus Web-Scripting-Tools ("IIS Management
Scripts and Tools"), which ships the WebAdministration module our IIS scripts import (without
-IncludeManagementTools nothing else brings it). NET-HTTP-Activation (.NET 3.5) is left out: its payload is
removed from current Windows Server images, so it installs only with a -Source."""


class WindowsFeaturesInputs(WindowsInputs):
    features: list[str] = list(NDES_FEATURES)
    include_management_tools: bool = True

    @field_validator("features")
    @classmethod
    def _names(cls, v: list[str]) -> list[str]:
        out: list[str] = []
        for name in v:
            n = name.strip()
            if not n or any(c.isspace() for c in n):
                raise ValueError(f"'{name}' is not a Windows feature name (e.g. Web-Server, ADCS-Device-Enrollment)")
            if n.lower() not in (o.lower() for o in out):
                out.append(n)
        if not out:
            raise ValueError("list at least one feature")
        return out

    # read: every declared feature uninstalled by hand reads as features []
    _recorded_features = as_recorded("features")


class WindowsFeaturesProvider(WindowsProvider):
    Inputs = WindowsFeaturesInputs

    def _run(self, inp: WindowsFeaturesInputs, mode: str, **extra: Any) -> dict[str, Any]:
        params = C.WindowsFeaturesParams(mode=mode, features=inp.features,
                                         include_management_tools=inp.include_management_tools, owner=inp.owner,
                                         **extra)
        res = call(host_of(inp), C.SCRIPT, params, C.WindowsFeaturesState,
                   timeout=max(inp.endpoint.operation_timeout, 1800) if mode == "set" else None)
        return {"state": res.state.wire(), "changed": res.changed, "rebootRequired": res.reboot_required,
                "warnings": res.warnings}

    @staticmethod
    def _id(inp: WindowsFeaturesInputs) -> str:
        return f"{inp.endpoint.host}/features"

    def _live(self, inp: WindowsFeaturesInputs, res: dict[str, Any]) -> dict[str, Any]:
        st = res["state"]
        if st.get("unknown"):
            raise ScriptFailed(SCRIPT, inp.endpoint.host, f"unknown feature names {', '.join(st['unknown'])} "
                               f"({inp.config_key or 'features'}): use the names Get-WindowsFeature lists",
                               "InvalidArgument")
        installed = {f["name"].lower(): f["name"] for f in st["features"] if f["installed"]}
        return {
            # the declared names, in the admin's spelling, that are installed (drift: a shorter list)
            "features": [n for n in inp.features if n.lower() in installed],
            "installedByPulumi": list(st.get("installedByOwner") or []),
            "rebootRequired": bool(res.get("rebootRequired")),
            "notes": list(res.get("warnings") or []),
        }

    def find(self, inp: WindowsFeaturesInputs) -> Existing | None:
        st = self._run(inp, "get")["state"]
        if st.get("installedByOwner"):
            return Existing(self._id(inp), inp.owner or None)
        if st["features"] and all(f["installed"] for f in st["features"]) and not st.get("unknown"):
            return Existing(self._id(inp), None)  # all there already: installed by hand
        return None

    def apply(self, inp: WindowsFeaturesInputs, existing: Existing | None) -> tuple[str, dict[str, Any]]:
        return self._id(inp), self._live(inp, self._run(inp, "set", ensure="present"))

    def get(self, id_: str, inp: WindowsFeaturesInputs) -> dict[str, Any] | None:
        live = self._live(inp, self._run(inp, "get"))
        live.pop("rebootRequired")
        live.pop("notes")
        return live

    def remove(self, id_: str, inp: WindowsFeaturesInputs) -> None:
        self._run(inp, "set", ensure="absent")
