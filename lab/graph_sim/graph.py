"""The Graph API the product uses, over State: each request checked against the documented shape.

`handle(state, req)` returns a Reply. Errors follow Graph's body: {"error": {code, message, innerError:
{request-id, date}}}. Lists page (PAGE_SIZE per page) with @odata.nextLink.
"""
from __future__ import annotations

from .applications import applications, instantiate, service_principals
from .directory import deleted_items, organization
from .odata import GraphFault, Reply, Request, error_reply, not_found, paged, parse_query, segments
from .profiles import assignment_filters, profiles
from .state import State

__all__ = ["GraphFault", "Reply", "Request", "error_reply", "handle", "parse_query"]


def handle(state: State, req: Request) -> Reply:
    seg = segments(req.path)
    if not seg or seg[0] not in ("v1.0", "beta"):
        raise GraphFault(400, "BadRequest", "Invalid version: use /v1.0 or /beta.")
    version, rest = seg[0], seg[1:]
    if rest[:1] == ["applicationTemplates"] and len(rest) == 3 and rest[2] == "instantiate" and req.method == "POST":
        return instantiate(state, req, rest[1])
    if rest[:1] == ["applications"]:
        return applications(state, req, version, rest[1:])
    if rest[:1] == ["servicePrincipals"]:
        return service_principals(state, req, version, rest[1:])
    if rest[:1] == ["organization"]:
        return organization(state, req, version, rest[1:])
    if rest[:2] == ["directory", "deletedItems"]:
        return deleted_items(state, req, version, rest[2:])
    if rest == ["onPremisesPublishingProfiles", "applicationProxy", "connectorGroups"] and req.method == "GET" \
            and version == "beta":
        return paged(req, list(state.data["connectorGroups"].values()),
                     "beta/$metadata#onPremisesPublishingProfiles('applicationProxy')/connectorGroups")
    if rest[:2] == ["deviceManagement", "assignmentFilters"] and version == "beta":
        return assignment_filters(state, req, rest[2:])
    if rest[:2] == ["deviceManagement", "deviceConfigurations"] and version == "beta":
        return profiles(state, req, rest[2:])
    if rest[:1] == ["groups"] and len(rest) == 2 and req.method == "GET":
        name = state.data["groups"].get(rest[1].lower())
        if name is None:
            raise not_found("group", rest[1])
        return Reply(200, {"id": rest[1].lower(), "displayName": name, "securityEnabled": True})
    raise GraphFault(400, "BadRequest", f"Resource not found for the segment '{rest[0] if rest else ''}'.")
