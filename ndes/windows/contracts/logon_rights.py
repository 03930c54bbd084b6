"""LogonRights.ps1: the logon rights of the LOCAL security policy, as `secedit /export /areas USER_RIGHTS /cfg
<file>` writes them (https://learn.microsoft.com/windows-server/administration/windows-commands/secedit-export),
and the SID Windows resolves for the service account (NTAccount.Translate).

Validate-NDESConfiguration accepts explicit logon rights (SeInteractiveLogonRight, SeBatchLogonRight,
SeServiceLogonRight) in place of IIS_IUSRS membership. A right granted in the local security policy only (secpol.msc,
not a GPO) is invisible to RSOP_UserPrivilegeRight, which HostDiagnostics.ps1 reads; secedit's export shows it.

The script returns the raw lines of the export's [Privilege Rights] section (`SeBatchLogonRight = *S-1-5-32-544,
*S-1-5-21-...-1105`; a principal secedit could not map to a SID is written by name, e.g. `Guest`); Python parses
them here and decides in ndes/verify/hosts.py.
"""
from __future__ import annotations

from typing import Literal

from . import Contract

SCRIPT = "LogonRights"
LOGON_RIGHTS = ("SeInteractiveLogonRight", "SeBatchLogonRight", "SeServiceLogonRight")
"""What Validate-NDESConfiguration accepts in place of IIS_IUSRS membership."""


class LogonRightsParams(Contract):
    mode: Literal["get"] = "get"
    account: str
    """DOMAIN\\account as configured."""


class LogonRightsState(Contract):
    account_sid: str = ""
    """The account's SID ('' when Windows cannot resolve the name)."""
    exit_code: int = 0
    """secedit's exit code."""
    privilege_rights: list[str] = []
    """The [Privilege Rights] lines of the export, as secedit wrote them."""


def parse(lines: list[str]) -> dict[str, list[str]]:
    """`Right = a,b,c` lines -> right -> principals (`*S-1-...` or a name), as written. Blank, comment (`;`) and
    malformed lines are skipped."""
    out: dict[str, list[str]] = {}
    for line in lines:
        text = line.strip().lstrip("\ufeff")
        if not text or text.startswith(";") or "=" not in text:
            continue
        right, _, holders = text.partition("=")
        out.setdefault(right.strip(), []).extend(h.strip() for h in holders.split(",") if h.strip())
    return out


def holds(principals: list[str], account: str, sid: str) -> bool:
    """Whether a right's principals name the account: `*<its SID>`, or its name (DOMAIN\\name or name)."""
    names = {account.casefold(), account.split("\\")[-1].casefold()}
    for p in principals:
        if p.startswith("*"):
            if sid and p[1:].upper() == sid.upper():
                return True
        elif p.casefold() in names:
            return True
    return False


def rights_of(lines: list[str], account: str, sid: str) -> set[str]:
    """The logon rights (of LOGON_RIGHTS) the local policy grants the account itself."""
    parsed = parse(lines)
    return {r for r in LOGON_RIGHTS if holds(parsed.get(r, []), account, sid)}
