"""HostReboot: restart a Windows host once when a change asks for it, and wait for WinRM to come back.

The guide restarts the NDES server after the HTTP.sys values (an iisreset is not enough). This resource sits
after the resources whose changes may need a restart (`triggers`: their outputs, so a change there re-runs
it). It acts only on a restart THIS project asked for: a script that made such a change recorded it during the
current boot (HostBoot.ps1 reports the mark; ndes/windows/contracts/host_boot.py decides). With allowReboot
(ndes:httpSys.allowReboot) it restarts the host once and waits; without it, it reports the need in `notes`.
Windows' own indicators (Component Based Servicing, Windows Update, pending file renames) come and go with
patching: they are reported in `notes` and `pendingReasons`, never acted on, never drift, so a refresh on a
patched server does not restart production NDES. `read` reports the project's pending restart as drift
(`rebootPending: true`) so `pulumi up` after a refresh restarts then.
"""
from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field

from ..windows.contracts import call
from ..windows.contracts.host_boot import SCRIPT, HostBootParams, HostBootState
from ._windows import host_of, WindowsInputs, WindowsProvider
from .base import Existing

OURS = "a setting changed by Pulumi"


class HostRebootInputs(WindowsInputs):
    allow_reboot: bool = True
    triggers: list[Any] = []
    """Anything whose change should re-check (e.g. the registry values written)."""
    reboot_pending: bool = False
    """Desired: no restart pending (read reports the live value, so a pending restart shows as a diff)."""
    timeout_seconds: int = Field(default=900, ge=60, le=7200)
    """How long the restart may take until WinRM answers (ndes:httpSys.rebootTimeout; the customTimeouts)."""


class HostRebootProvider(WindowsProvider):
    Inputs = HostRebootInputs

    @classmethod
    def compared_fields(cls) -> list[str]:
        return [f for f in super().compared_fields() if f != "timeoutSeconds"]  # a bound, not a state

    def find(self, inp: HostRebootInputs) -> Existing | None:
        return None  # nothing on the host to take over

    @staticmethod
    def _facts(host) -> HostBootState:
        return call(host, SCRIPT, HostBootParams(mode="get"), HostBootState).state

    @staticmethod
    def _windows_note(inp: HostRebootInputs, st: HostBootState) -> list[str]:
        reasons = st.windows_reasons()
        if not reasons:
            return []
        return [f"Windows itself reports a pending restart on {inp.endpoint.host} ({', '.join(reasons)}): not "
                "restarted by Pulumi; restart it in your patching window"]

    @staticmethod
    def _reasons(st: HostBootState) -> list[str]:
        return ([OURS] if st.restart_requested() else []) + st.windows_reasons()

    def apply(self, inp: HostRebootInputs, existing: Existing | None) -> tuple[str, dict[str, Any]]:
        host = host_of(inp)
        st = self._facts(host)
        rebooted, notes = False, []
        if st.restart_requested():
            if inp.allow_reboot:
                host.reboot_and_wait(timeout=inp.timeout_seconds)
                rebooted = True
                notes.append(f"restarted {inp.endpoint.host} once ({OURS})")
                st = self._facts(host)
            else:
                notes.append(f"{inp.endpoint.host} needs a restart ({OURS}); allowReboot is off "
                             f"({inp.config_key or 'ndes:httpSys.allowReboot'}): restart it in a maintenance window")
        notes += self._windows_note(inp, st)
        return f"{inp.endpoint.host}/reboot", {"rebooted": rebooted, "bootId": st.boot_id, "rebootPending": False,
                                               "pendingReasons": self._reasons(st), "notes": notes}

    def get(self, id_: str, inp: HostRebootInputs) -> dict[str, Any] | None:
        st = self._facts(host_of(inp))
        live: dict[str, Any] = {"bootId": st.boot_id, "pendingReasons": self._reasons(st)}
        if inp.allow_reboot:  # only then is the project's pending restart something `up` will act on
            live["rebootPending"] = st.restart_requested()
        return live

    def remove(self, id_: str, inp: HostRebootInputs) -> None:
        return None
