"""HostBoot.ps1: the boot id and Windows' pending-restart indicators; set + restart -> Restart-Computer."""
from __future__ import annotations

from .. import hostmodel as hm
from . import HostContext, handler, mode_of, result

_PENDING_KEYS = {
    hm.CBS_REBOOT_PENDING: "Component Based Servicing",
    r"HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\WindowsUpdate\Auto Update\RebootRequired": "Windows Update",
}


def pending_reasons(state: dict) -> list[str]:
    reasons = [why for key, why in _PENDING_KEYS.items() if hm.key_exists(state, key)]
    if hm.get_value(state, r"HKLM:\SYSTEM\CurrentControlSet\Control\Session Manager",
                    "PendingFileRenameOperations") is not None:
        reasons.append("pending file rename operations")
    marker = hm.get_value(state, hm.PULUMI_KEY, "RebootPendingBoot")
    if marker is not None and marker["value"] == state["boot"]["bootId"]:
        reasons.append("a setting changed by Pulumi")
    return reasons


@handler("HostBoot")
def host_boot(ctx: HostContext, params: dict) -> dict:
    mode = mode_of(params)
    reasons = pending_reasons(ctx.state)
    changed = False
    if mode == "set" and params.get("restart"):
        ctx.request_reboot()
        changed = True
    return result({"bootId": ctx.state["boot"]["bootId"], "rebootPending": bool(reasons),
                   "pendingReasons": reasons}, changed=changed, reboot_required=bool(reasons))
