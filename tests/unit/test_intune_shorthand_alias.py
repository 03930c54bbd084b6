"""A stack moving from the intune.scep shorthand to intune.scepProfiles keeps its SCEP profiles: the first named
profile answers to the shorthand's URNs (an alias), so `pulumi up` renames them instead of deleting and
re-creating them (issue 20: 'a rename needs an alias')."""
from __future__ import annotations

import pulumi
import yaml

from . import stack_urns as su
from .test_urn_stability import committed

LAB_GROUP = "6f1c1e0a-1111-4a4a-9b9b-000000000001"


def test_the_first_named_profile_answers_to_the_shorthands_urns(tmp_path):
    from ndes.components.deployment import NdesScepDeployment
    from ndes.program import secret_outputs

    doc = yaml.safe_load((su.ROOT / "Pulumi.lab.yaml").read_text())
    intune = doc["config"]["ndes:intune"]
    groups = intune.pop("scep")["groups"]
    intune["scepProfiles"] = [
        {"name": "VPN user", "groups": groups},
        {"name": "WiFi device", "platforms": ["ios", "windows"], "certificateStore": "machine",
         "subjectName": "CN={{AAD_Device_ID}}", "subjectAlternativeNames": [], "groups": groups}]
    stack = tmp_path / "Pulumi.lab.yaml"
    stack.write_text(yaml.safe_dump(doc))
    cfg = su.lab_config(stack)
    monitor = su._Monitor(su._Echo())
    pulumi.runtime.set_mocks(monitor.mocks, project=su.PROJECT, stack=su.STACK, preview=False, monitor=monitor)

    @pulumi.runtime.test
    def run():
        return NdesScepDeployment("ndes", cfg, secret_outputs(cfg)).urn

    run()
    registered = dict(monitor.registered)
    answered = set(registered)
    for res in registered.values():
        answered |= su.alias_urns(res, registered)
    old_scep = [u for u in committed() if "ndes:ScepProfile::" in u]
    assert old_scep and all(u not in registered for u in old_scep)  # renamed ...
    assert [u for u in old_scep if u not in answered] == []         # ... and answered through the alias
    wifi = [u for u in registered if "intune-wifi-device-" in u]
    assert sorted(u.rsplit("::", 1)[1] for u in wifi) == ["intune-wifi-device-ios-scep", "intune-wifi-device-windows-scep"]
    assert not any(su.alias_urns(registered[u], registered) & set(old_scep) for u in wifi)
