"""Entra application proxy (on-premises publishing) on Graph: instantiate, publish, connector group, delete.

Facts (shared/reference/graph.md): the on-premises app template is instantiated on v1.0 and may answer an
error yet have created the application, so the display name is looked up before any retry; publishing is a
beta PATCH of `onPremisesPublishing` alone; the connector group is set through `connectorGroup/$ref`.
"""
from __future__ import annotations

from typing import Any

from .client import GraphClient, Op, odata_literal, quote_id
from .errors import BadRequest, GraphError, NotFound, Unavailable

ON_PREM_TEMPLATE_ID = "8adf8e6e-67b2-4cf2-a259-e3dc5476c621"
CONNECTOR_GROUPS = "/beta/onPremisesPublishingProfiles/applicationProxy/connectorGroups"
PUBLISHING_FIELDS = ("externalUrl", "internalUrl", "externalAuthenticationType", "isTranslateHostHeaderEnabled",
                     "isTranslateLinksInBodyEnabled", "isOnPremPublishingEnabled")
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

    An error answer (or no answer) is followed by a look-up by display name: when the application exists the
    call succeeded after all; only when it is absent is the instantiate sent again (once)."""
    op = Op("create", KIND, display_name)
    path = f"/v1.0/applicationTemplates/{quote_id(ON_PREM_TEMPLATE_ID)}/instantiate"
    last: GraphError | None = None
    for _ in range(2):
        try:
            res = c.post(path, op, {"displayName": display_name})
            return res["application"], res.get("servicePrincipal")
        except (Unavailable, NotFound) as exc:
            last = exc
        # the answer was an error: did it create the application anyway? New objects replicate slowly, so
        # look for the whole replication budget before concluding it did not.
        pol = c.settings.retry
        start = c.clock()
        for i in range(pol.not_found_attempts):
            app = find_application(c, display_name)
            if app is not None:
                return app, find_service_principal(c, app["appId"], wait_for=True)
            wait = min(0.25 * 2 ** i, 5.0)
            if c.clock() - start + wait > pol.not_found_seconds:
                break
            c.sleep(wait)
    assert last is not None
    raise last


def get_application(c: GraphClient, object_id: str, *, wait_for: bool = False) -> dict:
    return c.get(f"/beta/applications/{quote_id(object_id)}", Op("read", KIND, object_id), wait_for=wait_for,
                 params={"$select": "id,appId,displayName,notes,onPremisesPublishing"})


def update_application(c: GraphClient, object_id: str, changes: dict[str, Any]) -> None:
    """PATCH plain application properties (displayName, notes); never onPremisesPublishing (see publish)."""
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
    """Delete the service principal (by appId) and the application; either being gone already is fine."""
    if app_id:
        sp = find_service_principal(c, app_id)
        if sp is not None:
            c.delete(f"/v1.0/servicePrincipals/{quote_id(sp['id'])}", Op("delete", "service principal", sp["id"]))
    c.delete(f"/v1.0/applications/{quote_id(object_id)}", Op("delete", KIND, object_id))
