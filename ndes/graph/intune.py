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

from typing import Callable

from .client import GraphClient, Op, odata_literal, quote_id
from .errors import NotFound
from .once import create_once

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
        word += f" filter:{ftype}:{t.get('deviceAndAppManagementAssignmentFilterId') or ''}"
    return word


def get_assigned_groups(c: GraphClient, profile_id: str, kind: str, *, wait_for: bool = False) -> list[str]:
    """Every assignment of the profile, sorted: plain group ids for include-group targets, the words of
    target_word for anything else (exclusions, all users/devices, filters), so drift shows what is there."""
    items = c.list(f"{profile_path(profile_id)}/assignments", Op("read the assignments of", kind, profile_id),
                   wait_for=wait_for)
    return sorted({target_word(a.get("target") or {}) for a in items})


def assign_groups(c: GraphClient, profile_id: str, group_ids: list[str], kind: str) -> None:
    """Replace the profile's assignments with exactly these groups."""
    body = {"assignments": [{"target": {"@odata.type": GROUP_TARGET, "groupId": g}} for g in group_ids]}
    c.request("POST", f"{profile_path(profile_id)}/assign", Op("assign", kind, profile_id), json=body,
              wait_for=True, idempotent=True)
