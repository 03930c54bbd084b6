"""The Graph API the product uses, over State: each request checked against the documented shape.

`handle(state, req)` returns a Reply. Errors follow Graph's body: {"error": {code, message, innerError:
{request-id, date}}}. Lists page (PAGE_SIZE per page) with @odata.nextLink.
"""
from __future__ import annotations

import base64
import re
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from cryptography import x509

from . import schema
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
        from urllib.parse import urlencode
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


# ---------------------------------------------------------------------------------------------- applications
def app_view(app: dict, version: str) -> dict:
    out = {k: v for k, v in app.items() if not k.startswith("_")}
    if version != "beta":
        out.pop("onPremisesPublishing", None)
    return out


def instantiate(state: State, req: Request, template_id: str) -> Reply:
    if template_id != schema.ON_PREM_TEMPLATE_ID and not GUID.match(template_id):
        raise not_found("applicationTemplate", template_id)
    body = req.body if isinstance(req.body, dict) else None
    if body is None or not isinstance(body.get("displayName"), str) or not body["displayName"].strip():
        raise bad("The displayName property is required.", "Request_BadRequest")
    extra = set(body) - {"displayName", "serviceManagementReference"}
    if extra:
        raise bad(f"Property '{sorted(extra)[0]}' does not exist on type 'microsoft.graph.instantiateRequest'.")
    app_obj, app_id, sp_id = state.new_id(), state.new_id(), state.new_id()
    app = {"id": app_obj, "appId": app_id, "displayName": body["displayName"], "notes": None, "tags": [],
           "createdDateTime": now(), "identifierUris": [],
           "onPremisesPublishing": {"externalUrl": None, "internalUrl": None,
                                    "externalAuthenticationType": "aadPreAuthentication",
                                    "isTranslateHostHeaderEnabled": True, "isTranslateLinksInBodyEnabled": False,
                                    "isOnPremPublishingEnabled": False}}
    sp = {"id": sp_id, "appId": app_id, "displayName": body["displayName"], "servicePrincipalType": "Application",
          "tags": ["WindowsAzureActiveDirectoryOnPremApp"]}
    state.data["applications"][app_obj] = app
    state.data["servicePrincipals"][sp_id] = sp
    state.created(app_obj)
    state.created(sp_id)
    knob = state.data["knobs"].get("failAfterCreate")
    if knob and knob.get("count", 0) > 0:
        knob["count"] -= 1
        if knob["count"] <= 0:
            state.data["knobs"]["failAfterCreate"] = None
        raise GraphFault(int(knob.get("status", 500)), "InternalServerError",
                         "An internal server error occurred while processing the request.")
    return Reply(201, {"@odata.context": f"{req.base}/v1.0/$metadata#microsoft.graph.applicationServicePrincipal",
                       "application": app_view(app, "v1.0"), "servicePrincipal": dict(sp)})


def patch_application(state: State, version: str, app: dict, body: Any) -> Reply:
    if not isinstance(body, dict) or not body:
        raise bad("Empty Payload. JSON content expected.")
    for k in body:
        if k not in schema.APPLICATION_WRITABLE or (k == "onPremisesPublishing" and version != "beta"):
            raise bad(f"Property '{k}' does not exist on type 'microsoft.graph.application'. Make sure to only use "
                      "property names that are defined by the type or mark the type as open type.")
    if "onPremisesPublishing" in body:
        if len(body) > 1:
            raise bad("onPremisesPublishing cannot be updated together with other properties of the application: "
                      "send it in its own request.", "Request_BadRequest")
        opp = body["onPremisesPublishing"]
        if not isinstance(opp, dict):
            raise bad("onPremisesPublishing must be an object.")
        for k, v in opp.items():
            if k not in schema.ON_PREM_PUBLISHING:
                raise bad(f"Property '{k}' does not exist on type 'microsoft.graph.onPremisesPublishing'. Make sure "
                          "to only use property names that are defined by the type or mark the type as open type.")
        if "externalAuthenticationType" in opp and opp["externalAuthenticationType"] not in schema.EXTERNAL_AUTH:
            raise bad(f"The value '{opp['externalAuthenticationType']}' is not valid for externalAuthenticationType.")
        ext = opp.get("externalUrl")
        if ext is not None:
            if not re.fullmatch(r"https://[a-z0-9-]+\.msappproxy\.net/([^?#]*/)?", str(ext)):
                raise bad(f"Invalid externalUrl '{ext}': use https://<name>.msappproxy.net/ with a trailing slash "
                          "(or a verified custom domain).", "Request_BadRequest")
            for other in state.data["applications"].values():
                if other["id"] != app["id"] and (other.get("onPremisesPublishing") or {}).get("externalUrl") == ext:
                    raise bad(f"The externalUrl '{ext}' is already used by another application.", "Request_BadRequest")
        inte = opp.get("internalUrl")
        if inte is not None and not re.fullmatch(r"https?://[^/\s]+/([^?#\s]*)?", str(inte)):
            raise bad(f"Invalid internalUrl '{inte}'.", "Request_BadRequest")
        app["onPremisesPublishing"].update(opp)
    else:
        app.update(body)
    return Reply(204)


def applications(state: State, req: Request, version: str, rest: list[str]) -> Reply:
    apps = state.data["applications"]
    if not rest:
        if req.method != "GET":
            raise GraphFault(405, "Request_BadRequest", "Create applications from the template in this simulator.")
        items = [select(app_view(a, version), req.query) for a in filtered(visible(state, apps), req.query)]
        return paged(req, items, f"{version}/$metadata#applications")
    app = lookup(state, "applications", rest[0], "application")
    if len(rest) == 1:
        if req.method == "GET":
            return Reply(200, select(app_view(app, version), req.query))
        if req.method == "PATCH":
            return patch_application(state, version, app, req.body)
        if req.method == "DELETE":
            del apps[app["id"]]
            state.data["appConnectorGroup"].pop(app["id"], None)
            return Reply(204)
    if rest[1:] == ["connectorGroup"] and req.method == "GET" and version == "beta":
        gid = state.data["appConnectorGroup"].get(app["id"])
        if not gid:
            raise not_found("connectorGroup", app["id"])
        return Reply(200, dict(state.data["connectorGroups"][gid]))
    if rest[1:] == ["connectorGroup", "$ref"] and req.method == "PUT" and version == "beta":
        if not isinstance(req.body, dict) or set(req.body) != {"@odata.id"}:
            raise bad("The request body must be {\"@odata.id\": \"<connector group URL>\"}.")
        gid = ref_id(req.body["@odata.id"], r"/connectorGroups/([^/]+)$")
        if gid not in state.data["connectorGroups"]:
            raise not_found("connectorGroup", gid)
        state.data["appConnectorGroup"][app["id"]] = gid
        return Reply(204)
    raise GraphFault(400, "BadRequest", f"Resource not found for the segment '{rest[-1]}'.")


def service_principals(state: State, req: Request, version: str, rest: list[str]) -> Reply:
    sps = state.data["servicePrincipals"]
    if not rest and req.method == "GET":
        items = [select(s, req.query) for s in filtered(visible(state, sps), req.query)]
        return paged(req, items, f"{version}/$metadata#servicePrincipals")
    if len(rest) == 1:
        sp = lookup(state, "servicePrincipals", rest[0], "servicePrincipal")
        if req.method == "GET":
            return Reply(200, select(sp, req.query))
        if req.method == "DELETE":
            del sps[sp["id"]]
            return Reply(204)
    raise GraphFault(405, "Request_BadRequest", "Unsupported request on servicePrincipals.")


# ---------------------------------------------------------------------------------------------- profiles
def check_profile_body(state: State, body: Any, *, creating: bool, existing_type: str | None = None) -> str:
    if not isinstance(body, dict):
        raise bad("Empty Payload. JSON content expected.")
    odata_type = body.get("@odata.type")
    if odata_type is None:
        raise bad("The @odata.type property is required: deviceConfiguration is abstract, name the derived type.",
                  "ModelValidationFailure")
    tname = schema.type_name(odata_type)
    props = schema.properties_of(tname or "")
    if props is None:
        raise bad(f"A type named '{odata_type.lstrip('#')}' could not be resolved by the model. When a model is "
                  "available, each type name must resolve to a valid type.", "ModelValidationFailure")
    if existing_type is not None and tname != existing_type:
        raise bad(f"The @odata.type '{odata_type}' does not match the object's type "
                  f"'#microsoft.graph.{existing_type}'.", "ModelValidationFailure")
    for k, v in body.items():
        if k == "@odata.type":
            continue
        if k == "rootCertificate@odata.bind":
            if not creating or tname not in schema.SCEP_TYPES:
                raise bad(f"Property 'rootCertificate@odata.bind' is not valid here: change a profile's root with "
                          "PUT .../rootCertificate/$ref.", "ModelValidationFailure")
            continue
        if k in ("id", "createdDateTime", "lastModifiedDateTime", "version", "supportsScopeTags"):
            continue  # read-only, ignored as Graph does
        if k not in props:
            raise bad(f"Property '{k}' does not exist on type 'microsoft.graph.{tname}'. Make sure to only use "
                      "property names that are defined by the type or mark the type as open type.",
                      "ModelValidationFailure")
        if k in schema.ENUMS and v is not None and v not in schema.ENUMS[k]:
            raise bad(f"Requested value '{v}' was not found for property '{k}'.", "ModelValidationFailure")
        if k in schema.FLAG_ENUMS and v is not None:
            flags = [f.strip() for f in str(v).split(",")]
            wrong = [f for f in flags if f not in schema.FLAG_ENUMS[k]]
            if wrong:
                raise bad(f"Requested value '{wrong[0]}' was not found for property '{k}'.", "ModelValidationFailure")
        if k == "trustedRootCertificate":
            try:
                x509.load_der_x509_certificate(base64.b64decode(v, validate=True))
            except Exception:  # noqa: BLE001 - any decoding failure is the same answer
                raise bad("trustedRootCertificate is not a base64 DER X.509 certificate.",
                          "ModelValidationFailure") from None
        if k == "renewalThresholdPercentage" and not (isinstance(v, int) and 1 <= v <= 99):
            raise bad("renewalThresholdPercentage must be between 1 and 99.", "ModelValidationFailure")
        if k == "scepServerUrls":
            if not isinstance(v, list) or not all(isinstance(u, str) and u.startswith("https://") for u in v):
                raise bad("scepServerUrls must be a list of https URLs.", "ModelValidationFailure")
        if k == "extendedKeyUsages":
            if not isinstance(v, list) or not all(isinstance(e, dict) and set(e) - {"@odata.type"} ==
                                                  {"name", "objectIdentifier"} for e in v):
                raise bad("extendedKeyUsages items are {name, objectIdentifier}.", "ModelValidationFailure")
        if k == "customSubjectAlternativeNames":
            if not isinstance(v, list) or not all(isinstance(e, dict) and set(e) - {"@odata.type"} ==
                                                  {"sanType", "name"} and e["sanType"] in schema.SAN_TYPES
                                                  for e in v):
                raise bad("customSubjectAlternativeNames items are {sanType, name} with a known sanType.",
                          "ModelValidationFailure")
    if creating and tname in schema.TRUSTED_ROOT_TYPES and not body.get("trustedRootCertificate"):
        raise bad("trustedRootCertificate is required.", "ModelValidationFailure")
    return tname


def root_from_ref(state: State, value: Any, scep_type: str) -> str:
    rid = ref_id(value, r"deviceConfigurations\('([^']+)'\)$")
    root = state.data["deviceConfigurations"].get(rid)
    if root is None or state.invisible(rid, consume=False):
        raise not_found("deviceConfiguration", rid)
    want = schema.SCEP_TYPES[scep_type][1]
    if schema.type_name(root["@odata.type"]) != want:
        raise bad(f"The root certificate must be a #microsoft.graph.{want}, not {root['@odata.type']}.",
                  "ModelValidationFailure")
    return rid


def profiles(state: State, req: Request, rest: list[str]) -> Reply:
    coll = state.data["deviceConfigurations"]
    if not rest:
        if req.method == "GET":
            items = filtered(visible(state, coll), req.query)
            return paged(req, [select(i, req.query) for i in items], "beta/$metadata#deviceManagement/deviceConfigurations")
        if req.method == "POST":
            tname = check_profile_body(state, req.body, creating=True)
            body = dict(req.body)
            bind = body.pop("rootCertificate@odata.bind", None)
            if tname in schema.SCEP_TYPES and bind is None:
                raise bad("A SCEP certificate profile needs its trusted root: rootCertificate@odata.bind.",
                          "ModelValidationFailure")
            root = root_from_ref(state, bind, tname) if bind is not None else None
            pid = state.new_id()
            obj = {k: v for k, v in body.items() if k not in ("id", "createdDateTime", "lastModifiedDateTime",
                                                               "version", "supportsScopeTags")}
            obj.update({"id": pid, "createdDateTime": now(), "lastModifiedDateTime": now(), "version": 1,
                        "supportsScopeTags": True})
            obj.setdefault("description", None)
            coll[pid] = obj
            if root:
                state.data["rootLinks"][pid] = root
            state.data["assignments"][pid] = []
            state.created(pid)
            return Reply(201, {"@odata.context": f"{req.base}/beta/$metadata#deviceManagement/deviceConfigurations/$entity",
                               **obj})
        raise GraphFault(405, "BadRequest", "Method not allowed on the collection.")
    obj = lookup(state, "deviceConfigurations", rest[0], "deviceConfiguration")
    pid = obj["id"]
    tname = schema.type_name(obj["@odata.type"]) or ""
    tail = rest[1:]
    if not tail:
        if req.method == "GET":
            return Reply(200, select(obj, req.query))
        if req.method == "PATCH":
            check_profile_body(state, req.body, creating=False, existing_type=tname)
            obj.update({k: v for k, v in req.body.items() if k not in ("@odata.type", "id", "createdDateTime",
                                                                      "lastModifiedDateTime", "version",
                                                                      "supportsScopeTags")})
            obj["lastModifiedDateTime"], obj["version"] = now(), obj["version"] + 1
            return Reply(204)
        if req.method == "DELETE":
            users = [s for s, r in state.data["rootLinks"].items() if r == pid and s in coll]
            if users:
                raise bad(f"The trusted certificate profile is used by SCEP profile(s) {', '.join(users)}: "
                          "delete or relink them first.", "BadRequest")
            del coll[pid]
            state.data["rootLinks"].pop(pid, None)
            state.data["assignments"].pop(pid, None)
            return Reply(204)
    if tail == ["assignments"] and req.method == "GET":
        items = [{"id": f"{pid}_{g}", "source": "direct", "sourceId": pid,
                  "target": {"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": g,
                             "deviceAndAppManagementAssignmentFilterType": "none"}}
                 for g in state.data["assignments"].get(pid, [])]
        return paged(req, items, "beta/$metadata#deviceManagement/deviceConfigurations('x')/assignments")
    if tail == ["assign"] and req.method == "POST":
        body = req.body
        if not isinstance(body, dict) or set(body) - {"assignments", "deviceConfigurationGroupAssignments"} or \
                not isinstance(body.get("assignments"), list):
            raise bad("The assign action takes {\"assignments\": [...]}.")
        groups = []
        for a in body["assignments"]:
            t = a.get("target") if isinstance(a, dict) else None
            if not isinstance(t, dict) or t.get("@odata.type") != "#microsoft.graph.groupAssignmentTarget":
                raise bad("Each assignment needs a target of type #microsoft.graph.groupAssignmentTarget.",
                          "ModelValidationFailure")
            g = str(t.get("groupId", ""))
            if not GUID.match(g):
                raise bad(f"groupId '{g}' is not a GUID.", "ModelValidationFailure")
            if g.lower() not in state.data["groups"]:
                raise bad(f"The group '{g}' does not exist in the tenant.", "ModelValidationFailure")
            groups.append(g.lower())
        state.data["assignments"][pid] = sorted(set(groups))
        return profiles(state, Request("GET", req.path.rsplit("/", 1)[0] + "/assignments", {}, None, req.base),
                        [pid, "assignments"])
    if tname in schema.SCEP_TYPES and len(tail) >= 2 and tail[0] == f"microsoft.graph.{tname}" and \
            tail[1] == "rootCertificate":
        if tail[2:] == [] and req.method == "GET":
            rid = state.data["rootLinks"].get(pid)
            if not rid or rid not in coll:
                raise not_found("rootCertificate", pid)
            return Reply(200, dict(coll[rid]))
        if tail[2:] == ["$ref"] and req.method == "PUT":
            if not isinstance(req.body, dict) or set(req.body) != {"@odata.id"}:
                raise bad("The request body must be {\"@odata.id\": \"<profile URL>\"}.")
            state.data["rootLinks"][pid] = root_from_ref(state, req.body["@odata.id"], tname)
            return Reply(204)
    raise GraphFault(400, "BadRequest", f"Resource not found for the segment '{'/'.join(tail)}'.")


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
    if rest == ["onPremisesPublishingProfiles", "applicationProxy", "connectorGroups"] and req.method == "GET" \
            and version == "beta":
        return paged(req, list(state.data["connectorGroups"].values()),
                     "beta/$metadata#onPremisesPublishingProfiles('applicationProxy')/connectorGroups")
    if rest[:2] == ["deviceManagement", "deviceConfigurations"] and version == "beta":
        return profiles(state, req, rest[2:])
    if rest[:1] == ["groups"] and len(rest) == 2 and req.method == "GET":
        name = state.data["groups"].get(rest[1].lower())
        if name is None:
            raise not_found("group", rest[1])
        return Reply(200, {"id": rest[1].lower(), "displayName": name, "securityEnabled": True})
    raise GraphFault(400, "BadRequest", f"Resource not found for the segment '{rest[0] if rest else ''}'.")


def parse_query(raw: str) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(raw, keep_blank_values=True).items()}
