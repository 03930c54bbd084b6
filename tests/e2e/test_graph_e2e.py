"""The Graph planes with the real Pulumi CLI against the Graph simulator: a throw-away program that builds only
AppProxy + Intune from the lab stack's configuration (CA certificates from lab.pki).

up creates the App Proxy application and the profiles of every platform; a second up changes nothing; refresh
shows an edit made in the simulator; destroy removes everything, SCEP profiles before their trusted roots (the
simulator refuses to delete a root a SCEP profile still links).
"""
from __future__ import annotations

import base64
import json
import textwrap
from pathlib import Path

import pytest
import yaml

from lab.graph_sim.server import client_secret
from lab.pki import ca_bundle_path, ensure_ca, ensure_enterprise_ca
from ndes.model.graph_enums import PLATFORMS
from tests.e2e.pulumi_cli import REPO_ROOT, PulumiCLI
from tests.graph.conftest import graph_sim, graph_sim_server  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

PROGRAM = textwrap.dedent('''
    import json

    import pulumi

    from ndes.components.app_proxy import AppProxy
    from ndes.components.intune import Intune
    from ndes.program import load_stack_config, secret_outputs

    cfg = load_stack_config()
    secrets = secret_outputs(cfg)
    app_proxy = AppProxy("app-proxy", cfg, secrets)
    certs = json.loads(pulumi.Config("e2e").require("caCertificates"))
    intune = Intune("intune", cfg, secrets, certs, pulumi.ResourceOptions(depends_on=app_proxy.resources))
    pulumi.export("appProxy", app_proxy.outputs)
    pulumi.export("intune", intune.outputs)
''')


def _der_b64(pem: Path) -> str:
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding
    return base64.b64encode(x509.load_pem_x509_certificate(pem.read_bytes()).public_bytes(Encoding.DER)).decode()


def lab_config(graph_url: str) -> dict:
    """Pulumi.lab.yaml's config with file paths made absolute (the program runs in a temporary folder), pointed
    at the test session's simulator instance."""
    config = yaml.safe_load((REPO_ROOT / "Pulumi.lab.yaml").read_text())["config"]
    config["ndes:graph"]["graphEndpoint"] = config["ndes:graph"]["authority"] = graph_url + "/"
    for key in ("ndes:domain", "ndes:winrm", "ndes:graph"):
        if config.get(key, {}).get("caBundle"):
            config[key]["caBundle"] = str(ca_bundle_path())
    root_pem, _ = ensure_ca()
    issuing_pem, _ = ensure_enterprise_ca()
    config["e2e:caCertificates"] = json.dumps({"root": _der_b64(root_pem), "issuing": _der_b64(issuing_pem)})
    return config


@pytest.fixture
def cli(tmp_path: Path, graph_sim) -> PulumiCLI:
    project = tmp_path / "project"
    project.mkdir()
    (project / "Pulumi.yaml").write_text(f"name: ndes\nruntime:\n  name: python\n  options:\n"
                                         f"    virtualenv: {REPO_ROOT / '.venv'}\n")
    (project / "__main__.py").write_text(PROGRAM)
    env = {"NDES_LAB_GRAPH_SECRET": client_secret(), "NDES_LAB_BIND_PASSWORD": "unused-Bind-1",
           "NDES_LAB_SPN_ADMIN_PASSWORD": "unused-Admin-1",
           "NDES_LAB_WINRM_PASSWORD": "unused-WinRM-1", "NDES_LAB_CA_WINRM_PASSWORD": "unused-WinRM-2",
           "NDES_LAB_SERVICE_PASSWORD": "unused-Svc-1!"}
    c = PulumiCLI(project, stack="graph", state_dir=tmp_path / "state", env=env)
    c.stack_init()
    stack_file = project / "Pulumi.graph.yaml"
    doc = yaml.safe_load(stack_file.read_text()) or {}
    doc["config"] = lab_config(graph_sim.url)
    stack_file.write_text(yaml.safe_dump(doc))
    return c


def by_type(cli: PulumiCLI, kind: str) -> list[dict]:
    return [r for r in cli.resources() if r["type"] == f"pulumi-python:dynamic/ndes:{kind}"]


def test_graph_planes_up_noop_refresh_destroy(cli: PulumiCLI, graph_sim):
    platforms = list(PLATFORMS)
    intune = lab_config(graph_sim.url)["ndes:intune"]  # a VPN user profile on every platform, a Wi-Fi device one
    wifi_platforms = intune["scepProfiles"][1]["platforms"]
    cli.up()
    st = graph_sim.state()
    apps = list(st["applications"].values())
    assert [a["displayName"] for a in apps] == ["NDES"]
    assert apps[0]["onPremisesPublishing"]["externalUrl"] == "https://ndes1-lab.msappproxy.net/"
    assert apps[0]["onPremisesPublishing"]["externalAuthenticationType"] == "passthru"
    types = sorted(p["@odata.type"] for p in st["deviceConfigurations"].values())
    expected = sorted([PLATFORMS[p].trusted_root_type for p in platforms]
                      + [PLATFORMS[p].trusted_root_type for p in ("androidWorkProfile", "androidDeviceOwner",
                                                                   "windows")]
                      + [PLATFORMS[p].scep_type for p in platforms]
                      + [PLATFORMS[p].scep_type for p in wifi_platforms])
    assert types == expected
    for pid, target in st["rootLinks"].items():
        assert st["deviceConfigurations"][target]["@odata.type"].endswith("TrustedRootCertificate")
    wifi_ids = {r["id"] for r in by_type(cli, "ScepProfile") if r["outputs"]["displayName"].startswith("NDES WiFi")}
    assert len(wifi_ids) == len(wifi_platforms)
    # the Wi-Fi profiles go to the lab group through their platform's filter, the others to the group itself
    assert all(groups == ([] if pid in wifi_ids else ["6f1c1e0a-1111-4a4a-9b9b-000000000001"])
               for pid, groups in st["assignments"].items())
    assert all(t["deviceAndAppManagementAssignmentFilterType"] == "include"
               for pid in wifi_ids for t in st["assignmentTargets"][pid])
    outputs = cli.outputs()
    assert set(outputs["intune"]["scepProfiles"]) == {f"vpn-user-{p}" for p in platforms} | {
        f"wifi-device-{p}" for p in wifi_platforms}
    # secrets stay secret in state
    state_text = json.dumps(cli.export())
    assert client_secret() not in state_text

    # a second up changes nothing
    second = cli.preview("--expect-no-changes", "--diff")
    assert second.returncode == 0
    again = cli.up()
    assert "created" not in again.stdout.split("Resources:")[-1] and "updated" not in again.stdout.split("Resources:")[-1]

    # an edit made behind pulumi's back shows in refresh, in the admin's words
    ios = next(r for r in by_type(cli, "ScepProfile") if r["urn"].endswith("::intune-vpn-user-ios-scep"))
    graph_sim.admin("/edit", {"collection": "deviceConfigurations", "id": ios["id"],
                              "set": {"keySize": "size4096", "certificateValidityPeriodValue": 2}})
    refreshed = cli.refresh()
    assert "1 updated" in refreshed.stdout or "~ 1" in refreshed.stdout, refreshed.stdout
    ios = next(r for r in by_type(cli, "ScepProfile") if r["urn"].endswith("::intune-vpn-user-ios-scep"))
    assert ios["outputs"]["keySize"] == 4096 and ios["outputs"]["validity"] == "2 years"
    drift = cli.preview("--diff", check=False)
    assert "keySize" in drift.stdout and "validity" in drift.stdout, drift.stdout
    cli.up()
    assert graph_sim.state()["deviceConfigurations"][ios["id"]]["keySize"] == "size2048"

    # destroy: everything goes, SCEP profiles before their roots
    cli.destroy()
    st = graph_sim.state()
    assert st["deviceConfigurations"] == {} and st["applications"] == {} and st["servicePrincipals"] == {}
    assert [r for r in cli.resources() if r["type"] != "pulumi:pulumi:Stack"] == []


def test_preview_refuses_an_external_url_of_another_tenant_and_names_the_right_one(cli: PulumiCLI, graph_sim):
    """Issue 15 item 1 through the real engine: the check runs at preview, against the tenant's initial domain,
    before anything exists (Graph would refuse the publish only after creating the application)."""
    stack_file = cli.project_dir / "Pulumi.graph.yaml"
    doc = yaml.safe_load(stack_file.read_text())
    doc["config"]["ndes:ndesHosts"][0]["externalUrl"] = "https://ndes1-contoso.msappproxy.net/"
    stack_file.write_text(yaml.safe_dump(doc))
    res = cli.preview(check=False)
    out = res.stdout + res.stderr
    assert res.returncode != 0
    assert "https://ndes1-lab.msappproxy.net/" in out and "ExternalUrl_InvalidAsciiRules" in out, out
    assert graph_sim.state()["applications"] == {}
