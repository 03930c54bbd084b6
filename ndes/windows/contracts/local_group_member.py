"""LocalGroupMember.ps1: one member of a local group, compared by SID.

Get-LocalGroupMember fails on a group holding an orphaned SID (an account deleted from the domain: "Failed to
compare two elements in the array", PowerShell/PowerShell issue 2996), which IIS_IUSRS often holds after an
earlier service account was deleted. So the script lists the group through the ADSI WinNT provider (each
member's objectSid and ADsPath) and resolves the wanted account to its SID (NTAccount.Translate); whether the
account is a member is decided here, by SID. Add-LocalGroupMember's MemberExists counts as success; removal is
by the SID the group lists.
"""
from __future__ import annotations

from typing import Literal

from . import Contract

SCRIPT = "LocalGroupMember"


class LocalGroupMemberParams(Contract):
    mode: Literal["get", "set"]
    group: str
    member: str
    """DOMAIN\\account as configured."""
    owner: str = ""
    action: Literal["", "add", "keep", "remove"] = ""
    """set: add (Add-LocalGroupMember, owner mark), keep (owner mark only), remove (Remove-LocalGroupMember by
    `sid` when given, then the owner mark is cleared)."""
    sid: str = ""


class GroupMember(Contract):
    sid: str
    path: str
    """The member's ADsPath, e.g. WinNT://CONTOSO/svc-ndes, WinNT://CONTOSO/NDES1/Administrator, or
    WinNT://S-1-5-21-...-1108 for a SID that no longer resolves."""


class LocalGroupMemberState(Contract):
    group: str
    member_sid: str = ""
    """The configured account's SID ('' when Windows cannot resolve the name)."""
    members: list[GroupMember] = []
    owner: str = ""

    def found(self) -> GroupMember | None:
        if not self.member_sid:
            return None
        return next((m for m in self.members if m.sid.upper() == self.member_sid.upper()), None)


def account_name(path: str) -> str:
    """DOMAIN\\name from an ADsPath (WinNT://DOMAIN/name, WinNT://DOMAIN/HOST/name -> HOST\\name); the SID itself
    for an orphaned member."""
    parts = [p for p in path.removeprefix("WinNT://").split("/") if p]
    return "\\".join(parts[-2:]) if len(parts) >= 2 else (parts[0] if parts else "")
