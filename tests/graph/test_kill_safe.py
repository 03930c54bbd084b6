"""Kill-safe creates (issue 15 item 5 and its "done when"): a create whose answer is lost, or whose process is
killed at any Graph write, converges on the rerun with exactly one application (and one service principal),
one profile per platform and kind, and one assignment set."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ndes.providers.app_proxy_application import AppProxyApplicationProvider
from ndes.providers.scep_profile import ScepProfileProvider
from ndes.providers.trusted_certificate_profile import TrustedCertificateProfileProvider

from .conftest import LAB_GROUP
from .engine import Managed
from .test_app_proxy_application import props as app_props
from .test_intune_profiles import root_props, scep_props

pytestmark = pytest.mark.slow
ROOT_DIR = Path(__file__).resolve().parents[2]
WRITES = ["POST", "PATCH", "PUT", "DELETE"]
PLATFORMS = ("ios", "macos")


def plan(sim, der, state: Path) -> dict:
    res = [{"name": "app", "kind": "app", "props": app_props(sim)}]
    for p in PLATFORMS:
        res.append({"name": f"{p}-root", "kind": "root", "props": root_props(sim, der, p)})
        res.append({"name": f"{p}-scep", "kind": "scep", "props": scep_props(sim, p, ""), "root": f"{p}-root"})
    return {"state": str(state), "resources": res}


def harness(plan_file: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT_DIR) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.Popen([sys.executable, "-m", "tests.graph.kill_harness", str(plan_file)], cwd=str(ROOT_DIR),
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def writes(sim) -> int:
    return sum(v for k, v in sim.stats().items() if k.split(" ", 1)[0] in WRITES)


def assert_converged(sim, der) -> None:
    st = sim.state()
    apps = list(st["applications"].values())
    assert [a["displayName"] for a in apps] == ["NDES ndes1"], apps
    app = apps[0]
    from ndes.providers import generation as gen
    from ndes.providers.graph_connection import split_mark
    assert gen.owner_of(split_mark(app["notes"])[1]) == "ndes/test/app-ndes1"  # with the create's generation
    assert app["onPremisesPublishing"]["externalUrl"] == "https://ndes1-lab.msappproxy.net/"
    sps = [s for s in st["servicePrincipals"].values() if s["appId"] == app["appId"]]
    assert len(st["servicePrincipals"]) == 1 and [s["displayName"] for s in sps] == ["NDES ndes1"]
    assert st["appConnectorGroup"][app["id"]] in st["connectorGroups"]
    profiles = st["deviceConfigurations"]
    kinds = sorted(p["@odata.type"] for p in profiles.values())
    want = sorted([f"#microsoft.graph.{t}" for p in PLATFORMS for t in
                   ({"ios": "iosTrustedRootCertificate", "macos": "macOSTrustedRootCertificate"}[p],
                    {"ios": "iosScepCertificateProfile", "macos": "macOSScepCertificateProfile"}[p])])
    assert kinds == want, kinds
    for pid in profiles:
        assert st["assignments"][pid] == [LAB_GROUP] and not st["assignmentTargets"].get(pid)
    for pid, obj in profiles.items():
        if "Scep" in obj["@odata.type"]:
            assert profiles[st["rootLinks"][pid]]["@odata.type"].startswith(obj["@odata.type"][:20])


def test_a_clean_run_converges(graph_sim, lab_ca_der, tmp_path):
    f = tmp_path / "plan.json"
    f.write_text(json.dumps(plan(graph_sim, lab_ca_der, tmp_path / "state.json")))
    p = harness(f)
    out = p.communicate(timeout=120)[0].decode()
    assert p.returncode == 0, out
    assert_converged(graph_sim, lab_ca_der)


def test_killed_at_every_graph_write_converges_on_the_rerun(graph_sim, lab_ca_der, tmp_path):
    # how many writes a whole run makes
    f = tmp_path / "plan.json"
    f.write_text(json.dumps(plan(graph_sim, lab_ca_der, tmp_path / "clean.json")))
    p = harness(f)
    assert p.wait(timeout=120) == 0
    total = writes(graph_sim)
    assert total >= 2 + 4 * len(PLATFORMS)
    for step in range(total):
        graph_sim.admin("/reset")
        state = tmp_path / f"state-{step}.json"
        f.write_text(json.dumps(plan(graph_sim, lab_ca_der, state)))
        graph_sim.admin("/lose-answer", {"skip": step, "count": 1, "methods": WRITES, "mode": "stall",
                                         "stallSeconds": 30})
        p = harness(f)
        deadline = time.monotonic() + 90
        while not (graph_sim.state()["knobs"]["loseAnswer"] or {}).get("stalled"):
            assert p.poll() is None, p.communicate()[0].decode()
            assert time.monotonic() < deadline, f"write {step + 1} never came"
            time.sleep(0.1)
        p.send_signal(signal.SIGKILL)  # killed while its write is done and the answer is on its way
        p.wait(timeout=10)
        graph_sim.admin("/lose-answer", None)
        rerun = harness(f)
        out = rerun.communicate(timeout=180)[0].decode()
        assert rerun.returncode == 0, f"rerun after a kill at write {step + 1}: {out}"
        assert_converged(graph_sim, lab_ca_der)


def test_lost_answer_of_a_profile_create_during_replication_lag_makes_one_profile(graph_sim, lab_ca_der):
    root = Managed(TrustedCertificateProfileProvider())
    graph_sim.admin("/lose-answer", {"count": 1, "methods": ["POST"], "pathContains": "deviceConfigurations",
                                     "mode": "drop"})
    graph_sim.admin("/replication", {"requests": 3})
    root.create(root_props(graph_sim, lab_ca_der, "ios"))
    graph_sim.admin("/replication", None)
    graph_sim.admin("/lose-answer", {"count": 1, "methods": ["POST"], "pathContains": "deviceConfigurations",
                                     "mode": "drop"})
    scep = Managed(ScepProfileProvider())
    scep.create(scep_props(graph_sim, "ios", root.id))
    st = graph_sim.state()
    assert sorted(st["deviceConfigurations"]) == sorted([root.id, scep.id])
    assert st["knobs"]["loseAnswer"]["lost"] == 1
    assert st["assignments"][root.id] == [LAB_GROUP] and st["assignments"][scep.id] == [LAB_GROUP]


def test_lost_answer_of_instantiate_makes_one_application(graph_sim):
    graph_sim.admin("/lose-answer", {"count": 1, "methods": ["POST"], "pathContains": "instantiate", "mode": "drop"})
    graph_sim.admin("/replication", {"requests": 2})
    r = Managed(AppProxyApplicationProvider())
    r.create(app_props(graph_sim))
    st = graph_sim.state()
    assert [a["displayName"] for a in st["applications"].values()] == ["NDES ndes1"]
    assert graph_sim.stats().get("POST /v1.0/applicationTemplates/{id}/instantiate") == 1


def test_an_application_left_unnamed_by_a_killed_run_is_taken_back(graph_sim):
    """The instantiate's name carries the owner mark: the next run finds it and converges it (before, it was
    refused as 'already exists' or a second application was made)."""
    from ndes.graph import app_proxy as ap
    r = Managed(AppProxyApplicationProvider())
    c = AppProxyApplicationProvider().parse(r.checked(app_props(graph_sim))).client()
    ap.instantiate(c, ap.provisional_name("NDES ndes1", "[managed by Pulumi: ndes/test/app-ndes1]"))
    r.create(app_props(graph_sim))
    apps = list(graph_sim.state()["applications"].values())
    assert [a["displayName"] for a in apps] == ["NDES ndes1"] and apps[0]["id"] == r.id
