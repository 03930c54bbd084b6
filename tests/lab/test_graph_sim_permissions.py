"""The Graph simulator's token/permission layer on its own: per-endpoint permission tables (App Proxy: application
permissions not supported, Application Administrator for the signed-in user; Intune: DeviceManagementConfiguration
app or delegated), Graph's 403 texts, and the device code sign-in the lab's App Proxy admin completes."""
from __future__ import annotations

import json
import time

import pytest

from lab.graph_sim import permissions, tokens
from lab.graph_sim.odata import GraphFault

CG = "/beta/onPremisesPublishingProfiles/applicationProxy/connectorGroups"
APP = "/beta/applications/2b0c0000-0000-4000-8000-000000000001"
PROFILES = "/beta/deviceManagement/deviceConfigurations"


def app(*roles: str) -> tokens.Token:
    return tokens.Token("app", "0b5e1f0e-0000-4000-8000-00000000a11b", time.time() + 60, roles=list(roles))


def user(upn: str) -> tokens.Token:
    u = tokens.USERS[upn]
    return tokens.Token("delegated", tokens.AZURE_CLI_CLIENT_ID, time.time() + 60,
                        scp=list(tokens.DELEGATED_CLIENTS[tokens.AZURE_CLI_CLIENT_ID]), wids=list(u["wids"]), upn=upn)


ADMIN = user(tokens.APP_PROXY_ADMIN)
CLOUD_APP_ADMIN = user(f"cloudapp-admin@{tokens._DOMAIN}")
HELPDESK = user(f"helpdesk@{tokens._DOMAIN}")


def refused(tok, method, path, body=None) -> GraphFault:
    with pytest.raises(GraphFault) as info:
        permissions.check(tok, method, path, body)
    assert info.value.status == 403
    return info.value


@pytest.mark.parametrize("method,path,body", [
    ("GET", CG, None), ("GET", f"{APP}/connectorGroup", None),
    ("PUT", f"{APP}/connectorGroup/$ref", {"@odata.id": f"https://graph{CG}/x"}),
    ("PATCH", APP, {"onPremisesPublishing": {"externalUrl": "https://a-b.msappproxy.net/"}}),
])
def test_app_proxy_refuses_every_app_token_and_the_roles_below_application_administrator(method, path, body):
    f = refused(app("Directory.ReadWrite.All", "Application.ReadWrite.All"), method, path, body)
    assert (f.code, f.message) == ("Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
    assert "not supported" in f.detail
    assert "Cloud Application Administrator" not in refused(CLOUD_APP_ADMIN, method, path, body).detail
    assert "holds none of the roles Application Administrator" in refused(HELPDESK, method, path, body).detail
    permissions.check(ADMIN, method, path, body)  # the App Proxy admin, signed in through the Azure CLI


def test_plain_application_work_takes_app_permissions_or_the_cloud_application_administrator():
    permissions.check(app("Application.Read.All"), "GET", "/v1.0/applications", None)  # a pipeline verifies
    refused(app("Application.Read.All"), "PATCH", "/v1.0/applications/x", {"notes": "m"})
    permissions.check(app("Application.ReadWrite.All"), "PATCH", "/v1.0/applications/x", {"notes": "m"})
    permissions.check(CLOUD_APP_ADMIN, "PATCH", "/v1.0/applications/x", {"notes": "m"})
    refused(HELPDESK, "POST", "/v1.0/applicationTemplates/8adf8e6e-67b2-4cf2-a259-e3dc5476c621/instantiate", {})


def test_intune_takes_the_app_permission_and_refuses_an_azure_cli_token_in_its_own_words():
    permissions.check(app(*tokens.APP_ROLES), "POST", PROFILES, {})
    permissions.check(app("DeviceManagementConfiguration.Read.All"), "GET", PROFILES, None)
    f = refused(app("DeviceManagementConfiguration.Read.All"), "POST", PROFILES, {})
    assert f.code == "Forbidden"
    inner = json.loads(f.message)
    assert inner["Message"].startswith("Application is not authorized to perform this operation. Application must "
                                       "have one of the following scopes: DeviceManagementConfiguration.ReadWrite.All")
    assert "DeviceManagementConfiguration.ReadWrite.All" in json.loads(refused(ADMIN, "PATCH", f"{PROFILES}/x",
                                                                              {}).message)["Message"]


def test_the_device_code_waits_for_a_user_and_carries_scopes_and_roles():
    iss = tokens.Issuer("https://graph.test", "tenant-1")
    status, flow = iss.start_device_flow(tokens.AZURE_CLI_CLIENT_ID, "https://graph.test/.default")
    assert status == 200 and flow["user_code"] in flow["message"]
    status, body = iss.redeem_device_code(flow["device_code"], tokens.AZURE_CLI_CLIENT_ID, None)
    assert (status, body["error"]) == (400, "authorization_pending")
    status, body = iss.redeem_device_code(flow["device_code"], tokens.AZURE_CLI_CLIENT_ID, tokens.APP_PROXY_ADMIN)
    assert status == 200 and body["id_token"] and body["client_info"]
    tok = iss.lookup(f"Bearer {body['access_token']}")
    assert tok.kind == "delegated" and tok.upn == tokens.APP_PROXY_ADMIN
    assert tokens.APPLICATION_ADMINISTRATOR in tok.wids and "Directory.AccessAsUser.All" in tok.scp
    assert not [s for s in tok.scp if s.startswith("DeviceManagement")]  # the Azure CLI holds no Intune scope
    assert iss.redeem_device_code(flow["device_code"], tokens.AZURE_CLI_CLIENT_ID, tokens.APP_PROXY_ADMIN)[0] == 400
    assert iss.start_device_flow("00000000-0000-4000-8000-000000000000", "x")[0] == 400  # unknown public client
