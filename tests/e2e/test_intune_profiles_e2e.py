"""Issue 20 through the real Pulumi CLI against the Graph simulator: the lab stack's configuration with two named
SCEP profiles (a user VPN certificate and a device Wi-Fi certificate) on iOS, Android Enterprise and Windows, with an
exclusion and per-platform assignment filters. `up` creates them, a second `up` changes nothing, an exclusion an
admin adds by hand in the simulator shows as drift in `pulumi preview --refresh` and survives the next `up`, and
Intune's challenge for each profile resolves the subject and SANs of its certificate type.

The configuration is the committed Pulumi.lab.yaml's (its ndes:intune and templates), as the lab stack deploys it."""
from __future__ import annotations

import pytest
import yaml

from lab import enroll
from lab.graph_sim.state import LAB_FILTERS
from tests.e2e.pulumi_cli import PulumiCLI
from tests.e2e.test_graph_e2e import by_type, cli  # noqa: F401  (fixture)
from tests.graph.conftest import graph_sim, graph_sim_server  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

LAB_GROUP = "6f1c1e0a-1111-4a4a-9b9b-000000000001"
OTHER_GROUP = "6f1c1e0a-1111-4a4a-9b9b-000000000002"
BREAK_GLASS = "6f1c1e0a-1111-4a4a-9b9b-000000000003"
ALL = ("iOS/iPadOS", "macOS", "Android Enterprise work profile", "Android Enterprise fully managed",
       "Windows 10 and later")
WIFI = ("iOS/iPadOS", "Android Enterprise work profile", "Windows 10 and later")
FILTER = {p["platform"]: p["displayName"] for p in LAB_FILTERS.values()}


def test_two_profiles_up_noop_drift_and_challenges(cli: PulumiCLI, graph_sim, samba_dc):  # noqa: F811
    # samba_dc: a challenge for a user certificate carries the user's on-premises SID, read from the lab DC (lab.enroll)
    intune = yaml.safe_load((cli.project_dir / "Pulumi.graph.yaml").read_text())["config"]["ndes:intune"]
    assert [p["name"] for p in intune["scepProfiles"]] == ["VPN user", "WiFi device"]
    cli.up()
    st = graph_sim.state()
    sceps = {r["outputs"]["displayName"]: r for r in by_type(cli, "ScepProfile")}
    assert sorted(sceps) == sorted([f"NDES VPN user - {t}" for t in ALL] + [f"NDES WiFi device - {t}" for t in WIFI])
    vpn_win, wifi_win = sceps["NDES VPN user - Windows 10 and later"], sceps["NDES WiFi device - Windows 10 and later"]
    assert st["deviceConfigurations"][vpn_win["id"]]["certificateStore"] == "user"
    assert st["deviceConfigurations"][wifi_win["id"]]["certificateStore"] == "machine"
    assert st["deviceConfigurations"][wifi_win["id"]]["keyUsage"] == "digitalSignature"
    assert st["assignments"][vpn_win["id"]] == [LAB_GROUP]
    assert st["assignmentTargets"][vpn_win["id"]] == [
        {"@odata.type": "#microsoft.graph.exclusionGroupAssignmentTarget", "groupId": BREAK_GLASS}]
    wifi_targets = st["assignmentTargets"][wifi_win["id"]]
    assert [t["deviceAndAppManagementAssignmentFilterId"] for t in wifi_targets] == [
        next(k for k, v in LAB_FILTERS.items() if v["platform"] == "windows10AndLater")]
    assert wifi_win["outputs"]["groups"] == [f"{LAB_GROUP} filter:include:{FILTER['windows10AndLater']}"]

    # a second up changes nothing
    assert cli.preview("--expect-no-changes", "--diff").returncode == 0
    again = cli.up()
    tail = again.stdout.split("Resources:")[-1]
    assert "created" not in tail and "updated" not in tail, again.stdout

    # an admin excludes a group by hand on the Wi-Fi profile: drift on preview --refresh, kept by the next up
    hand = {"@odata.type": "#microsoft.graph.exclusionGroupAssignmentTarget", "groupId": OTHER_GROUP}
    graph_sim.admin("/edit", {"collection": "deviceConfigurations", "id": wifi_win["id"],
                              "targets": [*wifi_targets, hand]})
    drift = cli.preview("--refresh", "--diff", check=False)
    assert drift.returncode == 0, drift.stdout + drift.stderr
    assert f"exclude:{OTHER_GROUP}" in drift.stdout and "intune-wifi-device-windows-scep" in drift.stdout, drift.stdout
    cli.up("--refresh")
    assert hand in graph_sim.state()["assignmentTargets"][wifi_win["id"]]  # never dropped: keepUnmanaged

    # Intune's challenge for each certificate type resolves its own variables
    device = {"upn": "alice@lab.contoso.test", "deviceName": "LAB-PC-01",
              "aadDeviceId": "0f0e0d0c-0000-4000-8000-0000000000aa"}
    user = enroll.challenge(graph_sim.url, vpn_win["id"], device)
    assert user["subject"] == "CN=alice@lab.contoso.test"
    # the UPN, and (strong mapping, on by default for a user certificate with client authentication on Windows)
    # the user's SID as Intune writes it (KB5014754)
    assert user["subjectAlternativeNames"][0] == {"type": "upn", "value": "alice@lab.contoso.test"}
    assert [s["type"] for s in user["subjectAlternativeNames"][1:]] == ["uri"]
    assert user["subjectAlternativeNames"][1]["value"].startswith("tag:microsoft.com,2022-09-14:sid:S-1-5-21-")
    dev = enroll.challenge(graph_sim.url, wifi_win["id"], device)
    assert dev["subject"] == "CN=0f0e0d0c-0000-4000-8000-0000000000aa"
    assert [s["value"] for s in dev["subjectAlternativeNames"]] == ["LAB-PC-01"]
    cli.destroy()
    assert graph_sim.state()["deviceConfigurations"] == {}


def test_moving_from_the_shorthand_to_the_two_profiles_keeps_the_profiles(cli: PulumiCLI, graph_sim):  # noqa: F811
    """A stack deployed with the intune.scep shorthand (as the lab stack was) moves to the two-profile form: the
    engine renames the shorthand's SCEP profiles to the VPN profile's (the alias), updates them in place (their new
    display names, the exclusion), creates the Wi-Fi profiles, and deletes nothing."""
    stack_file = cli.project_dir / "Pulumi.graph.yaml"
    doc = yaml.safe_load(stack_file.read_text())
    intune = doc["config"]["ndes:intune"]
    vpn = intune["scepProfiles"][0]
    doc["config"]["ndes:intune"] = {**{k: v for k, v in intune.items() if k != "scepProfiles"},
                                    "scep": {"groups": vpn["assignments"]["include"]}}
    stack_file.write_text(yaml.safe_dump(doc))
    cli.up()
    before = {r["outputs"]["platform"]: r["id"] for r in by_type(cli, "ScepProfile")}
    assert len(before) == len(ALL)

    doc["config"]["ndes:intune"] = intune
    stack_file.write_text(yaml.safe_dump(doc))
    out = cli.up().stdout
    tail = out.split("Resources:")[-1]
    assert "deleted" not in tail and "replaced" not in tail, out
    after = {r["urn"].rsplit("::", 1)[1]: r for r in by_type(cli, "ScepProfile")}
    assert {p: after[f"intune-vpn-user-{p}-scep"]["id"] for p in before} == before  # the same Intune objects
    st = graph_sim.state()
    assert sorted(st["deviceConfigurations"][pid]["displayName"] for pid in before.values()) == sorted(
        f"NDES VPN user - {t}" for t in ALL)
    assert all(st["assignmentTargets"][pid] == [{"@odata.type": "#microsoft.graph.exclusionGroupAssignmentTarget",
                                                 "groupId": BREAK_GLASS}] for pid in before.values())
    assert len([u for u in after if u.startswith("intune-wifi-device-")]) == len(WIFI)
    cli.destroy()
