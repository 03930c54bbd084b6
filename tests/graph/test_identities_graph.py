"""Each Graph plane signs in as its own identity against the simulator (docs/identities.md): App Proxy as a user
holding Application Administrator (device code), Intune as the app; a wrong identity fails at the first call
with a message naming the identity to use; where nobody can sign in (ndes:graph.appProxy.credential: none) App
Proxy is read and verified with the app, and a change is reported with the admin's commands."""
from __future__ import annotations

import pytest

from lab.graph_sim.tokens import _DOMAIN
from ndes.graph import AccessDenied
from ndes.providers.app_proxy_application import AppProxyApplicationProvider
from ndes.providers.trusted_certificate_profile import TrustedCertificateProfileProvider

from .engine import Managed
from .test_app_proxy_application import props as app_props
from .test_intune_profiles import root_props

pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def new_process():
    """Each test signs in afresh, as each `pulumi` run's provider process does (the client cache keeps a
    signed-in user's token for the process's life)."""
    from ndes.graph import client
    client._CACHE.clear()
    yield
    client._CACHE.clear()


def refusals(sim) -> dict[str, int]:
    return {k: v for k, v in sim.stats().items() if k.startswith("403 ")}


def test_each_plane_signs_in_as_its_own_identity(graph_sim, lab_ca_der):
    app = Managed(AppProxyApplicationProvider())
    app.create(app_props(graph_sim))  # delegated: the lab's App Proxy admin completes the device code
    root = Managed(TrustedCertificateProfileProvider())
    root.create(root_props(graph_sim, lab_ca_der, "ios"))  # app-only
    assert refusals(graph_sim) == {}
    st = graph_sim.state()
    assert list(st["applications"]) == [app.id] and list(st["deviceConfigurations"]) == [root.id]


def test_graph_refuses_an_app_token_on_app_proxy_whatever_it_was_granted(graph_sim):
    from ndes.graph import GraphSettings, client_for
    from ndes.graph import app_proxy as ap
    graph_sim.admin("/identities", {"appRoles": ["Application.ReadWrite.All", "Directory.ReadWrite.All"]})
    c = graph_sim.connection()
    app_only = client_for(GraphSettings(tenant_id=c["tenantId"], client_id=c["clientId"],
                                        client_secret=c["clientSecret"], cloud="custom", graph_endpoint=c["graphEndpoint"],
                                        authority=c["authority"], ca_bundle_pem=c["caBundle"]))
    with pytest.raises(AccessDenied) as exc:
        ap.connector_groups(app_only)
    assert "403" in str(exc.value) and "Insufficient privileges to complete the operation" in str(exc.value)
    assert any("connectorGroups by app" in k for k in refusals(graph_sim))


def test_an_app_only_run_makes_nothing_and_names_the_identity_and_the_commands(graph_sim):
    with pytest.raises(AccessDenied) as exc:
        Managed(AppProxyApplicationProvider()).create(app_props(graph_sim, **graph_sim.connection()))
    msg = str(exc.value)
    assert "the application does not exist" in msg and "signed-in user holding Application Administrator" in msg
    assert "ndes:graph.appProxy.credential" in msg and "az login --tenant" in msg
    assert "application permission, admin consent" not in msg
    assert graph_sim.state()["applications"] == {}
    assert refusals(graph_sim) == {}  # it read, it did not try what Graph refuses


@pytest.mark.parametrize("who", [f"cloudapp-admin@{_DOMAIN}", f"helpdesk@{_DOMAIN}"])
def test_a_user_without_application_administrator_is_refused_with_the_role_named(graph_sim, who):
    graph_sim.admin("/identities", {"deviceLogin": who})
    with pytest.raises(AccessDenied) as exc:
        Managed(AppProxyApplicationProvider()).create(app_props(graph_sim))
    assert "must hold the Entra role Application Administrator" in str(exc.value)
    assert graph_sim.state()["applications"] == {}


def test_an_azure_cli_user_cannot_write_intune_profiles(graph_sim, lab_ca_der):
    with pytest.raises(AccessDenied) as exc:
        Managed(TrustedCertificateProfileProvider()).create(
            root_props(graph_sim, lab_ca_der, "ios", **graph_sim.app_proxy_connection()))
    msg = str(exc.value)
    assert "Application must have one of the following scopes: DeviceManagementConfiguration" in msg
    assert "app's own identity" in msg


def test_an_app_without_the_intune_permission_is_told_which(graph_sim, lab_ca_der):
    graph_sim.admin("/identities", {"appRoles": ["Application.Read.All"]})
    with pytest.raises(AccessDenied) as exc:
        Managed(TrustedCertificateProfileProvider()).create(root_props(graph_sim, lab_ca_der, "ios"))
    assert "the app registration needs DeviceManagementConfiguration.ReadWrite.All" in str(exc.value)


def test_a_pipeline_verifies_app_proxy_and_reports_a_change_with_the_admin_commands(graph_sim):
    admin = Managed(AppProxyApplicationProvider())
    created = admin.create(app_props(graph_sim, owner="ndes/prod/app-proxy-ndes1"))  # an admin's run
    graph_sim.admin("/identities", {"deviceLogin": None})  # nobody can sign in from here on
    pipeline = app_props(graph_sim, **graph_sim.connection(), owner="ndes/prod/app-proxy-ndes1")
    before = {k: v for k, v in graph_sim.stats().items() if not k.startswith("GET")}
    p = AppProxyApplicationProvider()
    same = p.update(admin.id, created, pipeline)  # nothing to change: verified, nothing written
    assert same.outs["objectId"] == admin.id
    read = p.read(admin.id, {**created, **pipeline, "connectorGroup": "Default"})
    assert read.outs["externalUrl"] == "https://ndes1-lab.msappproxy.net/"
    assert read.outs["connectorGroup"] == "Default"  # unreadable app-only: kept as last recorded
    assert {k: v for k, v in graph_sim.stats().items() if not k.startswith("GET")} == before
    changed = {**pipeline, "externalUrl": "https://ndes1b-lab.msappproxy.net/"}
    with pytest.raises(AccessDenied) as exc:
        p.update(admin.id, created, changed)
    msg = str(exc.value)
    assert "externalUrl: live 'https://ndes1-lab.msappproxy.net/', configured 'https://ndes1b-lab.msappproxy.net/'" \
        in msg
    assert "identifierUris: live ['https://ndes1-lab.msappproxy.net']" in msg  # issue 15's fields verified too
    assert f"az login --tenant {graph_sim.tenant_id} --allow-no-subscriptions" in msg
    assert "pulumi up --stack prod" in msg and "Application Administrator" in msg
    assert graph_sim.state()["applications"][admin.id]["onPremisesPublishing"]["externalUrl"] == \
        "https://ndes1-lab.msappproxy.net/"
    with pytest.raises(AccessDenied, match="delete the application"):
        p.delete(admin.id, same.outs)  # the engine deletes with the state (its generation), not the inputs
    assert admin.id in graph_sim.state()["applications"]
