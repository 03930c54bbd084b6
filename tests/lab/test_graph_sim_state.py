"""The Graph simulator's tenant state: persisted to disk and reloaded, the replication knob, the seed."""
from __future__ import annotations

import time
import types

from lab.graph_sim import graph, state as state_module
from lab.graph_sim.state import DEFAULT_CONNECTOR_GROUP, State

BASE = "https://127.0.0.20"


def req(method, path, body=None, query=None):
    return graph.Request(method, path, query or {}, body, BASE)


def test_state_survives_a_restart(tmp_path):
    path = tmp_path / "state.json"
    s = State(path)
    r = graph.handle(s, req("POST", "/v1.0/applicationTemplates/8adf8e6e-67b2-4cf2-a259-e3dc5476c621/instantiate",
                            {"displayName": "NDES"}))
    assert r.status == 201
    s.save()
    again = State(path)
    assert [a["displayName"] for a in again.data["applications"].values()] == ["NDES"]
    assert again.data["connectorGroups"][DEFAULT_CONNECTOR_GROUP]["name"] == "Default"
    assert "6f1c1e0a-1111-4a4a-9b9b-000000000001" in again.data["groups"]


def test_replication_by_requests_and_seconds(tmp_path, monkeypatch):
    s = State(tmp_path / "state.json")
    s.data["knobs"]["replication"] = {"requests": 2}
    app = graph.handle(s, req("POST", "/v1.0/applicationTemplates/8adf8e6e-67b2-4cf2-a259-e3dc5476c621/instantiate",
                              {"displayName": "a"})).body["application"]
    path = f"/beta/applications/{app['id']}"
    statuses = []
    for _ in range(3):
        try:
            statuses.append(graph.handle(s, req("GET", path)).status)
        except graph.GraphFault as f:
            statuses.append(f.status)
    assert statuses == [404, 404, 200]
    clock = types.SimpleNamespace(now=time.time())  # the simulator's clock, moved by the test instead of slept
    monkeypatch.setattr(state_module, "time", types.SimpleNamespace(time=lambda: clock.now))
    s.data["knobs"]["replication"] = {"seconds": 0.3}
    app2 = graph.handle(s, req("POST", "/v1.0/applicationTemplates/8adf8e6e-67b2-4cf2-a259-e3dc5476c621/instantiate",
                               {"displayName": "b"})).body["application"]
    listed = graph.handle(s, req("GET", "/v1.0/applications", query={"$filter": "displayName eq 'b'"})).body["value"]
    assert listed == []
    clock.now += 0.29
    assert graph.handle(s, req("GET", "/v1.0/applications", query={"$filter": "displayName eq 'b'"})).body["value"] == []
    clock.now += 0.02
    listed = graph.handle(s, req("GET", "/v1.0/applications", query={"$filter": "displayName eq 'b'"})).body["value"]
    assert [a["id"] for a in listed] == [app2["id"]]


def test_unsupported_filter_is_refused(tmp_path):
    s = State(tmp_path / "state.json")
    try:
        graph.handle(s, req("GET", "/v1.0/applications", query={"$filter": "startswith(displayName,'a')"}))
    except graph.GraphFault as f:
        assert f.status == 400 and f.code == "Request_UnsupportedQuery"
    else:
        raise AssertionError("an unsupported $filter was accepted")
