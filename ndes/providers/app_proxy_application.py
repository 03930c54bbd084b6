"""AppProxyApplication: NDES published through Entra application proxy (one application per NDES host).

Create instantiates the on-premises application template (never twice: see ndes.graph.app_proxy.instantiate),
marks the application with its owner (notes), publishes `onPremisesPublishing` in its own request
(passthrough pre-authentication, as NDES needs: devices present no Entra token), and assigns the connector
group found by name. Delete removes the service principal and the application.
"""
from __future__ import annotations

from typing import Any, ClassVar, Literal

import pulumi
import pulumi.dynamic
from pydantic import field_validator

from ..graph import BadRequest, GraphClient, NotFound
from ..graph import app_proxy as ap
from ..model.urls import normalize_https_url
from . import app_proxy_admin as admin
from .base import Existing
from ..graph.settings import DELEGATED
from .graph_connection import SECRET_INPUTS, GraphInputs, GraphProvider, split_mark, with_mark

PRE_AUTH = {"passthrough": "passthru", "aadPreAuthentication": "aadPreAuthentication"}
PRE_AUTH_WORDS = {v: k for k, v in PRE_AUTH.items()}


class AppProxyInputs(GraphInputs):
    display_name: str
    external_url: str
    internal_url: str
    pre_authentication: Literal["passthrough", "aadPreAuthentication"] = "passthrough"
    translate_host_header: bool = True
    translate_links_in_body: bool = False
    enabled: bool = True
    connector_group: str = "Default"

    @field_validator("external_url", "internal_url")
    @classmethod
    def _url(cls, v: str) -> str:
        return normalize_https_url(v)


class AppProxyApplicationProvider(GraphProvider):
    kind = "App Proxy application"
    permission = "a signed-in user holding Application Administrator (delegated Directory.ReadWrite.All)"

    def access_hint(self, props: dict[str, Any]) -> str:
        # App Proxy's Graph APIs take no application permission: granting the app more cannot help (identities.md)
        if props.get("credential") in DELEGATED:
            return ("the signed-in user must hold the Entra role Application Administrator (Cloud Application "
                    "Administrator cannot manage App Proxy): assign it, or sign in as such a user (ndes:graph.appProxy)")
        return ("App Proxy's Graph APIs do not accept application permissions: set ndes:graph.appProxy.credential to "
                "azureCli (az login) or deviceCode and sign in as a user holding Application Administrator")
    Inputs: ClassVar[type[AppProxyInputs]] = AppProxyInputs
    secret_fields = frozenset(SECRET_INPUTS)

    def what(self, inp: Any) -> str:
        return f"{self.kind} '{inp.display_name}'" + (f" ({inp.config_key})" if inp.config_key else "")

    def find(self, inp: AppProxyInputs) -> Existing | None:
        app = ap.find_application(inp.client(), inp.display_name)
        if app is None:
            return None
        return Existing(app["id"], split_mark(app.get("notes"))[1])

    def _group(self, c: GraphClient, inp: AppProxyInputs) -> dict:
        group = ap.connector_group_by_name(c, inp.connector_group)
        if group is None:
            names = ", ".join(sorted(g.get("name", "") for g in ap.connector_groups(c))) or "none"
            raise BadRequest(f"failed to assign connector group '{inp.connector_group}' to {self.kind} "
                             f"'{inp.display_name}' on {c.target}: the tenant has no connector group of that name "
                             f"(it has: {names}). Fix ndes:appProxy.connectorGroup, or install a connector and "
                             "create the group in Entra (Application proxy > Connector groups)")
        return group

    def apply(self, inp: AppProxyInputs, existing: Existing | None) -> tuple[str, dict[str, Any]]:
        c = inp.client()
        if not inp.settings().delegated:  # ndes:graph.appProxy.credential: none: verify, report (app_proxy_admin)
            return self.verify_only(c, inp, existing)
        group = self._group(c, inp)  # before creating anything: a wrong name leaves nothing half-made
        if existing is None:
            app, _ = ap.instantiate(c, inp.display_name)
            obj_id = app["id"]
        else:
            obj_id = existing.id
        app = ap.get_application(c, obj_id, wait_for=True)
        mark = with_mark("", inp.owner)
        changes: dict[str, Any] = {}
        if app.get("displayName") != inp.display_name:
            changes["displayName"] = inp.display_name
        if inp.owner and (app.get("notes") or "") != mark:
            changes["notes"] = mark
        if changes:
            ap.update_application(c, obj_id, changes)
        want = self.publishing(inp)
        have = app.get("onPremisesPublishing") or {}
        if any(have.get(k) != v for k, v in want.items()):
            ap.publish(c, obj_id, want)
        current = ap.get_connector_group(c, obj_id)
        if not current or current.get("id") != group["id"]:
            ap.assign_connector_group(c, obj_id, group["id"])
        sp = ap.find_service_principal(c, app["appId"], wait_for=True)
        return obj_id, self.outputs(app, sp)

    def verify_only(self, c: GraphClient, inp: AppProxyInputs, existing: Existing | None) -> tuple[str, dict]:
        if existing is None:
            raise admin.change_needed(self.what(inp), ["the application does not exist"], inp.tenant_id, inp.owner)
        app = ap.get_application(c, existing.id)
        live = {"displayName": app.get("displayName"), **(app.get("onPremisesPublishing") or {})}
        changes = admin.differences(live, {"displayName": inp.display_name, **self.publishing(inp)})
        if inp.owner and (app.get("notes") or "") != with_mark("", inp.owner):
            changes.append("owner mark (notes) missing")
        if changes:
            raise admin.change_needed(self.what(inp), changes, inp.tenant_id, inp.owner)
        return existing.id, self.outputs(app, ap.find_service_principal(c, app["appId"]))

    @staticmethod
    def publishing(inp: AppProxyInputs) -> dict[str, Any]:
        return {"externalUrl": inp.external_url, "internalUrl": inp.internal_url,
                "externalAuthenticationType": PRE_AUTH[inp.pre_authentication],
                "isTranslateHostHeaderEnabled": inp.translate_host_header,
                "isTranslateLinksInBodyEnabled": inp.translate_links_in_body,
                "isOnPremPublishingEnabled": inp.enabled}

    @staticmethod
    def outputs(app: dict, sp: dict | None) -> dict[str, Any]:
        return {"applicationId": app.get("appId"), "objectId": app.get("id"),
                "servicePrincipalId": sp.get("id") if sp else None}

    def get(self, id_: str, inp: AppProxyInputs) -> dict[str, Any] | None:
        c = inp.client()
        try:
            app = ap.get_application(c, id_)
        except NotFound:
            return None
        opp = app.get("onPremisesPublishing") or {}
        # app-only (a pipeline) cannot read the connector group: it stays as last recorded (app_proxy_admin)
        group = ap.get_connector_group(c, id_) if inp.settings().delegated else None
        sp = ap.find_service_principal(c, app["appId"])
        live = {
            "displayName": app.get("displayName"),
            "externalUrl": opp.get("externalUrl"),
            "internalUrl": opp.get("internalUrl"),
            "preAuthentication": PRE_AUTH_WORDS.get(opp.get("externalAuthenticationType"),
                                                    opp.get("externalAuthenticationType")),
            "translateHostHeader": opp.get("isTranslateHostHeaderEnabled"),
            "translateLinksInBody": opp.get("isTranslateLinksInBodyEnabled"),
            "enabled": bool(opp.get("isOnPremPublishingEnabled")),
            "connectorGroup": group.get("name") if group else None,
        }
        if not inp.settings().delegated:
            del live["connectorGroup"]
        live.update(self.outputs(app, sp))
        return live

    def remove(self, id_: str, inp: AppProxyInputs) -> None:
        c = inp.client()
        try:
            app = ap.get_application(c, id_)
        except NotFound:
            return
        if not inp.settings().delegated:
            raise admin.change_needed(self.what(inp), ["delete the application"], inp.tenant_id, inp.owner)
        ap.delete(c, id_, app.get("appId"))


class AppProxyApplication(pulumi.dynamic.Resource, module="ndes", name="AppProxyApplication"):
    """One NDES host published through App Proxy. Outputs: applicationId (appId), objectId, servicePrincipalId,
    externalUrl."""

    applicationId: pulumi.Output[str]
    objectId: pulumi.Output[str]
    servicePrincipalId: pulumi.Output[str]
    externalUrl: pulumi.Output[str]

    def __init__(self, name: str, props: dict[str, Any], opts: pulumi.ResourceOptions | None = None):
        props = {**props, "applicationId": None, "objectId": None, "servicePrincipalId": None}
        opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(additional_secret_outputs=list(SECRET_INPUTS)))
        super().__init__(AppProxyApplicationProvider(), name, props, opts)
