"""OData plumbing of the simulator: request/reply, Graph's error body, $filter / $select / paging, ids."""
from __future__ import annotations

import re
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

from .state import State

PAGE_SIZE = 5
GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
_FILTER = re.compile(r"^\s*(displayName|appId)\s+eq\s+'((?:[^']|'')*)'\s*$")


@dataclass
class Request:
    method: str
    path: str  # raw path, without query
    query: dict[str, str]
    body: Any
    base: str  # https://host


@dataclass
class Reply:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


class GraphFault(Exception):
    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def error_reply(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> Reply:
    rid = str(uuid.uuid4())
    body = {"error": {"code": code, "message": message,
                      "innerError": {"date": time.strftime("%Y-%m-%dT%H:%M:%S"), "request-id": rid,
                                     "client-request-id": rid}}}
    return Reply(status, body, {"request-id": rid, **(headers or {})})


def bad(message: str, code: str = "BadRequest") -> GraphFault:
    return GraphFault(400, code, message)


def not_found(what: str, ident: str) -> GraphFault:
    return GraphFault(404, "Request_ResourceNotFound" if what in ("application", "servicePrincipal") else
                      "ResourceNotFound", f"Resource '{ident}' does not exist or one of its queried reference-property "
                                          "objects are not present.")


def now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


# ---------------------------------------------------------------------------------------------- helpers
def segments(path: str) -> list[str]:
    return [unquote(p) for p in path.strip("/").split("/") if p]


def filtered(items: list[dict], query: dict[str, str]) -> list[dict]:
    f = query.get("$filter")
    if not f:
        return items
    m = _FILTER.match(f)
    if not m:
        raise bad(f"Invalid filter clause: unsupported expression '{f}'", "Request_UnsupportedQuery")
    key, value = m.group(1), m.group(2).replace("''", "'")
    return [i for i in items if i.get(key) == value]


def paged(req: Request, items: list[dict], context: str) -> Reply:
    skip = int(req.query.get("$skiptoken", "0") or 0)
    page = items[skip:skip + PAGE_SIZE]
    body: dict[str, Any] = {"@odata.context": f"{req.base}/{context}", "value": page}
    if skip + PAGE_SIZE < len(items):
        q = {k: v for k, v in req.query.items() if k != "$skiptoken"}
        q["$skiptoken"] = str(skip + PAGE_SIZE)
        body["@odata.nextLink"] = f"{req.base}{req.path}?{urlencode(q)}"
    return Reply(200, body)


def select(obj: dict, query: dict[str, str]) -> dict:
    sel = query.get("$select")
    if not sel:
        return dict(obj)
    keys = {s.strip() for s in sel.split(",")}
    return {k: v for k, v in obj.items() if k in keys or k.startswith("@odata")}


def visible(state: State, items: dict[str, dict]) -> list[dict]:
    """Objects a list shows: a new object stays out of lists while its replication lag lasts (each list
    counts as one of the requests it answers 404 / stays hidden for)."""
    return [o for i, o in items.items() if not state.invisible(i, consume=True)]


def lookup(state: State, coll: str, obj_id: str, what: str) -> dict:
    obj = state.data[coll].get(obj_id)
    if obj is None or state.invisible(obj_id, consume=True):
        raise not_found(what, obj_id)
    return obj


def ref_id(odata_id: Any, pattern: str) -> str:
    """The id in an @odata.id / @odata.bind URL: .../deviceConfigurations('<id>') or .../connectorGroups/<id>."""
    if not isinstance(odata_id, str):
        raise bad("The @odata.id / @odata.bind value must be a URL string.")
    path = unquote(urlsplit(odata_id).path)
    m = re.search(pattern, path)
    if not m:
        raise bad(f"Invalid object identifier '{odata_id}'.", "Request_BadRequest")
    return m.group(1)



def parse_query(raw: str) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(raw, keep_blank_values=True).items()}

