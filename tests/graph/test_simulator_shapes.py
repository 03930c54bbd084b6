"""The simulator refuses what Graph refuses (it is an honest double): a bearer token on every call, the
documented request shapes, and paging with @odata.nextLink. Driven with the product's own client."""
from __future__ import annotations

import httpx
import pytest

from ndes.graph import AccessDenied, BadRequest, GraphClient, GraphSettings, Op
from ndes.graph import app_proxy as ap
from ndes.graph import intune

from .conftest import LAB_GROUP

pytestmark = pytest.mark.slow
OP = Op("test", "shape")


@pytest.fixture
def client(graph_sim) -> GraphClient:
    s = GraphSettings(tenant_id=graph_sim.tenant_id, client_id=graph_sim.client_id, client_secret=graph_sim.secret,
                      cloud="custom", graph_endpoint=graph_sim.url, authority=graph_sim.url,
                      ca_bundle_pem=graph_sim.ca_bundle)
    return GraphClient(s)


@pytest.fixture
def root_id(client, lab_ca_der) -> str:
    return intune.create_profile(client, {"@odata.type": "#microsoft.graph.iosTrustedRootCertificate",
                                          "displayName": "r", "trustedRootCertificate": lab_ca_der["root"],
                                          "certFileName": "r.cer"}, "root")["id"]


def test_no_token_is_401(graph_sim):
    r = httpx.get(f"{graph_sim.url}/beta/deviceManagement/deviceConfigurations",
                  verify=__import__("ssl").create_default_context(cadata=graph_sim.ca_bundle))
    assert r.status_code == 401 and r.json()["error"]["code"] == "InvalidAuthenticationToken"


def test_unknown_type_and_property_are_400(client, lab_ca_der):
    with pytest.raises(BadRequest, match="could not be resolved by the model"):
        intune.create_profile(client, {"@odata.type": "#microsoft.graph.iosTrustedRootCertificat",
                                       "displayName": "x"}, "root")
    with pytest.raises(BadRequest, match="Property 'destinationStore' does not exist"):
        intune.create_profile(client, {"@odata.type": "#microsoft.graph.iosTrustedRootCertificate",
                                       "displayName": "x", "trustedRootCertificate": lab_ca_der["root"],
                                       "destinationStore": "computerCertStoreRoot"}, "root")
    with pytest.raises(BadRequest, match="not a base64 DER"):
        intune.create_profile(client, {"@odata.type": "#microsoft.graph.iosTrustedRootCertificate",
                                       "displayName": "x", "trustedRootCertificate": "bm90IGEgY2VydA=="}, "root")


def test_patch_needs_odata_type_and_no_bind(client, root_id):
    with pytest.raises(BadRequest, match="@odata.type property is required"):
        client.patch(intune.profile_path(root_id), OP, {"displayName": "y"})
    with pytest.raises(BadRequest, match="does not match"):
        client.patch(intune.profile_path(root_id), OP, {"@odata.type": "#microsoft.graph.macOSTrustedRootCertificate",
                                                        "displayName": "y"})


def test_scep_needs_a_root_of_its_platform(client, root_id):
    body = {"@odata.type": "#microsoft.graph.windows81SCEPCertificateProfile", "displayName": "s",
            "scepServerUrls": ["https://ndes1-lab.msappproxy.net/certsrv/mscep/mscep.dll"], "keySize": "size2048"}
    with pytest.raises(BadRequest, match="needs its trusted root"):
        intune.create_profile(client, body, "scep")
    with pytest.raises(BadRequest, match="windows81TrustedRootCertificate"):
        intune.create_profile(client, {**body, "rootCertificate@odata.bind": intune.profile_ref(client, root_id)},
                              "scep")
    with pytest.raises(BadRequest, match="keySize"):
        intune.create_profile(client, {**body, "@odata.type": "#microsoft.graph.iosScepCertificateProfile",
                                       "keySize": "2048", "rootCertificate@odata.bind":
                                           intune.profile_ref(client, root_id)}, "scep")


def test_assign_refuses_unknown_groups(client, root_id):
    with pytest.raises(BadRequest, match="does not exist"):
        intune.assign_groups(client, root_id, ["00000000-0000-4000-8000-000000000000"], "root")
    intune.assign_groups(client, root_id, [LAB_GROUP], "root")
    assert intune.get_assigned_groups(client, root_id, "root") == [LAB_GROUP]


@pytest.fixture
def admin_client(graph_sim) -> GraphClient:
    """A user holding Application Administrator, signed in by device code (App Proxy is delegated-only)."""
    s = GraphSettings(tenant_id=graph_sim.tenant_id, credential="deviceCode", cloud="custom",
                      graph_endpoint=graph_sim.url, authority=graph_sim.url, ca_bundle_pem=graph_sim.ca_bundle)
    return GraphClient(s)


def test_publishing_patch_alone(admin_client):
    client = admin_client
    app, _ = ap.instantiate(client, "shape app")
    with pytest.raises(BadRequest, match="own request"):
        client.patch(f"/beta/applications/{app['id']}", OP,
                     {"displayName": "z", "onPremisesPublishing": {"externalUrl": "https://z-lab.msappproxy.net/"}})
    with pytest.raises(BadRequest, match="onPremisesPublishing"):
        client.patch(f"/v1.0/applications/{app['id']}", OP,
                     {"onPremisesPublishing": {"externalUrl": "https://z-lab.msappproxy.net/"}})
    with pytest.raises(BadRequest, match="externalUrl"):
        ap.publish(client, app["id"], {"externalUrl": "https://z.example.com/"})
    with pytest.raises(BadRequest, match="isFancy"):
        client.patch(f"/beta/applications/{app['id']}", OP, {"onPremisesPublishing": {"isFancy": True}})


def test_lists_page_with_next_link(client, lab_ca_der, graph_sim):
    for i in range(12):
        intune.create_profile(client, {"@odata.type": "#microsoft.graph.macOSTrustedRootCertificate",
                                       "displayName": f"page {i}", "trustedRootCertificate": lab_ca_der["root"],
                                       "certFileName": "r.cer"}, "root")
    assert len(client.list(intune.COLLECTION, OP)) == 12
    assert graph_sim.stats()["GET /beta/deviceManagement/deviceConfigurations"] == 3  # 5 + 5 + 2


def test_wrong_tenant_or_client_is_refused(graph_sim):
    from ndes.graph import AuthenticationFailed
    s = GraphSettings(tenant_id=graph_sim.tenant_id, client_id="0b5e1f0e-0000-4000-8000-0000000000ff",
                      client_secret=graph_sim.secret, cloud="custom", graph_endpoint=graph_sim.url,
                      authority=graph_sim.url, ca_bundle_pem=graph_sim.ca_bundle)
    with pytest.raises(AuthenticationFailed, match="AADSTS700016"):
        GraphClient(s).list(ap.CONNECTOR_GROUPS, OP)
    assert issubclass(AuthenticationFailed, AccessDenied)
