"""Per-endpoint permissions of the Graph paths the product uses, as Microsoft Graph's permission tables publish them,
checked before a request reaches the tenant (graph.handle), with Graph's 403 answers.

Each rule: the application permissions an app-only token may hold (`app`: any one of them suffices; None =
"Application: Not supported"), the delegated scopes (`delegated`), and for delegated calls the Entra roles the
signed-in user must hold (`roles`, None = no role check here). Sources per rule: docs/lab-fidelity.md,
"## Identities (who is calling)".
"""
from __future__ import annotations

import json
import uuid
from dataclasses import dataclass

from .odata import GraphFault, segments
from .tokens import APPLICATION_ADMINISTRATOR, CLOUD_APPLICATION_ADMINISTRATOR, GLOBAL_ADMINISTRATOR, ROLE_NAMES, Token

APP_READ = ("Application.Read.All", "Application.ReadWrite.All", "Application.ReadWrite.OwnedBy",
            "Directory.Read.All", "Directory.ReadWrite.All")
APP_WRITE = ("Application.ReadWrite.All", "Application.ReadWrite.OwnedBy")
DELEGATED_APP_READ = ("Application.Read.All", "Application.ReadWrite.All", "Directory.Read.All",
                      "Directory.ReadWrite.All", "Directory.AccessAsUser.All")
DELEGATED_APP_WRITE = ("Application.ReadWrite.All", "Directory.ReadWrite.All", "Directory.AccessAsUser.All")
APP_PROXY_SCOPES = ("Directory.ReadWrite.All", "Directory.AccessAsUser.All")
"""The tables list Directory.ReadWrite.All; Directory.AccessAsUser.All (what an Azure CLI sign-in holds) acts with
the user's own directory rights, which is how admins configure App Proxy with `az login` (see the ledger)."""
APP_ADMINS = (APPLICATION_ADMINISTRATOR, CLOUD_APPLICATION_ADMINISTRATOR, GLOBAL_ADMINISTRATOR)
APP_PROXY_ADMINS = (APPLICATION_ADMINISTRATOR, GLOBAL_ADMINISTRATOR)
"""Entra rbac-app-proxy-write: Application Administrator is the least role; Cloud Application Administrator
cannot manage App Proxy settings."""
INTUNE_READ = ("DeviceManagementConfiguration.Read.All", "DeviceManagementConfiguration.ReadWrite.All")
INTUNE_WRITE = ("DeviceManagementConfiguration.ReadWrite.All",)
GROUP_READ = ("GroupMember.Read.All", "Group.Read.All", "Group.ReadWrite.All", "Directory.Read.All",
              "Directory.ReadWrite.All")
DELEGATED_GROUP_READ = GROUP_READ + ("Directory.AccessAsUser.All",)


@dataclass(frozen=True)
class Rule:
    what: str
    app: tuple[str, ...] | None
    delegated: tuple[str, ...]
    roles: tuple[str, ...] | None = None
    intune: bool = False
    """Intune's front end answers a refusal in its own words (code Forbidden, "Application is not authorized")."""


def rule_for(method: str, path: str, body: object) -> Rule | None:
    """The permission rule of a Graph request (None for a path the simulator does not serve: it answers 400)."""
    seg = segments(path)
    rest = seg[1:] if seg and seg[0] in ("v1.0", "beta") else seg
    if rest[:1] == ["applicationTemplates"]:
        return Rule("instantiate an application template", APP_WRITE, DELEGATED_APP_WRITE, APP_ADMINS)
    if rest[:3] == ["onPremisesPublishingProfiles", "applicationProxy", "connectorGroups"]:
        return Rule("list connector groups", None, APP_PROXY_SCOPES, APP_PROXY_ADMINS)
    if rest[:1] == ["applications"] and len(rest) >= 3 and rest[2] == "connectorGroup":
        return Rule("read or assign an application's connector group", None, APP_PROXY_SCOPES, APP_PROXY_ADMINS)
    if rest[:1] in (["applications"], ["servicePrincipals"]):
        if method == "GET":
            return Rule("read applications", APP_READ, DELEGATED_APP_READ)
        if method == "PATCH" and isinstance(body, dict) and "onPremisesPublishing" in body:
            return Rule("configure App Proxy (onPremisesPublishing)", None, APP_PROXY_SCOPES, APP_PROXY_ADMINS)
        return Rule("change applications", APP_WRITE, DELEGATED_APP_WRITE, APP_ADMINS)
    if rest[:2] in (["deviceManagement", "deviceConfigurations"], ["deviceManagement", "assignmentFilters"]):
        return Rule("Intune device configurations", INTUNE_READ if method == "GET" else INTUNE_WRITE,
                    INTUNE_READ if method == "GET" else INTUNE_WRITE, intune=True)
    if rest[:1] == ["groups"]:
        return Rule("read groups", GROUP_READ, DELEGATED_GROUP_READ)
    return None


def check(tok: Token, method: str, path: str, body: object) -> None:
    """Raise Graph's 403 when the token may not make this request."""
    rule = rule_for(method, path, body)
    if rule is None:
        return
    if tok.kind == "app":
        if rule.app is not None and set(rule.app) & set(tok.roles):
            return
        wanted = rule.app
    else:
        if set(rule.delegated) & set(tok.scp):
            if rule.roles is None or set(rule.roles) & set(tok.wids):
                return
            raise _denied(rule, f"the signed-in user {tok.upn} holds none of the roles "
                                f"{', '.join(ROLE_NAMES[r] for r in rule.roles)}")
        wanted = rule.delegated
    if rule.intune:
        raise _intune_denied(tok, wanted or ())
    raise _denied(rule, "" if wanted is not None else "application permissions are not supported for this API")


def _denied(rule: Rule, detail: str) -> GraphFault:
    # Entra's directory APIs answer every refusal with this one text; `detail` is for the simulator's log only.
    fault = GraphFault(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
    fault.detail = f"{rule.what}: {detail}" if detail else rule.what  # type: ignore[attr-defined]
    return fault


def _intune_denied(tok: Token, wanted: tuple[str, ...]) -> GraphFault:
    op = str(uuid.uuid4())
    text = (f"Application is not authorized to perform this operation. Application must have one of the following "
            f"scopes: {', '.join(wanted)} - Operation ID (for customer support): 00000000-0000-0000-0000-000000000000 "
            f"- Activity ID: {op} - Url: https://fef.msub01.manage.microsoft.com/DeviceConfiguration/"
            "StatelessDeviceConfigurationFEService/deviceManagement/deviceConfigurations")
    return GraphFault(403, "Forbidden", json.dumps({"_version": 3, "Message": text, "CustomApiErrorPhrase": "",
                                                    "RetryAfter": None, "ErrorSourceService": "", "HttpHeaders": "{}"},
                                                   indent=2).replace("\n", "\r\n"))

