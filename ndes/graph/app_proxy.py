"""Entra application proxy (on-premises publishing) on Graph: instantiate, publish, connector group, delete.

Facts (shared/reference/graph.md): the on-premises app template is instantiated on v1.0 and may answer an
error yet have created the application, so the display name is looked up before any retry; publishing is a
beta PATCH of `onPremisesPublishing` alone; the connector group is set through `connectorGroup/$ref`.
`isOnPremPublishingEnabled` is preset by the system (read-only): never written. identifierUris, the redirect URI
and the home page follow the external URL, as Microsoft's App Proxy tutorial sets them
(concepts/application-proxy-configure-api.md). A deleted application waits 30 days in deleted items: `delete`
purges it, so its names are free for a re-create.

The default-domain external URL is `https://<name>-<tenant prefix>.msappproxy.net/`, the prefix being the
tenant's initial domain without `.onmicrosoft.com` (GET /organization verifiedDomains[isInitial]); anything else
is answered ExternalUrl_InvalidAsciiRules, after the application exists: `external_url_problem` says it first.
"""
from __future__ import annotations

from typing import Any

from .client import GraphClient, Op, odata_literal, quote_id
from ..model.urls import APP_PROXY_DOMAIN, expected_external_url, external_url_problem  # noqa: F401
from .errors import BadRequest, NotFound
from .once import create_once

ON_PREM_TEMPLATE_ID = "8adf8e6e-67b2-4cf2-a259-e3dc5476c621"
CONNECTOR_GROUPS = "/beta/onPremisesPublishingProfiles/applicationProxy/connectorGroups"
PUBLISHING_FIELDS = ("externalUrl", "internalUrl", "externalAuthenticationType", "isTranslateHostHeaderEnabled",
                     "isTranslateLinksInBodyEnabled")
"""What publish() writes; isOnPremPublishingEnabled is read-only (preset by the system) and never sent."""

KIND = "App Proxy application"


def find_applications(c: GraphClient, display_name: str) -> list[dict]:
    return c.list("/v1.0/applications", Op("look up", KIND, display_name),
                  params={"$filter": f"displayName eq {odata_literal(display_name)}",
                          "$select": "id,appId,displayName,notes"})


def find_application(c: GraphClient, display_name: str) -> dict | None:
    apps = find_applications(c, display_name)
    if len(apps) > 1:
        ids = ", ".join(a["id"] for a in apps)
        raise BadRequest(f"failed to look up {KIND} '{display_name}' on {c.target}: {len(apps)} applications carry "
                         f"this display name ({ids}); delete the extra ones or give appProxy.displayName another name")
    return apps[0] if apps else None


def find_service_principal(c: GraphClient, app_id: str, *, wait_for: bool = False) -> dict | None:
    op = Op("look up", "service principal of application", app_id)
    attempts = c.settings.retry.not_found_attempts if wait_for else 1
    for i in range(attempts):
        sps = c.list("/v1.0/servicePrincipals", op, params={"$filter": f"appId eq {odata_literal(app_id)}",
                                                           "$select": "id,appId,displayName"})
        if sps:
            return sps[0]
        if i + 1 < attempts:
            c.sleep(min(0.25 * 2 ** i, 5.0))
    return None


def instantiate(c: GraphClient, display_name: str) -> tuple[dict, dict | None]:
    """Create the application and its service principal from the on-premises template; never two of them.

    An error answer (or no answer) is followed by a look-up by display name within the replication budget: when
    the application exists the call succeeded after all; only when it is absent is the instantiate sent again
    (once). Callers pass a display name unique to the resource (see provisional_name)."""
    op = Op("create", KIND, display_name)
    path = f"/v1.0/applicationTemplates/{quote_id(ON_PREM_TEMPLATE_ID)}/instantiate"

    def post() -> tuple[dict, dict | None]:
        res = c.post(path, op, {"displayName": display_name})
        return res["application"], res.get("servicePrincipal")

    def lookup() -> tuple[dict, dict | None] | None:
        app = find_application(c, display_name)
        return None if app is None else (app, find_service_principal(c, app["appId"], wait_for=True))

    return create_once(c, post, lookup)


def provisional_name(display_name: str, mark: str) -> str:
    """The name an application is instantiated under: the display name plus the owner mark, so the mark is part
    of the first write (instantiate takes nothing else). The next write gives the application its name and its
    mark in `notes`; a process killed in between leaves an application the next run finds by this name."""
    return f"{display_name} {mark}" if mark else display_name


def get_application(c: GraphClient, object_id: str, *, wait_for: bool = False) -> dict:
    return c.get(f"/beta/applications/{quote_id(object_id)}", Op("read", KIND, object_id), wait_for=wait_for,
                 params={"$select": "id,appId,displayName,notes,onPremisesPublishing,identifierUris,web"})


def initial_domain(c: GraphClient) -> str:
    """The tenant's initial domain (<prefix>.onmicrosoft.com), from GET /organization."""
    orgs = c.list("/v1.0/organization", Op("read", "the tenant's verified domains"),
                  params={"$select": "id,verifiedDomains"})
    for org in orgs:
        for d in org.get("verifiedDomains") or []:
            if d.get("isInitial") and d.get("name"):
                return str(d["name"]).lower()
    raise NotFound(f"failed to read the tenant's verified domains on {c.target}: no initial domain in "
                   "GET /organization")


def web_settings(external_url: str) -> dict[str, Any]:
    """identifierUris, redirect URI and home page as Microsoft's App Proxy tutorial sets them."""
    return {"identifierUris": [external_url.rstrip("/")],
            "web": {"redirectUris": [external_url], "homePageUrl": external_url}}


def rename_service_principal(c: GraphClient, sp_id: str, display_name: str) -> None:
    c.patch(f"/v1.0/servicePrincipals/{quote_id(sp_id)}", Op("rename", "service principal", sp_id),
            {"displayName": display_name}, wait_for=True)


def update_application(c: GraphClient, object_id: str, changes: dict[str, Any]) -> None:
    """PATCH plain application properties (displayName, notes, identifierUris, web); never onPremisesPublishing
    (see publish)."""
    if "onPremisesPublishing" in changes:
        raise ValueError("onPremisesPublishing goes in its own request: use publish()")
    c.patch(f"/v1.0/applications/{quote_id(object_id)}", Op("update", KIND, object_id), changes, wait_for=True)


def publish(c: GraphClient, object_id: str, publishing: dict[str, Any]) -> None:
    """PATCH onPremisesPublishing alone, in its own request (Graph refuses it mixed with other properties)."""
    body = {"onPremisesPublishing": {k: publishing[k] for k in PUBLISHING_FIELDS if k in publishing}}
    c.patch(f"/beta/applications/{quote_id(object_id)}", Op("publish", KIND, object_id), body, wait_for=True)


def connector_groups(c: GraphClient) -> list[dict]:
    return c.list(CONNECTOR_GROUPS, Op("list", "connector groups"))


def connector_group_by_name(c: GraphClient, name: str) -> dict | None:
    for g in connector_groups(c):
        if g.get("name") == name:
            return g
    return None


def assign_connector_group(c: GraphClient, object_id: str, group_id: str) -> None:
    c.put(f"/beta/applications/{quote_id(object_id)}/connectorGroup/$ref",
          Op("assign the connector group of", KIND, object_id),
          {"@odata.id": c.url(f"{CONNECTOR_GROUPS}/{quote_id(group_id)}")}, wait_for=True)


def get_connector_group(c: GraphClient, object_id: str) -> dict | None:
    try:
        g = c.get(f"/beta/applications/{quote_id(object_id)}/connectorGroup",
                  Op("read the connector group of", KIND, object_id))
    except NotFound:
        return None
    return g or None


def delete(c: GraphClient, object_id: str, app_id: str | None) -> None:
    """Delete the service principal (by appId) and the application, then purge both from deleted items (where
    Entra keeps them 30 days), so a re-create finds its names free; anything gone already is fine."""
    if app_id:
        sp = find_service_principal(c, app_id)
        if sp is not None:
            if c.delete(f"/v1.0/servicePrincipals/{quote_id(sp['id'])}", Op("delete", "service principal", sp["id"])):
                purge(c, sp["id"], "service principal")
    if c.delete(f"/v1.0/applications/{quote_id(object_id)}", Op("delete", KIND, object_id)):
        purge(c, object_id, KIND)


def purge(c: GraphClient, object_id: str, kind: str) -> None:
    """Permanently delete an object from deleted items (DELETE /directory/deletedItems/{id}); a deleted object
    shows there after replication, so a 404 is waited out briefly before it is taken as 'already purged'."""
    path = f"/v1.0/directory/deletedItems/{quote_id(object_id)}"
    try:
        c.request("DELETE", path, Op("purge from deleted items", kind, object_id), wait_for=True)
    except NotFound:
        pass
