"""HostReboot: restart a Windows host once when a change asks for it, and wait for WinRM to come back.

The guide restarts the NDES server after the HTTP.sys values (an iisreset is not enough). This resource sits
after the resources whose changes may need a restart (`triggers`: their outputs, so a change there re-runs
it): it asks HostBoot.ps1 whether a restart is pending (Windows' own indicators, or a Pulumi script that
recorded one during the current boot) and, with allowReboot (ndes:httpSys.allowReboot), restarts the host
once and waits; without it, it reports `rebootPending: true` and the reason in `notes`. `read` reports a
pending restart as drift (`rebootPending: true`) so `pulumi up` after a refresh restarts then.
"""
from __future__ import annotations

from typing import Any, ClassVar

import pulumi

from ._windows import WindowsInputs, host_of
from .base import Existing, NdesProvider, ResourceInputs

SCRIPT = "HostBoot"


class HostRebootInputs(WindowsInputs):
    allow_reboot: bool = True
    triggers: list[Any] = []
    """Anything whose change should re-check (e.g. the registry values written)."""
    reboot_pending: bool = False
    """Desired: no restart pending (read reports the live value, so a pending restart shows as a diff)."""
    timeout_seconds: int = 900


class HostRebootProvider(NdesProvider):
    kind: ClassVar[str] = "HostReboot"
    Inputs: ClassVar[type[ResourceInputs]] = HostRebootInputs
    secret_fields: ClassVar[frozenset[str]] = frozenset({"endpoint"})

    def find(self, inp: HostRebootInputs) -> Existing | None:
        return None  # nothing on the host to take over

    def apply(self, inp: HostRebootInputs, existing: Existing | None) -> tuple[str, dict[str, Any]]:
        host = host_of(inp)
        st = host.run_script(SCRIPT, {"mode": "get"})["state"]
        rebooted, notes = False, []
        if st.get("rebootPending"):
            reasons = ", ".join(st.get("pendingReasons") or []) or "pending"
            if inp.allow_reboot:
                host.reboot_and_wait(timeout=inp.timeout_seconds)
                rebooted = True
                notes.append(f"restarted {inp.endpoint.host} once ({reasons})")
                st = host.run_script(SCRIPT, {"mode": "get"})["state"]
            else:
                notes.append(f"{inp.endpoint.host} needs a restart ({reasons}); allowReboot is off "
                             f"({inp.config_key or 'ndes:httpSys.allowReboot'}): restart it in a maintenance window")
        return f"{inp.endpoint.host}/reboot", {"rebooted": rebooted, "bootId": st.get("bootId"),
                                               "rebootPending": False, "pendingReasons": st.get("pendingReasons") or [],
                                               "notes": notes}

    def get(self, id_: str, inp: HostRebootInputs) -> dict[str, Any] | None:
        st = host_of(inp).run_script(SCRIPT, {"mode": "get"})["state"]
        live: dict[str, Any] = {"bootId": st.get("bootId"), "pendingReasons": st.get("pendingReasons") or []}
        if inp.allow_reboot:  # only then is a pending restart something `up` will act on
            live["rebootPending"] = bool(st.get("rebootPending"))
        return live

    def remove(self, id_: str, inp: HostRebootInputs) -> None:
        return None


class HostReboot(pulumi.dynamic.Resource, module="ndes", name="HostReboot"):
    """A restart once when one is pending. Outputs: rebooted, bootId, pendingReasons, notes."""

    rebooted: pulumi.Output[bool]
    bootId: pulumi.Output[str]
    pendingReasons: pulumi.Output[list[str]]
    notes: pulumi.Output[list[str]]

    def __init__(self, name: str, props: dict[str, Any], opts: pulumi.ResourceOptions | None = None):
        outs = {"rebooted": None, "bootId": None, "pendingReasons": None, "notes": None}
        opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(additional_secret_outputs=["endpoint"]))
        super().__init__(HostRebootProvider(), name, {**outs, **props}, opts)
