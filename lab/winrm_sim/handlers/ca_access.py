"""CaAccess on the simulated CA host: the Enroll ACE of one account in the CA's security descriptor.

Plays CaAccess.ps1 (contract: ndes/windows/contracts/ca_access.py, which every request is validated against):
the CA's key is the one CertSvc\\Configuration `Active` names (the CA's sanitized name, certstore.config_key),
its CommonName is reported; read-modify-write of the account's one access-allowed ACE, CertSvc restarted only on
change (counted in state["certsvc"]["service"]["restarts"]); an account name the domain does not know fails as
NTAccount.Translate does; set on a host whose active CA has another name fails.
"""
from __future__ import annotations

from typing import Any

from ndes.windows.contracts.ca_access import CaAccessParams, owner_mark

from .. import certstore, hostmodel
from ..ca import CA_ENROLL, CA_READ
from . import ScriptError, handler, result, validated


@handler("CaAccess")
def ca_access(ctx: Any, raw: dict[str, Any]) -> dict[str, Any]:
    p = validated(CaAccessParams, raw)
    mark = owner_mark(p.ca_name, p.account)
    if getattr(ctx, "role", "ca") != "ca":  # no CertSvc\Configuration on this host
        return result({"exists": False, "configKey": "", "commonName": "", "present": False, "mask": 0,
                       "denied": False, "accountSid": "", "restarted": False,
                       "owner": hostmodel.owner_mark(ctx.state, mark) or ""})
    svc = certstore.certsvc(ctx.state)
    if p.mode == "set" and svc["caName"].lower() != p.ca_name.lower():  # PowerShell's -ne
        raise ScriptError(f"the active certification authority on this host is {svc['caName']}, not {p.ca_name}",
                          "NotSpecified")
    sid = p.account_sid
    if not sid:
        sid = certstore.samba(ctx).lookup_sid(p.account)
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
    if p.mode == "set":
        if p.ensure == "present" and not present:
            if allow:
                allow["mask"] = mask | CA_ENROLL
            else:
                aces.append({"type": "allow", "sid": sid, "mask": CA_ENROLL})
            changed = True
        if p.ensure == "present" and p.owner:
            hostmodel.set_owner_mark(ctx.state, mark, p.owner)
        if p.ensure == "absent":
            hostmodel.clear_owner_mark(ctx.state, mark)
        if p.ensure == "absent" and present:
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
    return result({"exists": True, "configKey": certstore.config_key(svc), "commonName": svc["caName"],
                   "present": present, "mask": mask, "denied": denied, "accountSid": sid, "restarted": restarted,
                   "owner": hostmodel.owner_mark(ctx.state, mark) or ""}, changed=changed, warnings=warnings)
