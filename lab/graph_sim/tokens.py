"""Who calls the Graph simulator: the tokens its OAuth endpoint issues and what each carries, as Entra's do.

- App-only tokens (client credentials: secret, certificate, federated workload token) carry the application
  permissions granted to the app, admin-consented (`roles`), and no user.
- Delegated tokens (device code sign-in: a user signs in through a public client such as the Azure CLI) carry the
  delegated permissions the client holds (`scp`) and the user's directory roles (`wids`, role template ids). The
  Azure CLI's Graph token holds directory scopes and no `DeviceManagementConfiguration.*` scope.

The lab tenant's people (USERS) and the lab app's granted permissions (APP_ROLES) are below; tests change them
through the admin API (/_admin/identities). The device code is approved by the lab's "signed-in browser user"
(`deviceLogin`, default the App Proxy admin): the lab stands in for the human who enters the code.
Sources: docs/lab-fidelity.md, "## Identities (who is calling)".
"""
from __future__ import annotations

import base64
import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from lab import topology

TOKEN_LIFETIME = 3600
DEVICE_CODE_LIFETIME = 900
AZURE_CLI_CLIENT_ID = "04b07795-8ddb-461a-bbee-02f9e1bf7b46"
"""The Azure CLI's public client (azure-identity's DeviceCodeCredential default)."""

# Entra built-in role template ids (the `wids` claim)
GLOBAL_ADMINISTRATOR = "62e90394-69f5-4237-9190-012177145e10"
APPLICATION_ADMINISTRATOR = "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3"
CLOUD_APPLICATION_ADMINISTRATOR = "158c047a-c907-4556-b7ef-446551a6b5f7"
INTUNE_ADMINISTRATOR = "3a2c62db-5318-420d-8d74-23affee5d9d5"
ROLE_NAMES = {GLOBAL_ADMINISTRATOR: "Global Administrator", APPLICATION_ADMINISTRATOR: "Application Administrator",
              CLOUD_APPLICATION_ADMINISTRATOR: "Cloud Application Administrator",
              INTUNE_ADMINISTRATOR: "Intune Administrator"}

APP_ROLES = ["DeviceManagementConfiguration.ReadWrite.All", "Application.Read.All", "Group.Read.All"]
"""The application permissions granted to the lab app (the Intune identity): least privilege for the profiles,
reading groups by id, and reading (never writing) applications so a pipeline can verify App Proxy."""

DELEGATED_CLIENTS = {
    # the Azure CLI's preconsented Microsoft Graph scopes: directory work, nothing of Intune
    AZURE_CLI_CLIENT_ID: ["Application.ReadWrite.All", "AppRoleAssignment.ReadWrite.All", "AuditLog.Read.All",
                          "DelegatedPermissionGrant.ReadWrite.All", "Directory.AccessAsUser.All", "email",
                          "Group.ReadWrite.All", "openid", "profile", "User.Read.All", "User.ReadWrite.All"],
}

_DOMAIN = topology.REALM
USERS = {
    f"appproxy-admin@{_DOMAIN}": {"id": "7a1b0000-0000-4000-8000-0000000000a1", "wids": [APPLICATION_ADMINISTRATOR]},
    f"cloudapp-admin@{_DOMAIN}": {"id": "7a1b0000-0000-4000-8000-0000000000a2",
                                  "wids": [CLOUD_APPLICATION_ADMINISTRATOR]},
    f"helpdesk@{_DOMAIN}": {"id": "7a1b0000-0000-4000-8000-0000000000a3", "wids": []},
}
APP_PROXY_ADMIN = f"appproxy-admin@{_DOMAIN}"


def seed_identities() -> dict[str, Any]:
    """The tenant's identity settings (part of the simulator's persisted state)."""
    return {"appRoles": list(APP_ROLES), "deviceLogin": APP_PROXY_ADMIN}


@dataclass
class Token:
    kind: str
    """"app" | "delegated" """
    appid: str
    exp: float
    roles: list[str] = field(default_factory=list)
    scp: list[str] = field(default_factory=list)
    wids: list[str] = field(default_factory=list)
    upn: str = ""

    @property
    def who(self) -> str:
        return f"user {self.upn} (app {self.appid})" if self.kind == "delegated" else f"app {self.appid}"


class Issuer:
    """Bearer tokens and pending device codes of one simulator process (tokens die with it, as on restart)."""

    def __init__(self, base: str, tenant: str):
        self.base, self.tenant = base, tenant
        self.tokens: dict[str, Token] = {}
        self.device_codes: dict[str, dict[str, Any]] = {}

    def app_token(self, client_id: str, roles: list[str]) -> dict[str, Any]:
        return self._issue(Token("app", client_id, time.time() + TOKEN_LIFETIME, roles=sorted(roles)))

    def start_device_flow(self, client_id: str, scope: str) -> tuple[int, dict[str, Any]]:
        if client_id not in DELEGATED_CLIENTS:
            return 400, _aad_error("unauthorized_client", 700016, f"Application with identifier '{client_id}' was "
                                   f"not found in the directory '{self.tenant}'.")
        code, user_code = secrets.token_urlsafe(24), secrets.token_hex(4).upper()
        self.device_codes[code] = {"client": client_id, "scope": scope, "exp": time.time() + DEVICE_CODE_LIFETIME}
        uri = f"{self.base}/devicelogin"
        return 200, {"device_code": code, "user_code": user_code, "verification_uri": uri,
                     "expires_in": DEVICE_CODE_LIFETIME, "interval": 1,
                     "message": f"To sign in, use a web browser to open the page {uri} and enter the code "
                                f"{user_code} to authenticate."}

    def redeem_device_code(self, code: str, client_id: str, signed_in: str | None) -> tuple[int, dict[str, Any]]:
        flow = self.device_codes.get(code)
        if flow is None or flow["client"] != client_id:
            return 400, _aad_error("invalid_grant", 70000, "The provided value for the input parameter "
                                   "'device_code' is not valid.")
        if time.time() > flow["exp"]:
            del self.device_codes[code]
            return 400, _aad_error("expired_token", 70020, "The provided authorization code or refresh token has "
                                   "expired due to inactivity.")
        user = USERS.get((signed_in or "").lower())
        if user is None:  # nobody has entered the code (yet)
            return 400, _aad_error("authorization_pending", 70016, "The provided request has not yet been "
                                   "authorized by the user. The user must input their code.")
        del self.device_codes[code]
        tok = Token("delegated", client_id, time.time() + TOKEN_LIFETIME, scp=list(DELEGATED_CLIENTS[client_id]),
                    wids=list(user["wids"]), upn=signed_in.lower())
        body = self._issue(tok)
        body["scope"] = " ".join(f"{self.base}/{s}" for s in tok.scp)
        body["id_token"] = self._id_token(client_id, signed_in.lower(), user["id"])
        body["client_info"] = _b64url(json.dumps({"uid": user["id"], "utid": self.tenant}).encode())
        return 200, body

    def lookup(self, header: str | None) -> Token | None:
        if not header or not header.startswith("Bearer "):
            return None
        tok = self.tokens.get(header[7:])
        return tok if tok is not None and tok.exp > time.time() else None

    def _issue(self, tok: Token) -> dict[str, Any]:
        value = secrets.token_urlsafe(32)
        self.tokens[value] = tok
        return {"token_type": "Bearer", "expires_in": TOKEN_LIFETIME, "ext_expires_in": TOKEN_LIFETIME,
                "access_token": value}

    def _id_token(self, client_id: str, upn: str, oid: str) -> str:
        now = int(time.time())
        claims = {"iss": f"{self.base}/{self.tenant}/v2.0", "aud": client_id, "sub": oid, "oid": oid,
                  "tid": self.tenant, "preferred_username": upn, "iat": now, "nbf": now, "exp": now + TOKEN_LIFETIME}
        header = {"alg": "none", "typ": "JWT"}
        return f"{_b64url(json.dumps(header).encode())}.{_b64url(json.dumps(claims).encode())}."


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _aad_error(err: str, code: int, text: str) -> dict[str, Any]:
    return {"error": err, "error_description": f"AADSTS{code}: {text}\r\nTrace ID: {secrets.token_hex(8)}\r\n"
            f"Timestamp: {time.strftime('%Y-%m-%d %H:%M:%SZ')}", "error_codes": [code]}
