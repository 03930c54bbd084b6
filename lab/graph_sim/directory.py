"""The tenant's organization (verified domains) and deleted items in the simulator.

GET /organization lists the one organization with its verifiedDomains (the initial one is
<prefix>.onmicrosoft.com). A deleted application or service principal moves to deleted items (Graph keeps it 30
days, restorable); DELETE /directory/deletedItems/{id} purges it.
"""
from __future__ import annotations

from lab import topology

from .odata import GraphFault, Reply, Request, not_found, paged, select
from .state import State

DELETED_TYPES = {"microsoft.graph.application": "#microsoft.graph.application",
                 "microsoft.graph.servicePrincipal": "#microsoft.graph.servicePrincipal"}


def organization(state: State, req: Request, version: str, rest: list[str]) -> Reply:
    org = {"id": topology.GRAPH["tenant_id"], **state.data["organization"]}
    if req.method == "GET" and not rest:
        return paged(req, [select(org, req.query)], f"{version}/$metadata#organization")
    if req.method == "GET" and rest == [org["id"]]:
        return Reply(200, select(org, req.query))
    raise GraphFault(405, "Request_BadRequest", "Unsupported request on organization.")


def deleted_items(state: State, req: Request, version: str, rest: list[str]) -> Reply:
    items = state.data["deletedItems"]
    if len(rest) == 1 and rest[0] in DELETED_TYPES and req.method == "GET":
        kind = DELETED_TYPES[rest[0]]
        return paged(req, [select(o, req.query) for o in items.values() if o["@odata.type"] == kind],
                     f"{version}/$metadata#directory/deletedItems")
    if len(rest) == 1:
        obj = items.get(rest[0])
        if obj is None:
            raise not_found("application", rest[0])
        if req.method == "GET":
            return Reply(200, select(obj, req.query))
        if req.method == "DELETE":
            del items[rest[0]]
            return Reply(204)
    raise GraphFault(400, "Request_BadRequest", "Unsupported request on directory/deletedItems.")
