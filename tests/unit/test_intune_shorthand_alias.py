"""A stack moving from the intune.scep shorthand to intune.scepProfiles keeps its SCEP profiles: the first named
profile answers to the shorthand's URNs (an alias), so `pulumi up` renames them instead of deleting and
re-creating them (issue 20: 'a rename needs an alias').

The lab stack made that move itself: Pulumi.lab.yaml declares a VPN user profile and a Wi-Fi device profile, and a
lab deployed with the shorthand (intune.scep with the VPN profile's include groups) keeps its profiles."""
from __future__ import annotations

import pulumi
import yaml

from . import stack_urns as su


def _registered(stack_file):
    from ndes.components.deployment import NdesScepDeployment
    from ndes.program import secret_outputs

    cfg = su.lab_config(stack_file)
    monitor = su._Monitor(su._Echo())
    pulumi.runtime.set_mocks(monitor.mocks, project=su.PROJECT, stack=su.STACK, preview=False, monitor=monitor)

    @pulumi.runtime.test
    def run():
        return NdesScepDeployment("ndes", cfg, secret_outputs(cfg)).urn

    run()
    return dict(monitor.registered)


def test_the_lab_stacks_first_named_profile_answers_to_the_shorthands_urns(tmp_path):
    doc = yaml.safe_load((su.ROOT / "Pulumi.lab.yaml").read_text())
    intune = doc["config"]["ndes:intune"]
    vpn, wifi = intune["scepProfiles"]
    assert vpn["name"] == "VPN user" and wifi["certificateStore"] == "machine"
    # the lab stack as it was before the move: the shorthand, assigned to the VPN profile's groups
    shorthand = {**doc, "config": {**doc["config"], "ndes:intune": {
        k: v for k, v in intune.items() if k != "scepProfiles"} | {"scep": {"groups": vpn["assignments"]["include"]}}}}
    old_file = tmp_path / "Pulumi.lab.yaml"
    old_file.write_text(yaml.safe_dump(shorthand))
    old_scep = [u for u in _registered(old_file) if "ndes:ScepProfile::" in u]
    assert sorted(u.rsplit("::", 1)[1] for u in old_scep) == sorted(
        f"intune-{p}-scep" for p in intune["platforms"])

    registered = _registered(su.ROOT / "Pulumi.lab.yaml")
    answered = set(registered)
    for res in registered.values():
        answered |= su.alias_urns(res, registered)
    assert old_scep and all(u not in registered for u in old_scep)  # renamed ...
    assert [u for u in old_scep if u not in answered] == []         # ... and answered through the alias
    wifi_urns = [u for u in registered if "intune-wifi-device-" in u]
    assert sorted(u.rsplit("::", 1)[1] for u in wifi_urns) == sorted(
        f"intune-wifi-device-{p}-scep" for p in wifi["platforms"])
    assert not any(su.alias_urns(registered[u], registered) & set(old_scep) for u in wifi_urns)
