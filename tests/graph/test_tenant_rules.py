"""What a real tenant checks, played by the simulator and met by the product (issue 15 items 1, 2, 3, 4, 7):
the App Proxy external URL against the tenant's initial domain, read-only publishing properties, the tutorial's
identifierUris / redirect URI / home page, deleted items, per-platform profile fields, complete assignments."""
from __future__ import annotations

import time

import pytest

from ndes.graph import BadRequest, GraphClient, GraphSettings, Op
from ndes.graph import app_proxy as ap
from ndes.graph import intune
from ndes.providers.app_proxy_application import AppProxyApplicationProvider
from ndes.providers.base import AlreadyExists
from ndes.providers.scep_profile import ScepProfileProvider
from ndes.providers.trusted_certificate_profile import TrustedCertificateProfileProvider

from .conftest import LAB_GROUP, OTHER_GROUP
from .engine import Managed
from .test_app_proxy_application import props
from .test_intune_profiles import root_props, scep_props

pytestmark = pytest.mark.slow
OP = Op("test", "rule")


@pytest.fixture
def client(graph_sim) -> GraphClient:
    s = GraphSettings(tenant_id=graph_sim.tenant_id, client_id=graph_sim.client_id, client_secret=graph_sim.secret,
                      cloud="custom", graph_endpoint=graph_sim.url, authority=graph_sim.url,
                      ca_bundle_pem=graph_sim.ca_bundle)
    return GraphClient(s)


@pytest.fixture
def admin_client(graph_sim) -> GraphClient:
    """App Proxy's Graph APIs take a signed-in user (docs/identities.md): the lab's App Proxy admin, by device code."""
    from ndes.providers.graph_connection import GraphInputs
    return GraphInputs(**graph_sim.app_proxy_connection()).client()


# ---- item 1: the external URL ---------------------------------------------------------------------------------
def test_the_tenant_initial_domain_is_read_from_organization(client):
    assert ap.initial_domain(client) == "lab.onmicrosoft.com"


def test_an_external_url_of_another_tenant_is_refused_at_preview_naming_the_expected_url(graph_sim):
    res = AppProxyApplicationProvider().check({}, props(graph_sim, externalUrl="https://ndes1-contoso.msappproxy.net/"))
    assert [f.property for f in res.failures] == ["externalUrl"]
    reason = res.failures[0].reason
    assert "https://ndes1-lab.msappproxy.net/" in reason and "lab.onmicrosoft.com" in reason
    assert "ExternalUrl_InvalidAsciiRules" in reason and "ndesHosts" in reason
    assert not AppProxyApplicationProvider().check({}, props(graph_sim)).failures
    assert graph_sim.state()["applications"] == {}


def test_a_create_that_skipped_preview_still_makes_nothing_with_a_wrong_suffix(graph_sim):
    with pytest.raises(BadRequest, match="ndes1-lab.msappproxy.net"):
        AppProxyApplicationProvider().create(props(graph_sim, externalUrl="https://ndes1-contoso.msappproxy.net/"))
    assert graph_sim.state()["applications"] == {}


def test_simulator_answers_external_url_invalid_ascii_rules(admin_client):
    app, _ = ap.instantiate(admin_client, "rule app")
    for url in ("https://rule-contoso.msappproxy.net/", "https://rule.msappproxy.net/", "https://ndes.lab.contoso.test/"):
        with pytest.raises(BadRequest) as exc:
            ap.publish(admin_client, app["id"], {"externalUrl": url, "internalUrl": "https://ndes1.lab.contoso.test/"})
        assert exc.value.code == "ExternalUrl_InvalidAsciiRules" and "-lab.msappproxy.net" in str(exc.value)
    ap.publish(admin_client, app["id"], {"externalUrl": "https://rule-lab.msappproxy.net/",
                                   "internalUrl": "https://ndes1.lab.contoso.test/"})


# ---- item 4: read-only publishing flag, the tutorial's web settings, deleted items -------------------------------
def test_publishing_sets_the_tutorials_web_settings_and_the_system_presets_enabled(graph_sim):
    r = Managed(AppProxyApplicationProvider())
    r.create(props(graph_sim))
    app = graph_sim.state()["applications"][r.id]
    assert app["identifierUris"] == ["https://ndes1-lab.msappproxy.net"]
    assert app["web"]["redirectUris"] == ["https://ndes1-lab.msappproxy.net/"]
    assert app["web"]["homePageUrl"] == "https://ndes1-lab.msappproxy.net/"
    assert app["onPremisesPublishing"]["isOnPremPublishingEnabled"] is True
    assert r.refresh()["enabled"] is True
    before = graph_sim.stats()
    assert r.converge(props(graph_sim)) is False
    assert r.converge(props(graph_sim)) is False
    assert {k for k, v in graph_sim.stats().items() if not k.startswith("GET") and v != before.get(k)} == set()


def test_simulator_ignores_a_write_of_the_read_only_enabled_flag(admin_client):
    app, _ = ap.instantiate(admin_client, "ro app")
    admin_client.patch(f"/beta/applications/{app['id']}", OP, {"onPremisesPublishing": {
        "externalUrl": "https://ro-lab.msappproxy.net/", "internalUrl": "https://ndes1.lab.contoso.test/",
        "isOnPremPublishingEnabled": False}})
    assert ap.get_application(admin_client, app["id"])["onPremisesPublishing"]["isOnPremPublishingEnabled"] is True


def test_simulator_refuses_identifier_uris_off_the_verified_domains(admin_client):
    app, _ = ap.instantiate(admin_client, "uri app")
    with pytest.raises(BadRequest) as exc:
        ap.update_application(admin_client, app["id"], {"identifierUris": ["https://ndes.fabrikam.com"]})
    assert exc.value.code == "HostNameNotOnVerifiedDomain"
    ap.update_application(admin_client, app["id"], {"identifierUris": ["https://ndes.lab.contoso.test", "api://x"]})


def test_delete_purges_the_application_and_its_service_principal_from_deleted_items(graph_sim):
    r = Managed(AppProxyApplicationProvider())
    outs = r.create(props(graph_sim))
    r.delete()
    st = graph_sim.state()
    assert r.id not in st["applications"] and outs["servicePrincipalId"] not in st["servicePrincipals"]
    assert st["deletedItems"] == {}
    again = Managed(AppProxyApplicationProvider())
    again.create(props(graph_sim))
    assert [a["displayName"] for a in graph_sim.state()["applications"].values()] == ["NDES ndes1"]


def test_simulator_keeps_a_deleted_application_in_deleted_items(admin_client):
    app, _ = ap.instantiate(admin_client, "deleted app")
    admin_client.delete(f"/v1.0/applications/{app['id']}", OP)
    assert admin_client.get(f"/v1.0/directory/deletedItems/{app['id']}", OP)["displayName"] == "deleted app"
    assert admin_client.delete(f"/v1.0/directory/deletedItems/{app['id']}", OP) is True
    assert admin_client.delete(f"/v1.0/directory/deletedItems/{app['id']}", OP) is False


def test_an_unmarked_application_of_the_same_name_is_still_refused(graph_sim, admin_client):
    app, _ = ap.instantiate(admin_client, "NDES ndes1")
    with pytest.raises(AlreadyExists, match="adopt"):
        AppProxyApplicationProvider().create(props(graph_sim))
    assert list(graph_sim.state()["applications"]) == [app["id"]]


# ---- items 2, 3, 4: profiles ---------------------------------------------------------------------------------
def test_macos_profiles_carry_their_channel_and_the_simulator_refuses_changing_it(graph_sim, lab_ca_der, client):
    root = Managed(TrustedCertificateProfileProvider())
    root.create(root_props(graph_sim, lab_ca_der, "macos"))
    scep = Managed(ScepProfileProvider())
    scep.create(scep_props(graph_sim, "macos", root.id))
    st = graph_sim.state()["deviceConfigurations"]
    assert st[root.id]["deploymentChannel"] == "deviceChannel"
    assert st[scep.id]["deploymentChannel"] == "userChannel" and st[scep.id]["certificateStore"] == "user"
    assert scep.refresh()["deploymentChannel"] == "userChannel"
    assert scep.converge(scep_props(graph_sim, "macos", root.id)) is False
    with pytest.raises(BadRequest, match="cannot be changed"):
        intune.update_profile(client, scep.id, {"@odata.type": "#microsoft.graph.macOSScepCertificateProfile",
                                                "deploymentChannel": "deviceChannel"}, "scep")


def test_simulator_refuses_device_id_subject_formats_on_apple(client, lab_ca_der):
    root = intune.create_profile(client, {"@odata.type": "#microsoft.graph.iosTrustedRootCertificate",
                                          "displayName": "r", "trustedRootCertificate": lab_ca_der["root"],
                                          "certFileName": "r.cer"}, "root")["id"]
    body = {"@odata.type": "#microsoft.graph.iosScepCertificateProfile", "displayName": "s",
            "subjectNameFormat": "commonNameAsAadDeviceId",
            "rootCertificate@odata.bind": intune.profile_ref(client, root)}
    with pytest.raises(BadRequest, match="commonNameAsAadDeviceId"):
        intune.create_profile(client, body, "scep")


def test_every_assignment_target_is_read_so_hand_made_ones_show_as_drift(graph_sim, lab_ca_der):
    root = Managed(TrustedCertificateProfileProvider())
    root.create(root_props(graph_sim, lab_ca_der, "ios"))
    graph_sim.admin("/edit", {"collection": "deviceConfigurations", "id": root.id, "targets": [
        {"@odata.type": "#microsoft.graph.allDevicesAssignmentTarget"},
        {"@odata.type": "#microsoft.graph.exclusionGroupAssignmentTarget", "groupId": OTHER_GROUP}]})
    live = root.refresh()
    assert live["groups"] == sorted([LAB_GROUP, "allDevices", f"exclude:{OTHER_GROUP}"])
    assert root.drift(root_props(graph_sim, lab_ca_der, "ios")) == ["groups"]
    # issue 20: the admin's targets are kept unless the config says so (keepUnmanaged: false)
    assert root.converge(root_props(graph_sim, lab_ca_der, "ios")) is True
    assert len(graph_sim.state()["assignmentTargets"][root.id]) == 2
    assert root.converge(root_props(graph_sim, lab_ca_der, "ios", keepUnmanaged=False)) is True
    st = graph_sim.state()
    assert st["assignments"][root.id] == [LAB_GROUP] and st["assignmentTargets"][root.id] == []


def test_refresh_of_a_scep_profile_without_a_root_does_not_wait(graph_sim, lab_ca_der):
    root = Managed(TrustedCertificateProfileProvider())
    root.create(root_props(graph_sim, lab_ca_der, "ios"))
    scep = Managed(ScepProfileProvider())
    scep.create(scep_props(graph_sim, "ios", root.id))
    graph_sim.admin("/edit", {"collection": "deviceConfigurations", "id": scep.id, "root": None})
    before = graph_sim.stats()
    start = time.monotonic()
    assert scep.refresh()["rootProfileId"] is None
    assert time.monotonic() - start < 5
    key = "GET /beta/deviceManagement/deviceConfigurations/{id}/microsoft.graph.iosScepCertificateProfile/rootCertificate"
    assert graph_sim.stats()[key] - before.get(key, 0) == 1


def test_a_profile_made_before_certificate_type_and_channel_were_sent_is_not_replaced(graph_sim, lab_ca_der, client):
    """Upgrade: profiles an older version made carry no certificateStore / deploymentChannel; a refresh must not
    turn that into a replace."""
    root = Managed(TrustedCertificateProfileProvider())
    root.create(root_props(graph_sim, lab_ca_der, "macos"))
    scep = Managed(ScepProfileProvider())
    scep.create(scep_props(graph_sim, "macos", root.id))
    for pid in (root.id, scep.id):
        obj = graph_sim.state()["deviceConfigurations"][pid]
        graph_sim.admin("/edit", {"collection": "deviceConfigurations", "id": pid,
                                  "set": {"certificateStore": None, "deploymentChannel": None}})
        assert obj["@odata.type"]
    for r, p in ((root, root_props(graph_sim, lab_ca_der, "macos")), (scep, scep_props(graph_sim, "macos", root.id))):
        r.refresh()
        d = r.provider.diff(r.id, r.outs, r.checked(p))
        assert not d.replaces and not d.changes
