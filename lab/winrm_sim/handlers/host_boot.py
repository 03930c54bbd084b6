"""HostBoot.ps1: the boot id, the project's restart mark and Windows' pending-restart indicators as raw facts
(ndes/windows/contracts/host_boot.py); set + restart -> Restart-Computer."""
from __future__ import annotations

from ndes.windows.contracts.host_boot import HostBootParams, HostBootState

from .. import hostmodel as hm
from . import HostContext, handler, result, validated

WINDOWS_UPDATE_REBOOT_REQUIRED = r"HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\WindowsUpdate\Auto Update\RebootRequired"


def facts(state: dict) -> HostBootState:
    marker = hm.get_value(state, hm.PULUMI_KEY, "RebootPendingBoot")
    return HostBootState(
        boot_id=state["boot"]["bootId"], reboot_mark_boot=str(marker["value"]) if marker else "",
        cbs_reboot_pending=hm.key_exists(state, hm.CBS_REBOOT_PENDING),
        windows_update_reboot_required=hm.key_exists(state, WINDOWS_UPDATE_REBOOT_REQUIRED),
        pending_file_rename_operations=hm.get_value(state, hm.SESSION_MANAGER, "PendingFileRenameOperations")
        is not None)


@handler("HostBoot")
def host_boot(ctx: HostContext, params: dict) -> dict:
    p = validated(HostBootParams, params)
    st = facts(ctx.state)
    changed = False
    if p.mode == "set" and p.restart:
        ctx.request_reboot()
        changed = True
    return result(st.wire(), changed=changed)
