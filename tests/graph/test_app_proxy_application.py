"""AppProxyApplication against the Graph simulator: create / read / update / delete, idempotence, drift in the
admin's words, adoption, the connector group by name, and an instantiate that errors after creating."""
from __future__ import annotations

import pytest

from ndes.graph import BadRequest
from ndes.providers.app_proxy_application import AppProxyApplicationProvider
from ndes.providers.base import AlreadyExists

from .engine import Managed

pytestmark = pytest.mark.slow


def props(sim, **over):
    p = {**sim.app_proxy_connection(), "displayName": "NDES ndes1", "externalUrl": "https://ndes1-lab.msappproxy.net/",
         "internalUrl": "https://ndes1.lab.contoso.test/", "connectorGroup": "Default",
         "owner": "ndes/test/app-ndes1", "configKey": "ndes:appProxy"}
    p.update(over)
    return p


def apps_named(sim, name):
    return [a for a in sim.state()["applications"].values() if a["displayName"] == name]


def test_lifecycle(graph_sim):
    r = Managed(AppProxyApplicationProvider())
    outs = r.create(props(graph_sim))
    state = graph_sim.state()
    app = state["applications"][r.id]
    assert outs["objectId"] == r.id and outs["applicationId"] == app["appId"]
    assert outs["servicePrincipalId"] in state["servicePrincipals"]
    opp = app["onPremisesPublishing"]
    assert opp["externalAuthenticationType"] == "passthru" and opp["isOnPremPublishingEnabled"] is True
    assert opp["externalUrl"] == "https://ndes1-lab.msappproxy.net/"
    assert opp["internalUrl"] == "https://ndes1.lab.contoso.test/"
    assert state["appConnectorGroup"][r.id] in state["connectorGroups"]

    # a second converge changes nothing and sends no write
    before = graph_sim.stats()
    assert r.converge(props(graph_sim)) is False
    live = r.refresh()
    assert live["preAuthentication"] == "passthrough" and live["connectorGroup"] == "Default"
    assert r.converge(props(graph_sim)) is False
    writes = {k: v for k, v in graph_sim.stats().items() if not k.startswith("GET") and v != before.get(k)}
    assert writes == {}

    # update: host header translation off
    assert r.converge(props(graph_sim, translateHostHeader=False)) is True
    assert graph_sim.state()["applications"][r.id]["onPremisesPublishing"]["isTranslateHostHeaderEnabled"] is False

    r.delete()
    state = graph_sim.state()
    assert r.id not in state["applications"]
    assert outs["servicePrincipalId"] not in state["servicePrincipals"]
    r.delete()  # gone already: fine


def test_edit_in_simulator_shows_in_read(graph_sim):
    r = Managed(AppProxyApplicationProvider())
    r.create(props(graph_sim))
    graph_sim.admin("/edit", {"collection": "applications", "id": r.id,
                              "set": {"onPremisesPublishing": {"externalAuthenticationType": "aadPreAuthentication",
                                                               "internalUrl": "https://ndes2.lab.contoso.test/"}}})
    live = r.refresh()
    assert live["preAuthentication"] == "aadPreAuthentication"
    assert live["internalUrl"] == "https://ndes2.lab.contoso.test/"
    assert set(r.drift(props(graph_sim))) == {"preAuthentication", "internalUrl"}
    assert r.converge(props(graph_sim)) is True
    assert r.refresh()["preAuthentication"] == "passthrough"


def test_adopt_by_display_name(graph_sim):
    first = Managed(AppProxyApplicationProvider())
    first.create(props(graph_sim, owner="someone/else/x"))
    second = Managed(AppProxyApplicationProvider())
    with pytest.raises(AlreadyExists, match="adopt"):
        second.create(props(graph_sim))
    second.create(props(graph_sim, adopt=True))
    assert second.id == first.id
    assert len(apps_named(graph_sim, "NDES ndes1")) == 1


def test_unknown_connector_group_names_the_config_key_and_creates_nothing(graph_sim):
    r = Managed(AppProxyApplicationProvider())
    with pytest.raises(BadRequest) as exc:
        r.create(props(graph_sim, connectorGroup="NDES connectors"))
    assert "ndes:appProxy.connectorGroup" in str(exc.value) and "Default" in str(exc.value)
    assert graph_sim.state()["applications"] == {}


def test_instantiate_error_after_create_leaves_one_application(graph_sim):
    graph_sim.admin("/fail-after-create", {"count": 1, "status": 500})
    graph_sim.admin("/replication", {"requests": 2})
    r = Managed(AppProxyApplicationProvider())
    r.create(props(graph_sim))
    apps = apps_named(graph_sim, "NDES ndes1")
    assert len(apps) == 1 and apps[0]["id"] == r.id
    assert apps[0]["onPremisesPublishing"]["isOnPremPublishingEnabled"] is True
    assert graph_sim.stats().get("POST /v1.0/applicationTemplates/{id}/instantiate") == 1
