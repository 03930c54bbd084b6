"""Intune device configuration profiles on Graph beta: trusted certificate and SCEP profiles, their root link
and their group assignments.

Facts (shared/reference/graph.md): a PATCH carries `@odata.type`; the SCEP profile's root is bound on create
with `rootCertificate@odata.bind`, read from `{id}/<type>/rootCertificate`, changed with PUT `.../$ref`;
POST `{id}/assign` replaces the whole set of assignments, GET `{id}/assignments` reads it.
"""
from __future__ import annotations

from .client import GraphClient, Op, odata_literal, quote_id
from .errors import NotFound

COLLECTION = "/beta/deviceManagement/deviceConfigurations"
GROUP_TARGET = "#microsoft.graph.groupAssignmentTarget"


def profile_path(profile_id: str) -> str:
    return f"{COLLECTION}/{quote_id(profile_id)}"


def profile_ref(c: GraphClient, profile_id: str) -> str:
    """The absolute OData id of a profile, as @odata.bind / $ref bodies name it."""
    return c.url(f"{COLLECTION}('{quote_id(profile_id)}')")


def find_profiles(c: GraphClient, display_name: str, odata_type: str, kind: str) -> list[dict]:
    found = c.list(COLLECTION, Op("look up", kind, display_name),
                   params={"$filter": f"displayName eq {odata_literal(display_name)}"})
    return [p for p in found if p.get("@odata.type") == odata_type]


def create_profile(c: GraphClient, body: dict, kind: str) -> dict:
    return c.post(COLLECTION, Op("create", kind, body.get("displayName", "")), body)


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


def get_root(c: GraphClient, profile_id: str, odata_type: str, kind: str) -> str | None:
    """The id of the trusted root profile a SCEP profile links to, None when it links none."""
    cast = odata_type.lstrip("#")
    try:
        root = c.get(f"{profile_path(profile_id)}/{cast}/rootCertificate", Op("read the root of", kind, profile_id),
                     wait_for=True)
    except NotFound:
        return None
    return root.get("id") if root else None


def set_root(c: GraphClient, profile_id: str, odata_type: str, root_id: str, kind: str) -> None:
    cast = odata_type.lstrip("#")
    c.put(f"{profile_path(profile_id)}/{cast}/rootCertificate/$ref", Op("link the root of", kind, profile_id),
          {"@odata.id": profile_ref(c, root_id)}, wait_for=True)


def get_assigned_groups(c: GraphClient, profile_id: str, kind: str, *, wait_for: bool = False) -> list[str]:
    items = c.list(f"{profile_path(profile_id)}/assignments", Op("read the assignments of", kind, profile_id),
                   wait_for=wait_for)
    out = []
    for a in items:
        t = a.get("target") or {}
        if t.get("@odata.type") == GROUP_TARGET and t.get("groupId"):
            out.append(t["groupId"].lower())
    return sorted(set(out))


def assign_groups(c: GraphClient, profile_id: str, group_ids: list[str], kind: str) -> None:
    """Replace the profile's assignments with exactly these groups."""
    body = {"assignments": [{"target": {"@odata.type": GROUP_TARGET, "groupId": g}} for g in group_ids]}
    c.request("POST", f"{profile_path(profile_id)}/assign", Op("assign", kind, profile_id), json=body,
              wait_for=True, idempotent=True)
