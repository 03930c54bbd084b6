"""LogonRights on a simulated host: the [Privilege Rights] lines `secedit /export /areas USER_RIGHTS` writes
(contract: ndes/windows/contracts/logon_rights.py) and the account's SID as NTAccount.Translate resolves it.

The lines are a Windows Server member server's defaults (principals as `*S-1-...`, a name where secedit keeps
one, e.g. `Guest`; the shape of a real export, docs/lab-fidelity.md), with the host's local policy laid over them:
`state["localPolicy"]["privilegeRights"]` maps a right to the principals granted (replacing the default line; an
empty list drops the line, as secedit omits a right nobody holds). `state["localPolicy"]["exportExitCode"]` makes
secedit fail (no file written), as it does without administrator rights.
"""
from __future__ import annotations

from typing import Any

from ndes.windows.contracts.logon_rights import LogonRightsParams

from . import handler, result, validated
from .local_group_member import sid_of

DEFAULT_RIGHTS: dict[str, list[str]] = {
    "SeNetworkLogonRight": ["*S-1-1-0", "*S-1-5-32-544", "*S-1-5-32-545", "*S-1-5-32-551"],
    "SeBackupPrivilege": ["*S-1-5-32-544", "*S-1-5-32-551"],
    "SeChangeNotifyPrivilege": ["*S-1-1-0", "*S-1-5-19", "*S-1-5-20", "*S-1-5-32-544", "*S-1-5-32-545",
                                "*S-1-5-32-551"],
    "SeBatchLogonRight": ["*S-1-5-32-544", "*S-1-5-32-551", "*S-1-5-32-559"],
    "SeServiceLogonRight": ["*S-1-5-80-0"],
    "SeInteractiveLogonRight": ["*S-1-5-32-544", "*S-1-5-32-545", "*S-1-5-32-551"],
    "SeDenyNetworkLogonRight": ["Guest"],
    "SeDenyInteractiveLogonRight": ["Guest"],
    "SeImpersonatePrivilege": ["*S-1-5-19", "*S-1-5-20", "*S-1-5-32-544", "*S-1-5-6"],
}


def privilege_lines(state: dict[str, Any]) -> list[str]:
    rights = {k: list(v) for k, v in DEFAULT_RIGHTS.items()}
    rights.update({k: list(v) for k, v in ((state.get("localPolicy") or {}).get("privilegeRights") or {}).items()})
    return [f"{right} = {','.join(holders)}" for right, holders in rights.items() if holders]


@handler("LogonRights")
def logon_rights(ctx: Any, raw: dict[str, Any]) -> dict[str, Any]:
    p = validated(LogonRightsParams, raw)
    policy = ctx.state.get("localPolicy") or {}
    code = int(policy.get("exportExitCode") or 0)
    lines = [] if code else privilege_lines(ctx.state)
    return result({"accountSid": sid_of(ctx, p.account) or "", "exitCode": code, "privilegeRights": lines})
