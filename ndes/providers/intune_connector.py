"""IntuneConnector: the Certificate Connector for Microsoft Intune on an NDES host.

Installed (Uninstall key), services running, registered with Intune, and its certificate's expiry (an expired
one shows as IIS 403.17 to devices). Registration needs an interactive Entra sign-in in the connector UI, so
it is detected and reported, never faked: outputs `registered` and `instruction`; with requireRegistered,
`pulumi up` fails with that instruction until someone signs in. With installerPath, a missing connector is
installed silently (`/install /quiet`) and delete uninstalls what this resource installed; without it the
resource only reports (installed or not: a missing connector is a note and `installed: false`, not an error,
unless requireRegistered; a connector installed by hand is never removed).
"""
from __future__ import annotations

import sys
from typing import Any, ClassVar


from ..windows.contracts import call
from ..windows.contracts import intune_connector as C
from ..windows.contracts.intune_connector import services_running
from ._windows import host_of, WindowsInputs, WindowsProvider
from .connector_watch import certificate_warning
from .base import Existing

SCRIPT = "IntuneConnector"
UI = r"%ProgramFiles%\Microsoft Intune\PFXCertificateConnector\ConnectorUI\PFXCertificateConnectorUI.exe"


class IntuneConnectorInputs(WindowsInputs):
    installer_path: str | None = None
    """IntuneCertificateConnector.exe on the host, for a silent install; report only when unset."""
    require_registered: bool = False


class IntuneConnectorProvider(WindowsProvider):
    Inputs = IntuneConnectorInputs
    replace_on: ClassVar[frozenset[str]] = frozenset()

    def _params(self, inp: IntuneConnectorInputs, mode: str, **extra: Any) -> C.IntuneConnectorParams:
        # report-only (no installerPath): never mark a connector as ours
        return C.IntuneConnectorParams(mode=mode, installer_path=inp.installer_path or "",
                                       require_registered=inp.require_registered,
                                       owner=inp.owner if inp.installer_path else "", **extra)

    def _call(self, inp: IntuneConnectorInputs, mode: str, timeout: int | None = None, **extra: Any):
        """One run; the state validated by the contract, handed on as it travels (camelCase dict)."""
        res = call(host_of(inp), C.SCRIPT, self._params(inp, mode, **extra), C.IntuneConnectorState, timeout=timeout)
        return res.state.wire(), res.warnings

    def _id(self, inp: IntuneConnectorInputs) -> str:
        return f"{inp.endpoint.host}/IntuneCertificateConnector"

    def find(self, inp: IntuneConnectorInputs) -> Existing | None:
        st, _ = self._call(inp, "get")
        if not st.get("installed"):
            return None
        # A connector this resource does not install (no installerPath) is only reported: nothing is taken over.
        owner = st.get("owner") or (inp.owner if not inp.installer_path else None)
        return Existing(self._id(inp), owner or None)

    @staticmethod
    def _live(st: dict[str, Any], warnings: list[str] | None = None) -> dict[str, Any]:
        instruction = "" if st.get("registered") else (
            f"register the connector: on the NDES host run {UI} and sign in as a Global or Intune Administrator "
            "(with an Intune license)")
        if not st.get("installed"):
            instruction = ("install the Certificate Connector for Microsoft Intune on the NDES host (or set "
                           "ndes:connector.installerPath), then " + instruction)
        return {"installed": bool(st.get("installed")), "version": st.get("version") or "",
                "servicesRunning": services_running(st), "services": st.get("services") or {},
                "registered": bool(st.get("registered")), "certificateNotAfter": st.get("certificateNotAfter") or "",
                "certificateDaysLeft": st.get("certificateDaysLeft"), "instruction": instruction,
                "notes": list(warnings or [])}

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]):
        res = super().diff(id_, olds, news)
        try:  # the certificate's expiry, live, in the preview (connector_watch.py); never fails a preview
            inp = self.parse(news)
            st, _ = self._call(inp, "get")
            msg = certificate_warning(inp.endpoint.host, st.get("certificateDaysLeft"),
                                      str(st.get("certificateNotAfter") or ""))
        except Exception:  # noqa: BLE001 - unknown inputs or an unreachable host: nothing to say here
            msg = None
        if msg:
            print(f"warning: {msg}", file=sys.stderr, flush=True)
        return res

    def apply(self, inp: IntuneConnectorInputs, existing: Existing | None) -> tuple[str, dict[str, Any]]:
        st, warnings = self._call(inp, "set", timeout=max(inp.endpoint.operation_timeout, 900), ensure="present")
        warnings = list(warnings or [])
        msg = certificate_warning(inp.endpoint.host, st.get("certificateDaysLeft"),
                                  str(st.get("certificateNotAfter") or ""))
        if msg and msg not in warnings:
            warnings.append(msg)
        return self._id(inp), self._live(st, warnings)

    def get(self, id_: str, inp: IntuneConnectorInputs) -> dict[str, Any] | None:
        st, _ = self._call(inp, "get")
        if not st.get("installed") and inp.installer_path:
            return None  # ours was removed: refresh drops it, the next up installs it again
        live = self._live(st)  # report-only: a missing connector is reported, not "gone"
        live.pop("notes")
        return live

    def remove(self, id_: str, inp: IntuneConnectorInputs) -> None:
        st, _ = self._call(inp, "get")
        if st.get("installed") and inp.installer_path and st.get("owner") == inp.owner:
            self._call(inp, "set", timeout=max(inp.endpoint.operation_timeout, 900), ensure="absent")
