"""CaAccess on the simulated CA host: the Enroll ACE of one account in the CA's security descriptor.

Contract of ndes/windows/scripts/CaAccess.ps1: read-modify-write of the account's one access-allowed ACE,
CertSvc restarted only on change (counted in state["certsvc"]["service"]["restarts"]); an account name the
domain does not know fails as NTAccount.Translate does.
"""
from __future__ import annotations

from typing import Any

from .. import certstore, hostmodel
from ..ca import CA_ENROLL, CA_READ
from . import ScriptError, handler


@handler("CaAccess")
def ca_access(ctx: Any, params: dict[str, Any]) -> dict[str, Any]:
    if getattr(ctx, "role", "ca") != "ca":
        return _result(False, {"exists": False, "present": False, "mask": 0, "denied": False, "accountSid": "",
                               "restarted": False})
    svc = certstore.certsvc(ctx.state)
    if params.get("caName") != svc["caName"]:
        return _result(False, {"exists": False, "present": False, "mask": 0, "denied": False, "accountSid": "",
                               "restarted": False})
    sid = params.get("accountSid") or ""
    if not sid:
        sid = certstore.samba(ctx).lookup_sid(str(params.get("account", "")))
        if sid is None:
            raise ScriptError('Exception calling "Translate" with "1" argument(s): "Some or all identity '
                              'references could not be translated."', "NotSpecified")
    aces = svc["security"]
    allow = next((a for a in aces if a["sid"] == sid and a["type"] == "allow"), None)
    deny = next((a for a in aces if a["sid"] == sid and a["type"] == "deny"), None)
    mask = allow["mask"] if allow else 0
    present = bool(mask & CA_ENROLL)
    denied = bool(deny and deny["mask"] & CA_ENROLL)
    changed = restarted = False
    warnings: list[str] = []
    if params.get("mode") == "set":
        ensure = params.get("ensure") or "present"
        if ensure == "present" and not present:
            if allow:
                allow["mask"] = mask | CA_ENROLL
            else:
                aces.append({"type": "allow", "sid": sid, "mask": CA_ENROLL})
            changed = True
        mark = f"CaAccess:{params.get('caName')}:{params.get('account')}"
        if ensure == "present" and params.get("owner"):
            hostmodel.set_owner_mark(ctx.state, mark, str(params["owner"]))
        if ensure == "absent":
            hostmodel.clear_owner_mark(ctx.state, mark)
        if ensure == "absent" and present:
            rest = mask & ~CA_ENROLL
            if rest & ~CA_READ == 0:
                aces.remove(allow)
            else:
                allow["mask"] = rest
            changed = True
        if changed:
            svc["service"]["status"] = "Running"
            svc["service"]["restarts"] = svc["service"].get("restarts", 0) + 1
            restarted = True
            allow = next((a for a in aces if a["sid"] == sid and a["type"] == "allow"), None)
            mask = allow["mask"] if allow else 0
            present = bool(mask & CA_ENROLL)
        if denied:
            warnings.append("a deny ACE for Request Certificates on the CA overrides the allow for this account")
    owner = hostmodel.owner_mark(ctx.state, f"CaAccess:{params.get('caName')}:{params.get('account')}") or ""
    return _result(changed, {"exists": True, "owner": owner, "present": present, "mask": mask, "denied": denied,
                             "accountSid": sid, "restarted": restarted}, warnings)


def _result(changed: bool, state: dict[str, Any], warnings: list[str] | None = None) -> dict[str, Any]:
    return {"changed": changed, "state": state, "rebootRequired": False, "warnings": warnings or []}
