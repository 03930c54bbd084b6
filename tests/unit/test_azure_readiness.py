"""The Azure NDES host's readiness step (the join's restart), its preview-time refusals (Key Vault, OS disk),
zones, and the settings Azure would otherwise choose (Trusted Launch, patch mode, boot diagnostics)."""
from __future__ import annotations

import copy

import pulumi
import pytest

from ndes.model import ConfigError, load_config
from ndes.providers.host_ready import HostReadyProvider
from ndes.windows import Endpoint, OperationTimeout, TlsFailure, Unreachable
from ndes.windows.readiness import wait_for_domain_identity

from .azure_doubles import JOINED, FakeClock, ScriptedHost, join_restart_script, restarting_vm  # noqa: F401
from .test_azure_host import (AZURE, SUB, VAULT, VAULT_READ, Mocks, build, config_keys, raw_with_azure, settled,
                              unwrap_all)

EP = Endpoint(host="ndes01.contoso.com", url="https://ndes01.contoso.com:5986/wsman", username="CONTOSO\\pulumi-ndes",
              password="x")
OTHER_SUB = "00000000-0000-4000-8000-0000000000b2"


def wait(script, **kw):
    clock = FakeClock()
    host = ScriptedHost(EP, script)
    lines: list[str] = []
    kw.setdefault("poll", 10)
    ready = wait_for_domain_identity(host, "ndes01.contoso.com", "contoso.com", clock=clock.now, sleep=clock.sleep,
                                     progress=lines.append, **kw)
    return ready, host, lines, clock


# ---- the waiter (client layer) --------------------------------------------------------------------------------

def test_an_answer_just_before_the_restart_is_not_a_handover():
    ready, host, lines, clock = wait(join_restart_script())
    assert ready.state.boot_id == "boot-2" and ready.restarts_seen == 1
    assert len(host.seen) == 6  # 401, one answer in boot-1, refused, dropped, two answers in boot-2
    assert clock.t == 50
    assert any("not a domain" in ln or "401" in ln for ln in lines) and any("refused" in ln for ln in lines)
    assert "2 of 2 in a row" in lines[-1]


def test_one_read_is_enough_only_when_asked():
    ready, host, _, _ = wait(join_restart_script(), stable_reads=1)
    assert ready.state.boot_id == "boot-1" and len(host.seen) == 2


@pytest.mark.parametrize("answer,why", [
    ({**JOINED, "partOfDomain": False, "domain": "WORKGROUP"}, "not a domain member yet (workgroup 'WORKGROUP')"),
    ({**JOINED, "domain": "fabrikam.com"}, "a member of 'fabrikam.com'"),
    ({**JOINED, "user": "NDES01\\ndesadmin"}, "a local account"),
    ({**JOINED, "dnsHostName": "ndes99"}, "calls itself ndes99.contoso.com"),
])
def test_a_host_that_is_not_the_joined_one_is_never_ready(answer, why):
    with pytest.raises(OperationTimeout) as exc:
        wait([answer], timeout=60)
    assert "ndes01.contoso.com was not ready within 60 s" in str(exc.value) and why in str(exc.value)


def test_the_wait_is_bounded_and_says_what_it_last_saw():
    with pytest.raises(OperationTimeout) as exc:
        wait([Unreachable("connection refused", host="ndes01.contoso.com")], timeout=120, poll=15)
    assert "within 120 s" in str(exc.value) and "connection refused" in str(exc.value)


def test_a_tls_failure_is_not_waited_through():
    with pytest.raises(TlsFailure):
        wait([TlsFailure("certificate verify failed", host="ndes01.contoso.com"), JOINED, JOINED])


def test_progress_is_a_line_per_change_not_per_poll():
    refused = Unreachable("connection refused", host="ndes01.contoso.com")
    _, _, lines, _ = wait([refused] * 5 + [JOINED])
    assert sum("refused" in ln for ln in lines) == 1


# ---- the provider ---------------------------------------------------------------------------------------------

def provider_props(**extra):
    return {"endpoint": {"host": EP.host, "url": EP.url, "username": EP.username, "password": "x"},
            "fqdn": "ndes01.contoso.com", "domain": "contoso.com", "vmInstance": "ndes01|a", "pollSeconds": 1,
            **extra}


def test_provider_hands_over_fqdn_and_url_after_the_restart(restarting_vm):
    made = HostReadyProvider().create(provider_props())
    assert made.outs["winrmUrl"] == EP.url and made.outs["fqdn"] == "ndes01.contoso.com"
    assert made.outs["bootId"] == "boot-2" and "1 restart(s) seen" in made.outs["notes"][0]
    assert len(restarting_vm[0].seen) == 6


def test_provider_timeout_names_the_config_key(monkeypatch):
    import functools

    from ndes.providers import host_ready
    from ndes.windows import readiness
    clock = FakeClock()
    monkeypatch.setattr(host_ready, "host_of", lambda inp: ScriptedHost(EP, [Unreachable("refused", host=EP.host)]))
    monkeypatch.setattr(host_ready, "wait_for_domain_identity", functools.partial(
        readiness.wait_for_domain_identity, clock=clock.now, sleep=clock.sleep))
    with pytest.raises(OperationTimeout) as exc:
        HostReadyProvider().create(provider_props(configKey="ndes:ndesHosts[0].azure", timeoutSeconds=60))
    assert "ndes:ndesHosts[0].azure" in str(exc.value) and "managementCidr" in str(exc.value)
    assert "x" != str(exc.value) and "password" not in str(exc.value).lower()


def test_a_rebuilt_vm_replaces_the_readiness_step():
    p = HostReadyProvider()
    olds = {**provider_props(), "winrmUrl": EP.url}
    assert p.diff("id", olds, provider_props()).changes is False
    d = p.diff("id", olds, provider_props(vmInstance="ndes01|b"))
    assert d.replaces == ["vmInstance"]


def test_how_long_to_wait_is_no_update():
    """A changed timeout is no update: an updated HostReady would make the Windows plane's endpoint unknown at
    preview, and every Windows resource would show a change the up does not make."""
    p = HostReadyProvider()
    olds = {**provider_props(), "winrmUrl": EP.url}
    assert p.diff("id", olds, provider_props(timeoutSeconds=3600, pollSeconds=5, stableReads=3)).changes is False
    assert p.diff("id", olds, provider_props(domain="fabrikam.com")).replaces == ["domain"]


# ---- under mocks: the first up, end to end ----------------------------------------------------------------------

@pulumi.runtime.test
def test_first_up_waits_for_the_joined_vm_before_the_windows_plane(restarting_vm):
    mocks = Mocks(stack_config=raw_with_azure())
    pulumi.runtime.set_mocks(mocks, project="ndes", stack="unit", preview=False)
    from ndes.components.deployment import NdesScepDeployment
    d = NdesScepDeployment("ndes", load_config(raw_with_azure()))

    def check(_):
        types = [r.typ for r in mocks.resources]
        ready = next(i for i, t in enumerate(types) if t.endswith("ndes:HostReady"))
        ext = types.index("azure-native:compute:VirtualMachineExtension")
        windows = [i for i, t in enumerate(types) if t.endswith(("ndes:WindowsFeatures", "ndes:LocalGroupMember",
                                                                   "ndes:NdesRole"))]
        assert ext < ready < min(windows)  # the Windows plane registers only once the host was ready
        inputs = unwrap_all(mocks.resources[ready].inputs)
        assert (inputs["fqdn"], inputs["domain"]) == ("ndes01.contoso.com", "contoso.com")
        assert inputs["connection"]["ref"] == "winrm:ndes01.contoso.com"  # the Windows plane's own connection
        assert restarting_vm[0].endpoint.username == "CONTOSO\\pulumi"  # resolved from the stack config
        assert len(restarting_vm) == 1 and len(restarting_vm[0].seen) == 6  # it met the restart
        feats = unwrap_all(mocks.resources[windows[0]].inputs)
        assert feats["connection"]["url"] == "https://ndes01.contoso.com:5986/wsman"
    return pulumi.Output.all(*[r.urn for rs in d.chain.resources.values() for r in rs]).apply(check)


def test_a_renewed_winrm_certificate_rebuilds_the_vm_and_waits_again():
    from ndes.components.azure_host import vm_rebuild_key
    renewed = AZURE["winrmCertificateUrl"].rsplit("/", 1)[0] + "/0123456789abcdef0123456789abcdef"
    a = load_config(raw_with_azure()).ndes_hosts[0].azure
    b = load_config(raw_with_azure(winrmCertificateUrl=renewed)).ndes_hosts[0].azure
    c = load_config(raw_with_azure(vmSize="Standard_D8s_v5")).ndes_hosts[0].azure
    assert vm_rebuild_key("ndes01", "ndes01", a, "1") != vm_rebuild_key("ndes01", "ndes01", b, "1")
    assert vm_rebuild_key("ndes01", "ndes01", a, "1") != vm_rebuild_key("ndes01", "ndes01", a, "2")
    assert vm_rebuild_key("ndes01", "ndes01", a, "1") == vm_rebuild_key("ndes01", "ndes01", c, "1")  # resized in place


@pulumi.runtime.test
def test_the_join_and_the_readiness_step_carry_the_rebuild_key():
    mocks, host = build(raw_with_azure())

    def check(_):
        ready = unwrap_all(mocks.of_type("pulumi-python:dynamic/ndes:HostReady")[0].inputs)
        assert AZURE["winrmCertificateUrl"] in ready["vmInstance"]  # HostReady replaces on vmInstance
    return settled(host).apply(check)


# ---- preview-time refusals ---------------------------------------------------------------------------------------

def preview_with_vault(vault: dict) -> str:
    """The error a preview stops with (the SDK wraps the ConfigError raised while it resolves the VM's inputs
    into a ValueError that carries its text: what the engine prints)."""
    @pulumi.runtime.test
    def run():
        mocks = Mocks(vault=vault)
        pulumi.runtime.set_mocks(mocks, project="ndes", stack="unit", preview=True)
        from ndes.components.azure_host import AzureNdesHost
        host = AzureNdesHost("ndes01", load_config(raw_with_azure()), 0)
        return host.vm.urn
    with pytest.raises(ValueError) as exc:  # ConfigError is a ValueError
        run()
    return str(exc.value)


def test_preview_refuses_a_key_vault_in_another_region():
    err = preview_with_vault({**VAULT_READ, "location": "North Europe"})
    assert "ndes:ndesHosts[0].azure.keyVaultId: the Key Vault is in northeurope, the VM in westeurope" in err
    assert "Fix: use a vault in westeurope" in err


def test_preview_refuses_a_key_vault_not_enabled_for_deployment():
    err = preview_with_vault({**VAULT_READ, "properties": {**VAULT_READ["properties"], "enabledForDeployment": False}})
    assert "ndes:ndesHosts[0].azure.keyVaultId: the Key Vault has enabledForDeployment off" in err


@pulumi.runtime.test
def test_preview_reads_the_vault_of_key_vault_id_with_the_hosts_provider():
    mocks = Mocks()
    pulumi.runtime.set_mocks(mocks, project="ndes", stack="unit", preview=True)
    from ndes.components.azure_host import AzureNdesHost
    host = AzureNdesHost("ndes01", load_config(raw_with_azure(subscriptionId=SUB)), 0)

    def check(_):
        reads = [c for c in mocks.calls if c.token == "azure-native:keyvault:getVault"]
        assert len(reads) == 1 and dict(reads[0].args) == {"resourceGroupName": "rg-kv", "vaultName": "kv-ndes"}
        assert "ndes01-azure" in (reads[0].provider or "")
    return host.vm.urn.apply(check)


@pytest.mark.parametrize("disk", ["PremiumV2_LRS", "UltraSSD_LRS"])
def test_an_os_disk_azure_refuses_is_refused_with_the_key(disk):
    with pytest.raises(ConfigError) as exc:
        load_config(raw_with_azure(osDiskType=disk))
    assert exc.value.keys == ["ndes:ndesHosts[0].azure.osDiskType"]
    assert "as an OS disk" in str(exc.value) and "Premium_LRS" in str(exc.value)


def test_a_key_vault_in_another_subscription_is_refused_with_the_key():
    other = VAULT.replace(SUB, OTHER_SUB)
    cert = AZURE["winrmCertificateUrl"]
    assert config_keys(raw_with_azure(keyVaultId=other, winrmCertificateUrl=cert)) == \
        ["ndes:ndesHosts[0].azure.keyVaultId"]
    with pytest.raises(ConfigError) as exc:
        load_config(raw_with_azure(subscriptionId=OTHER_SUB))
    assert "ndes:ndesHosts[0].azure.keyVaultId" in exc.value.keys and "subscriptionId" in str(exc.value)
    assert "ndes:ndesHosts[0].azure.subnetId" in exc.value.keys


@pytest.mark.parametrize("change,key", [
    ({"domainJoin": {"user": "CONTOSO\\j", "password": "J0in-Pa55word!y", "restart": False}},
     "ndes:ndesHosts[0].azure.domainJoin.restart"),
    ({"patchMode": "AutomaticByOS", "hotpatching": True}, "ndes:ndesHosts[0].azure.hotpatching"),
    ({"zone": "4"}, "ndes:ndesHosts[0].azure.zone"),
])
def test_settings_that_cannot_work_are_refused(change, key):
    assert key in config_keys(raw_with_azure(**change))


# ---- zones and the explicit settings ------------------------------------------------------------------------------

def two_azure_hosts(**second) -> dict:
    raw = raw_with_azure()
    h2 = copy.deepcopy(raw["ndesHosts"][0])
    h2["fqdn"], h2["externalUrl"] = "ndes02.contoso.com", "https://ndes02-contoso.msappproxy.net/"
    h2["azure"].update(second)
    raw["ndesHosts"].append(h2)
    return raw


def test_two_hosts_default_to_different_zones_and_a_named_zone_wins():
    from ndes.model.azure import vm_zones
    assert vm_zones(load_config(two_azure_hosts())) == {0: "1", 1: "2"}
    raw = two_azure_hosts()
    raw["ndesHosts"][0]["azure"]["zone"] = "2"
    assert vm_zones(load_config(raw)) == {0: "2", 1: "1"}
    assert vm_zones(load_config(two_azure_hosts(zone="none"))) == {0: "1", 1: None}
    assert vm_zones(load_config(two_azure_hosts(location="northeurope"))) == {0: "1", 1: "1"}  # other region


def test_two_hosts_named_into_one_zone_are_refused():
    raw = two_azure_hosts(zone="3")
    raw["ndesHosts"][0]["azure"]["zone"] = "3"
    assert config_keys(raw) == ["ndes:ndesHosts[1].azure.zone"]


@pulumi.runtime.test
def test_vm_sets_zone_trusted_launch_patching_and_boot_diagnostics():
    mocks, host = build(raw_with_azure(zone="2"))

    def check(_):
        vm = mocks.one("azure-native:compute:VirtualMachine")
        assert vm["zones"] == ["2"]
        assert vm["securityProfile"] == {"securityType": "TrustedLaunch",
                                         "uefiSettings": {"secureBootEnabled": True, "vTpmEnabled": True}}
        win = vm["osProfile"]["windowsConfiguration"]
        assert win["enableAutomaticUpdates"] is True and win["provisionVMAgent"] is True
        assert win["patchSettings"] == {"patchMode": "AutomaticByPlatform", "enableHotpatching": False,
                                        "assessmentMode": "AutomaticByPlatform"}
        assert vm["diagnosticsProfile"] == {"bootDiagnostics": {"enabled": True}}
    return settled(host).apply(check)


@pulumi.runtime.test
def test_manual_patching_turns_automatic_updates_off():
    mocks, host = build(raw_with_azure(patchMode="Manual", trustedLaunch=False))

    def check(_):
        vm = mocks.one("azure-native:compute:VirtualMachine")
        win = vm["osProfile"]["windowsConfiguration"]
        assert win["enableAutomaticUpdates"] is False and win["patchSettings"]["patchMode"] == "Manual"
        assert "securityProfile" not in vm
    return settled(host).apply(check)


@pulumi.runtime.test
def test_the_windows_plane_of_an_azure_host_is_replaced_with_its_vm(restarting_vm):
    """Every Windows resource of the Azure host carries the VM's rebuild key as its replacement trigger (a
    rebuilt VM is configured again in the same up); the directory plane's resources do not."""
    seen: dict[str, object] = {}

    def spy(args: pulumi.ResourceTransformationArgs):  # the outermost transformation: sees the others' result
        if isinstance(args.resource, pulumi.CustomResource):
            seen[args.type_] = args.opts.replacement_trigger if args.opts else None
        return None
    mocks = Mocks()
    pulumi.runtime.set_mocks(mocks, project="ndes", stack="unit", preview=False)
    from ndes.components.deployment import NdesScepDeployment
    d = NdesScepDeployment("ndes", load_config(raw_with_azure()), opts=pulumi.ResourceOptions(transformations=[spy]))
    key = d.chain.outputs["azureHosts"]["ndes01.contoso.com"]["rebuildKey"]

    def check(_):
        windows = {t: v for t, v in seen.items() if t.rsplit(":", 1)[-1] in (
            "WindowsFeatures", "LocalGroupMember", "NdesRole", "MachineCertificate", "IisHttpsBinding",
            "IntuneConnector")}
        assert len(windows) == 6 and set(windows.values()) == {key}
        assert seen["pulumi-python:dynamic/ndes:CertificateTemplate"] is None
        assert AZURE["winrmCertificateUrl"] in key
    return pulumi.Output.all(*[r.urn for rs in d.chain.resources.values() for r in rs]).apply(check)


@pytest.mark.parametrize("protect", [True, False])
def test_ndes_protect_guards_the_vm(protect):
    seen: dict[str, object] = {}

    def spy(args: pulumi.ResourceTransformationArgs):
        if args.type_ == "azure-native:compute:VirtualMachine":
            seen["protect"], seen["dbr"] = args.opts.protect, args.opts.delete_before_replace
            seen["replace"] = args.opts.replace_on_changes
        return None

    @pulumi.runtime.test
    def run():
        pulumi.runtime.set_mocks(Mocks(), project="ndes", stack="unit", preview=False)
        from ndes.components.azure_host import AzureNdesHost
        raw = raw_with_azure()
        raw["protect"] = protect
        host = AzureNdesHost("ndes01", load_config(raw), 0, opts=pulumi.ResourceOptions(transformations=[spy]))
        return settled(host)
    run()
    assert seen["protect"] is protect and seen["dbr"] is True
    assert "osProfile.windowsConfiguration.winRM" in seen["replace"]
