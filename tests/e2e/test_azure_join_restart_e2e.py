"""The restart after a domain join, with the real Pulumi CLI against a PRIVATE WinRM simulator.

The simulator's `joinRestart` knob plays what Azure's JsonADDomainExtension does after it reports success: the
host restarts right after it first answers (refuses connections, drops the open one, comes back in a new boot
with the domain identity). A first `pulumi up` of a program that puts the readiness step (HostReady, as
AzureNdesHost does) between the host and the Windows plane converges without a rerun, and a preview after it
shows no change. The same program without the readiness step fails its first up: the defect this guards.
"""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from lab import pki, topology
from lab.secrets import lab_secret
from lab.winrm_sim import hostmodel
from lab.winrm_sim.control import Instance
from ndes.providers.registry_values import HTTP_SYS_PARAMETERS as HTTP_SYS
from tests.e2e.pulumi_cli import REPO_ROOT, PulumiCLI, PulumiError

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

NDES1 = topology.NDES_HOSTS[0]["name"]

PROGRAM = textwrap.dedent('''
    import os
    from pathlib import Path

    import pulumi

    from ndes.components.azure_host import rebuilt_with
    from ndes.providers.resources import HostReady
    from ndes.providers.registry_values import HTTP_SYS_PARAMETERS
    from ndes.providers.resources import RegistryValues
    from ndes.providers.resources import WindowsFeatures

    cfg = pulumi.Config("e2e")
    host, url = cfg.require("host"), cfg.require("url")

    def endpoint(u):
        return pulumi.Output.secret({"host": host, "url": u, "username": cfg.require("user"),
                                     "password": os.environ["NDES_LAB_WINRM_PASSWORD"],
                                     "caBundlePem": Path(os.environ["NDES_LAB_CA_BUNDLE"]).read_text(),
                                     "operationTimeout": 60})

    vm = cfg.get("vm") or "vm-1"  # the VM's rebuild key: a new one stands for a rebuilt VM (AzureNdesHost)
    after = []
    if cfg.require_bool("ready"):
        ready = HostReady("ready", {"endpoint": endpoint(url), "owner": "e2e/ready", "configKey": "e2e:ready",
                                    "fqdn": host, "domain": cfg.require("domain"), "vmInstance": vm,
                                    "timeoutSeconds": 120, "pollSeconds": 1, "stableReads": 2})
        url, after = ready.winrmUrl, [ready]
        pulumi.export("waitedSeconds", ready.waitedSeconds)
        pulumi.export("notes", ready.notes)


    class Plane(pulumi.ComponentResource):  # the Windows plane of an Azure host, as the deployment wires it
        def __init__(self):
            super().__init__("e2e:index:Plane", "plane", None, pulumi.ResourceOptions(
                depends_on=after, transformations=[rebuilt_with(vm)]))
            child = pulumi.ResourceOptions(parent=self)
            self.features = WindowsFeatures("features", {"endpoint": endpoint(url), "owner": "e2e/features",
                                                         "configKey": "e2e", "features": ["Web-Server"]}, child)
            RegistryValues("http-sys", {"endpoint": endpoint(url), "owner": "e2e/http-sys", "configKey": "e2e",
                                        "values": [{"path": HTTP_SYS_PARAMETERS, "name": "MaxFieldLength",
                                                    "type": "DWord", "value": 65534}]},
                           pulumi.ResourceOptions(parent=self, depends_on=[self.features]))
            self.register_outputs({})


    pulumi.export("features", Plane().features.id)
''')


@pytest.fixture(scope="module")
def private_sim(tmp_path_factory):
    inst = Instance.private(tmp_path_factory.mktemp("winrm-sim-join"))
    inst.up()
    try:
        yield inst
    finally:
        inst.down()


def stack(tmp: Path, sim, ready: bool) -> PulumiCLI:
    project = tmp / "project"
    project.mkdir()
    (project / "Pulumi.yaml").write_text(f"name: ndes-join\nruntime:\n  name: python\n  options:\n"
                                         f"    virtualenv: {REPO_ROOT / '.venv'}\n")
    (project / "__main__.py").write_text(PROGRAM)
    env = {"NDES_LAB_WINRM_PASSWORD": lab_secret("winrm-password"), "NDES_LAB_CA_BUNDLE": str(pki.ca_bundle_path())}
    cli = PulumiCLI(project, stack="join", state_dir=tmp / "state", env=env)
    cli.stack_init()
    cli.config_set_all({"e2e:host": NDES1, "e2e:url": sim.url_of(NDES1), "e2e:user": topology.WINRM_USER,
                        "e2e:domain": topology.REALM, "e2e:ready": "true" if ready else "false"})
    return cli


def arm(sim, seconds: float = 4) -> str:
    sim.reset_state(NDES1)
    sim.knobs(reset=True, joinRestart={"host": NDES1, "seconds": seconds})
    return sim.read_state(NDES1)["boot"]["bootId"]


def test_first_up_converges_through_the_join_restart(private_sim, tmp_path):
    sim = private_sim
    boot0 = arm(sim)
    cli = stack(tmp_path, sim, ready=True)
    try:
        up = cli.up()
        out = cli.outputs()
        assert out["features"]
        assert "1 restart(s) seen" in out["notes"][0], out
        assert "waiting for " + NDES1 in up.stdout + up.stderr  # progress while it waited
        st = sim.read_state(NDES1)
        assert st["boot"]["bootId"] != boot0  # the restart happened, and the Windows plane ran after it
        assert "joinRestart" not in sim.knobs() or not sim.knobs()["joinRestart"]
        cli.preview("--expect-no-changes")

        # The VM is rebuilt (e.g. a renewed WinRM certificate): a blank host under the same name, which
        # restarts after its join again. One up waits again and configures the new VM.
        boot1 = arm(sim)
        assert "Web-Server" not in sim.read_state(NDES1)["features"]["installed"]
        cli.config_set("e2e:vm", "vm-2")
        up = cli.up()
        st = sim.read_state(NDES1)
        assert st["boot"]["bootId"] != boot1 and "1 restart(s) seen" in cli.outputs()["notes"][0]
        assert "Web-Server" in st["features"]["installed"]  # the replacement ran on the new VM...
        assert hostmodel.get_value(st, HTTP_SYS, "MaxFieldLength")["value"] == 65534
        assert "replaced" in up.stdout  # ...and the old resources' deletes kept what it made
        cli.preview("--expect-no-changes")
    finally:
        cli.destroy(check=False)


def test_without_the_readiness_step_the_first_up_fails(private_sim, tmp_path):
    sim = private_sim
    arm(sim, seconds=8)
    cli = stack(tmp_path, sim, ready=False)
    try:
        with pytest.raises(PulumiError) as exc:
            cli.up()
        assert NDES1 in str(exc.value)
    finally:
        sim.knobs(reset=True)
        cli.destroy(check=False)
