"""Applications, service principals and connector groups (App Proxy publishing) in the simulator; deleted
applications and service principals wait in deleted items (directory.py) until purged."""
from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from . import schema
from .odata import GUID, GraphFault, Reply, Request, bad, filtered, lookup, not_found, now, paged, ref_id, select, visible
from .state import State


def app_view(app: dict, version: str) -> dict:
    out = {k: v for k, v in app.items() if not k.startswith("_")}
    if version != "beta":
        out.pop("onPremisesPublishing", None)
    return out


SP_WRITABLE = {"displayName", "notes", "tags", "appRoleAssignmentRequired", "description", "homepage"}


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
            check_external_url(state, str(ext))
            for other in state.data["applications"].values():
                if other["id"] != app["id"] and (other.get("onPremisesPublishing") or {}).get("externalUrl") == ext:
                    raise bad(f"The externalUrl '{ext}' is already used by another application.", "Request_BadRequest")
        inte = opp.get("internalUrl")
        if inte is not None and not re.fullmatch(r"https?://[^/\s]+/([^?#\s]*)?", str(inte)):
            raise bad(f"Invalid internalUrl '{inte}'.", "Request_BadRequest")
        opp = {k: v for k, v in opp.items() if k not in schema.ON_PREM_READ_ONLY}  # ignored, as Graph does
        app["onPremisesPublishing"].update(opp)
        if app["onPremisesPublishing"].get("externalUrl"):
            app["onPremisesPublishing"]["isOnPremPublishingEnabled"] = True  # preset by the system once published
    else:
        if "identifierUris" in body:
            check_identifier_uris(state, app, body["identifierUris"])
        if "web" in body:
            web = body["web"]
            if not isinstance(web, dict) or set(web) - schema.WEB_WRITABLE:
                raise bad("Property 'web' must be a webApplication object ("
                          f"{', '.join(sorted(schema.WEB_WRITABLE))}).")
            for k in ("redirectUris",):
                if k in web and not (isinstance(web[k], list) and all(isinstance(u, str) for u in web[k])):
                    raise bad(f"web.{k} must be a list of URLs.")
            app["web"] = {**(app.get("web") or {}), **web}
            body = {k: v for k, v in body.items() if k != "web"}
        app.update(body)
    return Reply(204)


def initial_prefix(state: State) -> str:
    for d in state.data["organization"]["verifiedDomains"]:
        if d.get("isInitial"):
            return str(d["name"]).split(".", 1)[0].lower()
    return ""


def check_external_url(state: State, ext: str) -> None:
    """The default domain is https://<name>-<initial domain prefix>.msappproxy.net/ (trailing slash); any other
    host is refused with ExternalUrl_InvalidAsciiRules, whose message names the tenant's suffix. A custom domain
    needs its certificate uploaded first, which the simulator does not play: refused too."""
    prefix = initial_prefix(state)
    m = re.fullmatch(r"https://([a-z0-9-]+)\.msappproxy\.net/([^?#]*/)?", ext)
    if m is None or not m.group(1).endswith("-" + prefix) or m.group(1) == "-" + prefix:
        raise bad(f"ExternalUrl_InvalidAsciiRules: externalUrl '{ext}' is not valid for this tenant: on the "
                  f"default domain it must be https://<name>-{prefix}.msappproxy.net/ (custom domains need a "
                  "verified domain and an uploaded certificate).", "ExternalUrl_InvalidAsciiRules")


def check_identifier_uris(state: State, app: dict, uris: Any) -> None:
    """identifierUris: api:// URIs, or https URIs on a verified domain (or a subdomain of one), or on the
    application's own published App Proxy host."""
    if not isinstance(uris, list) or not all(isinstance(u, str) for u in uris):
        raise bad("identifierUris must be a list of URIs.")
    verified = [str(d["name"]).lower() for d in state.data["organization"]["verifiedDomains"]]
    ext = (app.get("onPremisesPublishing") or {}).get("externalUrl") or ""
    own = urlsplit(ext).hostname or ""
    for u in uris:
        parts = urlsplit(u)
        host = (parts.hostname or "").lower()
        if parts.scheme == "api" or (host and (host == own or any(host == d or host.endswith("." + d)
                                                                  for d in verified))):
            continue
        raise bad(f"Values of identifierUris property must use a verified domain of the organization or its "
                  f"subdomain: '{u}'", "HostNameNotOnVerifiedDomain")


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
            state.data["deletedItems"][app["id"]] = {"@odata.type": "#microsoft.graph.application", **app,
                                                     "deletedDateTime": now()}
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
        if req.method == "PATCH":
            body = req.body
            if not isinstance(body, dict) or not body or set(body) - SP_WRITABLE:
                bad_keys = sorted(set(body) - SP_WRITABLE) if isinstance(body, dict) else []
                raise bad(f"Property '{bad_keys[0] if bad_keys else ''}' does not exist on type "
                          "'microsoft.graph.servicePrincipal'.")
            sp.update(body)
            return Reply(204)
        if req.method == "DELETE":
            del sps[sp["id"]]
            state.data["deletedItems"][sp["id"]] = {"@odata.type": "#microsoft.graph.servicePrincipal", **sp,
                                                    "deletedDateTime": now()}
            return Reply(204)
    raise GraphFault(405, "Request_BadRequest", "Unsupported request on servicePrincipals.")
