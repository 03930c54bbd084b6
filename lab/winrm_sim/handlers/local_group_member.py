"""LocalGroupMember.ps1 against the host's local groups: the group's members as the ADSI WinNT provider lists
them (objectSid, ADsPath; an orphaned SID lists as WinNT://<SID>), the configured account's SID as
NTAccount.Translate resolves it, and Add-/Remove-LocalGroupMember (MemberExists is success; removal by SID). A
member must resolve as Windows resolves it: a local account of this host, a well-known NT AUTHORITY / BUILTIN
principal, or an account of the lab domain that the lab's Samba DC knows (sAMAccountName); anything else is
PrincipalNotFound, an unknown group GroupNotFound."""
from __future__ import annotations

from lab import topology

from ndes.windows.contracts.local_group_member import LocalGroupMemberParams

from .. import hostmodel as hm
from . import HostContext, ScriptError, handler, result, validated

WELL_KNOWN_SIDS = {"nt authority\\authenticated users": "S-1-5-11", "nt authority\\network service": "S-1-5-20",
                   "nt authority\\system": "S-1-5-18", "nt authority\\interactive": "S-1-5-4",
                   "builtin\\users": "S-1-5-32-545", "builtin\\administrators": "S-1-5-32-544"}
_WELL_KNOWN = {"nt authority\\authenticated users": "Group", "nt authority\\network service": "User",
               "nt authority\\system": "User", "nt authority\\interactive": "Group",
               "builtin\\users": "Group", "builtin\\administrators": "Group"}


def _mark(group: str, member: str) -> str:
    return f"LocalGroupMember:{group.lower()}:{member.lower()}"


def resolve(ctx: HostContext, member: str) -> dict:
    """The principal as Get-LocalGroupMember would list it, or PrincipalNotFound."""
    if "\\" not in member:
        member = f"{hm.short_name(ctx.name)}\\{member}"
    domain, name = member.split("\\", 1)
    if member.lower() in _WELL_KNOWN:
        return {"name": member, "objectClass": _WELL_KNOWN[member.lower()], "principalSource": "Unknown"}
    if domain.upper() == hm.short_name(ctx.name):
        for u in ctx.state.get("localUsers", []):
            if u.lower() == member.lower():
                return {"name": u, "objectClass": "User", "principalSource": "Local"}
    elif domain.upper() == topology.NETBIOS:
        found = _directory_lookup(ctx, name)
        if found is not None:
            return {"name": f"{topology.NETBIOS}\\{found[0]}", "objectClass": found[1],
                    "principalSource": "ActiveDirectory"}
    raise ScriptError(f"Principal {member} was not found.", "ObjectNotFound")


def _directory_lookup(ctx: HostContext, sam: str) -> tuple[str, str] | None:
    from ldap3.utils.conv import escape_filter_chars
    try:
        conn = ctx.lab.directory()
    except Exception as exc:  # the DC is down: Windows cannot resolve domain names either
        raise ScriptError(f"The trust relationship between this workstation and the primary domain failed "
                          f"(the lab DC did not answer: {type(exc).__name__})", "NotSpecified") from None
    try:
        info = ctx.lab.samba_info()
        conn.search(info.domain_dn, f"(sAMAccountName={escape_filter_chars(sam)})",
                    attributes=["sAMAccountName", "objectClass"])
        if not conn.entries:
            return None
        entry = conn.entries[0]
        classes = [c.lower() for c in entry.objectClass.values]
        kind = "Group" if "group" in classes else "User"
        return str(entry.sAMAccountName.value), kind
    finally:
        conn.unbind()


def sid_of(ctx: HostContext, name: str) -> str | None:
    """NTAccount.Translate: the SID Windows resolves for DOMAIN\\name (None when it does not resolve)."""
    if "\\" not in name:
        name = f"{hm.short_name(ctx.name)}\\{name}"
    if name.lower() in WELL_KNOWN_SIDS:
        return WELL_KNOWN_SIDS[name.lower()]
    domain, sam = name.split("\\", 1)
    if domain.upper() == hm.short_name(ctx.name):
        for i, u in enumerate(ctx.state.get("localUsers", [])):
            if u.lower() == name.lower():
                return f"{hm.machine_sid(ctx.state)}-{500 + i}"
        return None
    if domain.upper() != topology.NETBIOS:
        return None
    from .. import certstore
    try:
        return certstore.samba(ctx).lookup_sid(sam)
    except Exception as exc:  # the DC is down: Windows cannot resolve domain names either
        raise ScriptError(f"The trust relationship between this workstation and the primary domain failed "
                          f"(the lab DC did not answer: {type(exc).__name__})", "NotSpecified") from None


def _path(ctx: HostContext, m: dict) -> str:
    """The member's ADsPath as the WinNT provider gives it."""
    if not m.get("name"):
        return f"WinNT://{m['sid']}"  # an orphaned SID: nothing to resolve it to
    domain, name = m["name"].split("\\", 1)
    if domain.upper() == hm.short_name(ctx.name):
        return f"WinNT://{topology.NETBIOS}/{domain}/{name}"
    return f"WinNT://{domain}/{name}"


def _sid(ctx: HostContext, m: dict) -> str:
    if not m.get("sid"):
        m["sid"] = sid_of(ctx, m["name"]) or ""
    return m["sid"]


@handler("LocalGroupMember")
def local_group_member(ctx: HostContext, raw: dict) -> dict:
    p = validated(LocalGroupMemberParams, raw)
    st = ctx.state
    group = next((g for k, g in st["localGroups"].items() if k.lower() == p.group.lower()), None)
    if group is None:
        raise ScriptError(f"Group {p.group} was not found.", "ObjectNotFound")
    mark = _mark(p.group, p.member)
    member_sid = sid_of(ctx, p.member) or ""
    changed = False
    if p.mode == "set":
        if p.action == "add":
            principal = resolve(ctx, p.member)  # PrincipalNotFound as Add-LocalGroupMember says it
            if not any(_sid(ctx, m).upper() == member_sid.upper() for m in group["members"]):
                group["members"].append(dict(principal, sid=member_sid))
                changed = True  # else MemberExists, which the script takes as success
            if p.owner:
                hm.set_owner_mark(st, mark, p.owner)
        elif p.action == "keep":
            if p.owner:
                hm.set_owner_mark(st, mark, p.owner)
        elif p.action == "remove":
            before = len(group["members"])
            group["members"] = [m for m in group["members"] if not p.sid or _sid(ctx, m).upper() != p.sid.upper()]
            changed = len(group["members"]) != before
            hm.clear_owner_mark(st, mark)
        else:
            raise ScriptError("unknown action '' (add, keep, remove)", "NotSpecified")
    members = [{"sid": _sid(ctx, m), "path": _path(ctx, m)} for m in group["members"]]
    return result({"group": p.group, "memberSid": member_sid, "members": members,
                   "owner": hm.owner_mark(st, mark) or ""}, changed=changed)
