"""HostBoot.ps1: the current boot and the raw pending-restart indicators; set + restart -> Restart-Computer.

The script reports facts only: the boot identity, the restart mark this project's scripts leave when a change
they made needs a restart (HKLM:\\SOFTWARE\\Pulumi\\NDES RebootPendingBoot = the boot it was made in), and
Windows' own indicators (Component Based Servicing RebootPending, Windows Update RebootRequired,
PendingFileRenameOperations). What to act on is decided here, in Python: only the project's own mark; Windows'
flags come and go with patching and are reported, never acted on.
"""
from __future__ import annotations

from typing import Literal

from . import Contract

SCRIPT = "HostBoot"


class HostBootParams(Contract):
    mode: Literal["get", "set"]
    restart: bool = False


class HostBootState(Contract):
    boot_id: str
    reboot_mark_boot: str = ""
    """RebootPendingBoot: the boot during which one of our scripts asked for a restart ('' when none)."""
    cbs_reboot_pending: bool = False
    windows_update_reboot_required: bool = False
    pending_file_rename_operations: bool = False

    def restart_requested(self) -> bool:
        """A restart this project asked for during the current boot (a mark from an earlier boot is spent)."""
        return bool(self.reboot_mark_boot) and self.reboot_mark_boot == self.boot_id

    def windows_reasons(self) -> list[str]:
        """Windows' own pending-restart indicators, in words (reported as notes, never acted on)."""
        return [why for flag, why in ((self.cbs_reboot_pending, "Component Based Servicing"),
                                      (self.windows_update_reboot_required, "Windows Update"),
                                      (self.pending_file_rename_operations, "pending file rename operations"))
                if flag]
