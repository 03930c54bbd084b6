"""Intune device configuration profiles on Graph beta: trusted certificate and SCEP profiles, their root link
and their group assignments.

Facts (shared/reference/graph.md): a PATCH carries `@odata.type`; the SCEP profile's root is bound on create
with `rootCertificate@odata.bind`, read from `{id}/<type>/rootCertificate`, changed with PUT `.../$ref`;
POST `{id}/assign` replaces the whole set of assignments, GET `{id}/assignments` reads it, every target kind
(groups, exclusions, all users, all devices, assignment filters), so a hand-made one shows as drift.
A create whose answer is lost is followed by a look-up by name, type and owner mark within the replication
budget before it is sent again (once.create_once).
"""
from __future__ import annotations

import re
from typing import Callable

from .client import GraphClient, Op, odata_literal, quote_id
from .errors import NotFound
from .once import create_once

GUID = re.compile(r"[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")
COLLECTION = "/beta/deviceManagement/deviceConfigurations"
GROUP_TARGET = "#microsoft.graph.groupAssignmentTarget"
TARGET_WORDS = {"#microsoft.graph.exclusionGroupAssignmentTarget": "exclude:",
                "#microsoft.graph.allLicensedUsersAssignmentTarget": "allLicensedUsers",
                "#microsoft.graph.allDevicesAssignmentTarget": "allDevices"}


def profile_path(profile_id: str) -> str:
    return f"{COLLECTION}/{quote_id(profile_id)}"


def profile_ref(c: GraphClient, profile_id: str) -> str:
    """The absolute OData id of a profile, as @odata.bind / $ref bodies name it."""
    return c.url(f"{COLLECTION}('{quote_id(profile_id)}')")


def find_profiles(c: GraphClient, display_name: str, odata_type: str, kind: str) -> list[dict]:
    found = c.list(COLLECTION, Op("look up", kind, display_name),
                   params={"$filter": f"displayName eq {odata_literal(display_name)}"})
    return [p for p in found if p.get("@odata.type") == odata_type]


def create_profile(c: GraphClient, body: dict, kind: str, mine: Callable[[dict], bool] | None = None) -> dict:
    """POST the profile; when the answer is lost, look for it (same name and type, and `mine`: the owner mark)
    with the replication wait before sending it again."""
    op = Op("create", kind, body.get("displayName", ""))

    def lookup() -> dict | None:
        found = [p for p in find_profiles(c, body.get("displayName", ""), body["@odata.type"], kind)
                 if mine is None or mine(p)]
        return found[0] if found else None

    return create_once(c, lambda: c.post(COLLECTION, op, body), lookup)


def get_profile(c: GraphClient, profile_id: str, kind: str, *, wait_for: bool = False) -> dict | None:
    try:
        return c.get(profile_path(profile_id), Op("read", kind, profile_id), wait_for=wait_for)
    except NotFound:
        return None


def update_profile(c: GraphClient, profile_id: str, body: dict, kind: str) -> None:
    if "@odata.type" not in body:
        raise ValueError("a profile PATCH needs @odata.type")
    c.patch(profile_path(profile_id), Op("update", kind, profile_id), body, wait_for=True)


def delete_profile(c: GraphClient, profile_id: str, kind: str) -> bool:
    return c.delete(profile_path(profile_id), Op("delete", kind, profile_id))


def get_root(c: GraphClient, profile_id: str, odata_type: str, kind: str, *, wait_for: bool = False) -> str | None:
    """The id of the trusted root profile a SCEP profile links to, None when it links none (a refresh takes the
    first 404 as the answer; only a caller that just created or linked waits out replication)."""
    cast = odata_type.lstrip("#")
    try:
        root = c.get(f"{profile_path(profile_id)}/{cast}/rootCertificate", Op("read the root of", kind, profile_id),
                     wait_for=wait_for)
    except NotFound:
        return None
    return root.get("id") if root else None


def set_root(c: GraphClient, profile_id: str, odata_type: str, root_id: str, kind: str) -> None:
    cast = odata_type.lstrip("#")
    c.put(f"{profile_path(profile_id)}/{cast}/rootCertificate/$ref", Op("link the root of", kind, profile_id),
          {"@odata.id": profile_ref(c, root_id)}, wait_for=True)


def target_word(t: dict) -> str:
    """One assignment target in the admin's words: a group id; 'exclude:<id>'; 'allLicensedUsers';
    'allDevices'; a filter as ' filter:<include|exclude>:<filter id>' after it."""
    kind = t.get("@odata.type", "")
    gid = str(t.get("groupId") or "").lower()
    if kind == GROUP_TARGET:
        word = gid
    elif kind in TARGET_WORDS:
        word = TARGET_WORDS[kind] + (gid if kind.endswith("exclusionGroupAssignmentTarget") else "")
    else:
        word = kind.rsplit(".", 1)[-1] + (f":{gid}" if gid else "")
    ftype = t.get("deviceAndAppManagementAssignmentFilterType")
    if ftype and ftype != "none":
        word += f" filter:{ftype}:{str(t.get('deviceAndAppManagementAssignmentFilterId') or '').lower()}"
    return word


def get_assigned_groups(c: GraphClient, profile_id: str, kind: str, *, wait_for: bool = False) -> list[str]:
    """Every assignment of the profile, sorted: plain group ids for include-group targets, the words of
    target_word for anything else (exclusions, all users/devices, filters), so drift shows what is there."""
    items = c.list(f"{profile_path(profile_id)}/assignments", Op("read the assignments of", kind, profile_id),
                   wait_for=wait_for)
    return sorted({target_word(a.get("target") or {}) for a in items})


def target_of(word: str) -> dict:
    """The Graph target of one word of target_word (the inverse; a filter given by name must be resolved to
    its id first: resolve_filter_names)."""
    base, _, filt = word.partition(" filter:")
    if base.startswith("exclude:"):
        t = {"@odata.type": "#microsoft.graph.exclusionGroupAssignmentTarget", "groupId": base[len("exclude:"):]}
    elif base in ("allLicensedUsers", "allDevices"):
        t = {"@odata.type": next(k for k, v in TARGET_WORDS.items() if v == base)}
    else:
        t = {"@odata.type": GROUP_TARGET, "groupId": base}
    if filt:
        mode, _, fid = filt.partition(":")
        t["deviceAndAppManagementAssignmentFilterType"] = mode
        t["deviceAndAppManagementAssignmentFilterId"] = fid
    return t


FILTERS = "/beta/deviceManagement/assignmentFilters"


def list_filters(c: GraphClient, kind: str) -> dict[str, str]:
    """Assignment filters of the tenant: id (lower case) -> display name."""
    return {str(f.get("id", "")).lower(): f.get("displayName", "")
            for f in c.list(FILTERS, Op("list the assignment filters for", kind, ""))}


def filter_part(word: str) -> str | None:
    return word.partition(" filter:")[2].partition(":")[2] or None


def resolve_filter_names(c: GraphClient, words: list[str], kind: str, config_key: str) -> list[str]:
    """Words with filters given by name turned into ids (one listing of the tenant's filters when needed)."""
    named = [w for w in words if filter_part(w) and not GUID.fullmatch(filter_part(w) or "")]
    if not named:
        return list(words)
    by_name: dict[str, list[str]] = {}
    for fid, name in list_filters(c, kind).items():
        by_name.setdefault(name, []).append(fid)
    out = []
    for w in words:
        f = filter_part(w)
        if f and not GUID.fullmatch(f):
            ids = by_name.get(f, [])
            if len(ids) != 1:
                raise ValueError(f"{config_key}.assignments.filter: {'no' if not ids else 'more than one'} "
                                  f"assignment filter named '{f}' in the tenant; give the filter's id instead "
                                  "(Intune > Tenant administration > Filters)")
            w = w[: len(w) - len(f)] + ids[0]
        out.append(w)
    return out


def name_filters_as(c: GraphClient, live: list[str], wanted: list[str], kind: str) -> list[str]:
    """Live words with filter ids written as the names `wanted` used (so a filter given by name reads back
    as its name, and drift shows a changed filter)."""
    if not any(filter_part(w) and not GUID.fullmatch(filter_part(w) or "") for w in wanted):
        return live
    names = list_filters(c, kind)
    used = {filter_part(w) for w in wanted}
    out = []
    for w in live:
        f = filter_part(w)
        if f and names.get(f.lower()) in used:
            w = w[: len(w) - len(f)] + names[f.lower()]
        out.append(w)
    return sorted(out)


def assign_targets(c: GraphClient, profile_id: str, words: list[str], kind: str) -> None:
    """Replace the profile's assignments with exactly these targets (words of target_word, filters by id)."""
    body = {"assignments": [{"target": target_of(w)} for w in words]}
    c.request("POST", f"{profile_path(profile_id)}/assign", Op("assign", kind, profile_id), json=body,
              wait_for=True, idempotent=True)


def assign_groups(c: GraphClient, profile_id: str, group_ids: list[str], kind: str) -> None:
    """Replace the profile's assignments with exactly these groups."""
    assign_targets(c, profile_id, group_ids, kind)


def converge_assignments(c: GraphClient, profile_id: str, wanted: list[str], previous: list[str] | None,
                         keep_unmanaged: bool, kind: str, config_key: str) -> list[str]:
    """Make the live assignments `wanted`, keeping (keep_unmanaged) every live target that neither the config
    nor this stack's previous run set: an admin's exclusion or filter made in the portal is never dropped
    unless the config says so. Returns the words this stack now manages (ids)."""
    ids = resolve_filter_names(c, wanted, kind, config_key)
    live = get_assigned_groups(c, profile_id, kind, wait_for=True)
    ours = set(ids) | set(previous or [])
    final = sorted(set(ids) | ({w for w in live if w not in ours} if keep_unmanaged else set()))
    if live != final:
        assign_targets(c, profile_id, final, kind)
    return sorted(set(ids))
