"""AppProxyApplication: NDES published through Entra application proxy (one application per NDES host).

Create instantiates the on-premises application template under a provisional name that carries the owner mark
(the mark is part of the first write: a process killed right after leaves an application the next run takes
back), then names it and marks it in `notes` in one PATCH, names its service principal, publishes
`onPremisesPublishing` in its own request (passthrough pre-authentication, as NDES needs: devices present no
Entra token), sets identifierUris / redirect URI / home page as Microsoft's App Proxy tutorial does, and assigns
the connector group found by name. Every step compares first, so a rerun after any step converges.

The external URL is checked against the tenant before anything is created (at preview when Graph answers):
Graph refuses a default-domain URL whose suffix is not the tenant's (ExternalUrl_InvalidAsciiRules), and custom
domains need a certificate upload this module does not do. Delete removes the service principal and the
application and purges both from deleted items.
"""
from __future__ import annotations

import sys
from typing import Any, ClassVar

from .results import CheckFailure, CheckResult
from pydantic import field_validator

from ..graph import AccessDenied, BadRequest, GraphClient, GraphError, NotFound
from ..graph import app_proxy as ap
from ..model.app_proxy_fields import AppProxySettings
from ..model.field_rules import as_recorded
from ..model.urls import normalize_https_url
from . import app_proxy_admin as admin
from . import faults
from . import generation as gen
from .base import Existing, contains_unknown
from ..graph.settings import DELEGATED
from .graph_connection import OWNER_MARK, GraphInputs, GraphProvider, split_mark, with_mark

PRE_AUTH = {"passthrough": "passthru", "aadPreAuthentication": "aadPreAuthentication"}
PRE_AUTH_WORDS = {v: k for k, v in PRE_AUTH.items()}


class AppProxyInputs(GraphInputs, AppProxySettings):
    """The publishing settings (ndes.model.app_proxy_fields.AppProxySettings, shared with ndes:appProxy) and
    the application's name and URLs."""
    display_name: str
    external_url: str
    internal_url: str
    enabled: bool = True
    """Read-only in Graph (isOnPremPublishingEnabled is preset by the system): only true is accepted."""

    @field_validator("external_url", "internal_url")
    @classmethod
    def _url(cls, v: str) -> str:
        return normalize_https_url(v)

    @field_validator("external_url")
    @classmethod
    def _default_domain(cls, v: str) -> str:
        why = ap.external_url_problem(v, None)
        if why:
            raise ValueError(why)
        return v

    @field_validator("enabled")
    @classmethod
    def _enabled(cls, v: bool) -> bool:
        if not v:
            raise ValueError("isOnPremPublishingEnabled is read-only in Graph (preset by the system): an application "
                             "cannot be unpublished by writing it; remove the NDES host (or the application) instead")
        return v

    # read: the URLs as Entra holds them, changed in the portal: an external URL on a custom domain (App Proxy
    # offers them; this module publishes on msappproxy.net only), an http:// internal URL (App Proxy accepts one)
    _recorded_publishing = as_recorded("external_url", "internal_url")

    @property
    def mark(self) -> str:
        """The owner mark of the provisional name, WITHOUT the create's generation: the rerun after a killed create
        (another generation) must find the application by it."""
        return OWNER_MARK.format(owner=gen.owner_of(self.owner)) if self.owner else ""


class AppProxyApplicationProvider(GraphProvider):
    kind = "App Proxy application"
    graph_ref = "graph:appProxy"  # signed in as ndes:graph.appProxy's delegated identity
    permission = "a signed-in user holding Application Administrator (delegated Directory.ReadWrite.All)"

    def access_hint(self, props: dict[str, Any]) -> str:
        # App Proxy's Graph APIs take no application permission: granting the app more cannot help (identities.md)
        if props.get("credential") in DELEGATED:
            return ("the signed-in user must hold the Entra role Application Administrator (Cloud Application "
                    "Administrator cannot manage App Proxy): assign it, or sign in as such a user (ndes:graph.appProxy)")
        return ("App Proxy's Graph APIs do not accept application permissions: set ndes:graph.appProxy.credential to "
                "azureCli (az login) or deviceCode and sign in as a user holding Application Administrator")
    Inputs = AppProxyInputs

    def what(self, inp: Any) -> str:
        return f"{self.kind} '{inp.display_name}'" + (f" ({inp.config_key})" if inp.config_key else "")

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        """Validation, then (inputs known) the external URL against the tenant's initial domain; a Graph that
        does not answer here is said on stderr, and the create checks again before it makes anything."""
        res = super().check(olds, news)
        if res.failures or contains_unknown(res.inputs):
            return res
        inp = self.parse(res.inputs)
        try:
            why = ap.external_url_problem(inp.external_url, ap.initial_domain(inp.client()))
        except GraphError as exc:
            print(f"{self.what(inp)}: could not read the tenant's initial domain to check externalUrl at preview "
                  f"({exc}); it is checked again before the application is created", file=sys.stderr, flush=True)
            return res
        if why:
            return CheckResult(res.inputs, [CheckFailure("externalUrl", f"ndes:ndesHosts[].externalUrl: {why}")])
        return res

    def find(self, inp: AppProxyInputs) -> Existing | None:
        c = inp.client()
        app = ap.find_application(c, inp.display_name)
        if app is None and inp.mark:
            app = ap.find_application(c, ap.provisional_name(inp.display_name, inp.mark))
            if app is not None:  # instantiated by this resource, killed before it was named: its own
                return Existing(app["id"], inp.owner)
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
            try:
                initial: str | None = ap.initial_domain(c)
            except AccessDenied as exc:  # a read permission short: Graph itself still refuses a wrong URL
                print(f"{self.what(inp)}: externalUrl not checked against the tenant ({exc})", file=sys.stderr,
                      flush=True)
                initial = None
            why = ap.external_url_problem(inp.external_url, initial)
            if why:  # Graph would refuse the publish after the application exists: refuse before
                raise BadRequest(f"failed to create {self.kind} '{inp.display_name}' on {c.target}: {why} "
                                 "[config: ndes:ndesHosts[].externalUrl]")
            app, _ = ap.instantiate(c, ap.provisional_name(inp.display_name, inp.mark))
            faults.step(self, inp.owner, "create", "instantiated")  # NDES_FAULT: the window before it is named
            obj_id = app["id"]
        else:
            obj_id = existing.id
        app = ap.get_application(c, obj_id, wait_for=True)
        changes: dict[str, Any] = {}
        if app.get("displayName") != inp.display_name:
            changes["displayName"] = inp.display_name
        if inp.owner and (app.get("notes") or "") != with_mark("", inp.owner):
            changes["notes"] = with_mark("", inp.owner)
        if changes:  # name and mark in one write: the application never carries its name without its mark
            ap.update_application(c, obj_id, changes)
        sp = ap.find_service_principal(c, app["appId"], wait_for=True)
        if sp is not None and sp.get("displayName") != inp.display_name:
            ap.rename_service_principal(c, sp["id"], inp.display_name)
        want = self.publishing(inp)
        have = app.get("onPremisesPublishing") or {}
        if any(have.get(k) != v for k, v in want.items()):
            ap.publish(c, obj_id, want)
        web = ap.web_settings(inp.external_url)
        live_web = {"identifierUris": app.get("identifierUris") or [],
                    "web": {k: (app.get("web") or {}).get(k) for k in web["web"]}}
        if live_web != web:
            ap.update_application(c, obj_id, web)
        current = ap.get_connector_group(c, obj_id)
        if not current or current.get("id") != group["id"]:
            ap.assign_connector_group(c, obj_id, group["id"])
        return obj_id, self.outputs(app, sp)

    def verify_only(self, c: GraphClient, inp: AppProxyInputs, existing: Existing | None) -> tuple[str, dict]:
        if existing is None:
            raise admin.change_needed(self.what(inp), ["the application does not exist"], inp.tenant_id, inp.owner)
        app = ap.get_application(c, existing.id)
        live = {"displayName": app.get("displayName"), **(app.get("onPremisesPublishing") or {})}
        changes = admin.differences(live, {"displayName": inp.display_name, **self.publishing(inp)})
        # identifierUris / redirect URI / home page: what apply sets (Microsoft's tutorial), verified here too
        web = ap.web_settings(inp.external_url)
        live_web = {"identifierUris": app.get("identifierUris") or [],
                    **{k: (app.get("web") or {}).get(k) for k in web["web"]}}
        changes += admin.differences(live_web, {"identifierUris": web["identifierUris"], **web["web"]})
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
                "isTranslateLinksInBodyEnabled": inp.translate_links_in_body}

    @staticmethod
    def outputs(app: dict, sp: dict | None) -> dict[str, Any]:
        return {"applicationId": app.get("appId"), "objectId": app.get("id"),
                "servicePrincipalId": sp.get("id") if sp else None}

    def get(self, id_: str, inp: AppProxyInputs) -> dict[str, Any] | None:
        if not id_:  # find found nothing: Graph reads an object by its id (an empty one reads the collection)
            return None
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
