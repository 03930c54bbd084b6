"""Intune device configurations in the simulator: trusted certificate and SCEP profiles, root links,
assignments; every body checked against the documented shape (schema.py)."""
from __future__ import annotations

import base64
from typing import Any

from cryptography import x509

from . import schema
from .odata import GUID, GraphFault, Reply, Request, bad, filtered, lookup, not_found, now, paged, ref_id, select, visible
from .state import State


GROUP_TARGET = "#microsoft.graph.groupAssignmentTarget"
EXCLUSION_TARGET = "#microsoft.graph.exclusionGroupAssignmentTarget"
TARGET_TYPES = {GROUP_TARGET, EXCLUSION_TARGET, "#microsoft.graph.allLicensedUsersAssignmentTarget",
                "#microsoft.graph.allDevicesAssignmentTarget"}
"""deviceAndAppManagementAssignmentTarget's derived types an assignment of a device configuration takes."""


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
        allowed = schema.enum_values(tname, k)
        if allowed is not None and v is not None and v not in allowed:
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
            for k in schema.FIXED_AT_CREATION & set(req.body):
                if obj.get(k) is not None and req.body[k] != obj[k]:
                    raise bad(f"Property '{k}' cannot be changed once the profile exists (it is "
                              f"'{obj[k]}'): create a new profile.", "ModelValidationFailure")
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
            state.data["assignmentTargets"].pop(pid, None)
            return Reply(204)
    if tail == ["assignments"] and req.method == "GET":
        items = [{"id": f"{pid}_{g}", "source": "direct", "sourceId": pid,
                  "target": {"@odata.type": GROUP_TARGET, "groupId": g,
                             "deviceAndAppManagementAssignmentFilterType": "none"}}
                 for g in state.data["assignments"].get(pid, [])]
        items += [{"id": f"{pid}_{i}", "source": "direct", "sourceId": pid, "target": dict(t)}
                  for i, t in enumerate(state.data["assignmentTargets"].get(pid, []))]
        return paged(req, items, "beta/$metadata#deviceManagement/deviceConfigurations('x')/assignments")
    if tail == ["assign"] and req.method == "POST":
        body = req.body
        if not isinstance(body, dict) or set(body) - {"assignments", "deviceConfigurationGroupAssignments"} or \
                not isinstance(body.get("assignments"), list):
            raise bad("The assign action takes {\"assignments\": [...]}.")
        groups, others = [], []
        for a in body["assignments"]:
            t = a.get("target") if isinstance(a, dict) else None
            kind = t.get("@odata.type") if isinstance(t, dict) else None
            if kind not in TARGET_TYPES:
                raise bad("Each assignment needs a target of a known type (" + ", ".join(sorted(TARGET_TYPES)) + ").",
                          "ModelValidationFailure")
            if kind in (GROUP_TARGET, EXCLUSION_TARGET):
                g = str(t.get("groupId", ""))
                if not GUID.match(g):
                    raise bad(f"groupId '{g}' is not a GUID.", "ModelValidationFailure")
                if g.lower() not in state.data["groups"]:
                    raise bad(f"The group '{g}' does not exist in the tenant.", "ModelValidationFailure")
            check_filter(state, t, kind, tname)
            filtered_target = t.get("deviceAndAppManagementAssignmentFilterType", "none") not in (None, "none")
            if kind == GROUP_TARGET and not filtered_target:
                groups.append(str(t["groupId"]).lower())
            else:
                others.append(dict(t))
        state.data["assignments"][pid] = sorted(set(groups))
        state.data["assignmentTargets"][pid] = others
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


FILTER_TYPES = ("none", "include", "exclude")
FILTER_PLATFORMS = ("android", "androidForWork", "iOS", "macOS", "windows10AndLater", "androidAOSP",
                    "androidMobileApplicationManagement", "iOSMobileApplicationManagement",
                    "windowsMobileApplicationManagement")
"""devicePlatformType values an assignment filter takes (intune-policyset-deviceandappmanagementassignmentfilter)."""


FILTER_PLATFORM_OF = (("ios", "iOS"), ("macOS", "macOS"), ("androidWorkProfile", "androidForWork"),
                      ("androidDeviceOwner", "androidForWork"), ("windows", "windows10AndLater"))
"""The filter platform a device configuration's type takes (a filter is made for one platform and only
assignments of that platform's profiles can use it)."""


def check_filter(state: State, t: dict, kind: str, profile_type: str = "") -> None:
    """deviceAndAppManagementAssignmentTarget's filter: type none/include/exclude, an id of an existing filter
    when not none, made for the profile's platform; Intune offers no filter on an excluded group."""
    ftype = t.get("deviceAndAppManagementAssignmentFilterType", "none") or "none"
    fid = t.get("deviceAndAppManagementAssignmentFilterId")
    if ftype not in FILTER_TYPES:
        raise bad(f"Requested value '{ftype}' was not found for property 'deviceAndAppManagementAssignmentFilterType'.",
                  "ModelValidationFailure")
    if ftype == "none":
        if fid:
            raise bad("deviceAndAppManagementAssignmentFilterId is set but the filter type is none.",
                      "ModelValidationFailure")
        return
    if kind == EXCLUSION_TARGET:
        raise bad("Assignment filters are not supported on excluded groups.", "ModelValidationFailure")
    if not isinstance(fid, str) or str(fid).lower() not in state.data.setdefault("assignmentFilters", {}):
        raise bad(f"The assignment filter '{fid}' does not exist.", "ModelValidationFailure")
    want = next((fp for prefix, fp in FILTER_PLATFORM_OF if profile_type.startswith(prefix)), None)
    have = state.data["assignmentFilters"][str(fid).lower()].get("platform")
    if want and have != want:
        raise bad(f"The assignment filter '{fid}' is made for platform '{have}' and cannot be used with a "
                  f"'{want}' profile.", "ModelValidationFailure")


def assignment_filters(state: State, req: Request, tail: list[str]) -> Reply:
    """GET/POST /beta/deviceManagement/assignmentFilters, GET/DELETE .../{id}."""
    coll = state.data.setdefault("assignmentFilters", {})
    if not tail and req.method == "GET":
        return paged(req, [select(f, req.query) for f in filtered(list(coll.values()), req.query)],
                     "beta/$metadata#deviceManagement/assignmentFilters")
    if not tail and req.method == "POST":
        body = req.body if isinstance(req.body, dict) else {}
        name, platform, rule = body.get("displayName"), body.get("platform"), body.get("rule")
        if not name or not isinstance(rule, str) or not rule.strip():
            raise bad("displayName and rule are required.", "ModelValidationFailure")
        if platform not in FILTER_PLATFORMS:
            raise bad(f"Requested value '{platform}' was not found for property 'platform'.", "ModelValidationFailure")
        fid = state.new_id()
        coll[fid] = {"@odata.type": "#microsoft.graph.deviceAndAppManagementAssignmentFilter", "id": fid,
                     "displayName": name, "description": body.get("description", ""), "platform": platform,
                     "rule": rule, "createdDateTime": now(), "lastModifiedDateTime": now(),
                     "roleScopeTags": ["0"]}
        return Reply(201, dict(coll[fid]))
    if len(tail) == 1:
        f = coll.get(tail[0].lower())
        if f is None:
            raise not_found("deviceAndAppManagementAssignmentFilter", tail[0])
        if req.method == "GET":
            return Reply(200, dict(f))
        if req.method == "DELETE":
            used = [pid for pid, ts in state.data["assignmentTargets"].items()
                    if any(str(t.get("deviceAndAppManagementAssignmentFilterId", "")).lower() == f["id"] for t in ts)]
            if used:
                raise GraphFault(400, "BadRequest", "The filter is used by assignments and cannot be deleted.")
            del coll[f["id"]]
            return Reply(204)
    raise GraphFault(400, "BadRequest", f"Resource not found for the segment '{'/'.join(tail)}'.")
