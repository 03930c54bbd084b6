"""LocalGroupMember.ps1: Get-/Add-/Remove-LocalGroupMember against the host's local groups. A member must
resolve as Windows resolves it: a local account of this host, a well-known NT AUTHORITY / BUILTIN principal,
or an account of the lab domain that the lab's Samba DC knows (sAMAccountName); anything else is
PrincipalNotFound, an unknown group GroupNotFound."""
from __future__ import annotations

from lab import topology

from .. import hostmodel as hm
from . import HostContext, ScriptError, handler, mode_of, param, result

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


@handler("LocalGroupMember")
def local_group_member(ctx: HostContext, params: dict) -> dict:
    mode = mode_of(params)
    group_name, member = str(param(params, "group")), str(param(params, "member"))
    owner = str(params.get("owner") or "")
    ensure = params.get("ensure") or "present"
    st = ctx.state
    group = next((g for k, g in st["localGroups"].items() if k.lower() == group_name.lower()), None)
    if group is None:
        raise ScriptError(f"Group {group_name} was not found.", "ObjectNotFound")
    mark = _mark(group_name, member)

    def find() -> dict | None:
        return next((m for m in group["members"] if m["name"].lower() == member.lower()), None)

    found = find()
    changed = False
    if mode == "set":
        if ensure == "absent":
            if found is not None:
                group["members"].remove(found)
                changed = True
            hm.clear_owner_mark(st, mark)
        else:
            if found is None:
                principal = resolve(ctx, member)
                if any(m["name"].lower() == principal["name"].lower() for m in group["members"]):
                    raise ScriptError(f"{principal['name']} is already a member of group {group['name']}.",
                                      "ResourceExists")
                group["members"].append(principal)
                changed = True
            if owner:
                hm.set_owner_mark(st, mark, owner)
        found = find()
    return result({"group": group_name, "member": member, "present": found is not None,
                   "memberName": found["name"] if found else None,
                   "objectClass": found["objectClass"] if found else None,
                   "principalSource": found["principalSource"] if found else None,
                   "owner": hm.owner_mark(st, mark) or ""}, changed=changed)
