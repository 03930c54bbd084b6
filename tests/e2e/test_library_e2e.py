"""A program that uses ndes as a library, only the Intune plane (examples/intune-profiles), deployed with the real
Pulumi CLI against the Graph simulator: its own project and config namespace, no domain, CA or host settings, and
only the Intune app's identity. up creates the profiles of each platform, `pulumi stack output` shows their ids,
a second preview changes nothing, destroy removes them."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from lab.pki import ca_bundle_path
from tests.e2e.pulumi_cli import REPO_ROOT, PulumiCLI
from tests.graph.conftest import graph_sim, graph_sim_server, lab_ca_der  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

EXAMPLE = REPO_ROOT / "examples" / "intune-profiles"
GROUP = "6f1c1e0a-1111-4a4a-9b9b-000000000001"
PLATFORMS = ["ios", "androidWorkProfile", "windows"]
SCEP_URL = "https://ndes1-lab.msappproxy.net/certsrv/mscep/mscep.dll"


@pytest.fixture
def cli(tmp_path: Path, graph_sim, lab_ca_der) -> PulumiCLI:  # noqa: F811
    project = tmp_path / "project"
    project.mkdir()
    shutil.copy(EXAMPLE / "__main__.py", project / "__main__.py")
    doc = yaml.safe_load((EXAMPLE / "Pulumi.yaml").read_text())
    doc["runtime"]["options"]["virtualenv"] = str(REPO_ROOT / ".venv")
    (project / "Pulumi.yaml").write_text(yaml.safe_dump(doc))
    name = doc["name"]
    c = PulumiCLI(project, stack="intune", state_dir=tmp_path / "state")
    c.stack_init()
    stack_file = project / "Pulumi.intune.yaml"
    stack = yaml.safe_load(stack_file.read_text()) or {}
    stack["config"] = {f"{name}:{k}": v for k, v in {
        "tenantId": graph_sim.tenant_id, "clientId": graph_sim.client_id, "cloud": "custom",
        "graphEndpoint": graph_sim.url + "/", "authority": graph_sim.url + "/", "caBundle": str(ca_bundle_path()),
        "scepUrls": [SCEP_URL], "rootCertificateDer": lab_ca_der["root"],
        "issuingCertificateDer": lab_ca_der["issuing"], "groupIds": [GROUP], "platforms": PLATFORMS}.items()}
    stack_file.write_text(yaml.safe_dump(stack))
    c.config_set(f"{name}:clientSecret", graph_sim.secret, secret=True)
    return c


def test_intune_plane_alone_up_outputs_noop_destroy(cli: PulumiCLI, graph_sim):  # noqa: F811
    cli.up()
    st = graph_sim.state()
    configs = st["deviceConfigurations"]
    outputs = cli.outputs()
    assert set(outputs["scepProfileIds"]) == set(PLATFORMS)
    assert set(outputs["trustedRootProfileIds"]) == set(PLATFORMS)
    assert set(outputs["issuingCaProfileIds"]) == {"androidWorkProfile", "windows"}
    for pid in [*outputs["scepProfileIds"].values(), *outputs["trustedRootProfileIds"].values()]:
        assert pid in configs
    for platform, pid in outputs["scepProfileIds"].items():
        assert st["rootLinks"][pid] == outputs["trustedRootProfileIds"][platform]
        assert configs[pid]["scepServerUrls"] == [SCEP_URL]
    assert len(configs) == 3 + 3 + 2
    assert graph_sim.secret not in str(cli.export())

    assert cli.preview("--expect-no-changes", "--diff").returncode == 0
    # ndes.protection, as the example applies it by default: the profiles are protected (a destroy would pull the
    # certificates off every device); turning it off is one config value and an up
    protected = {r["type"].rsplit(":", 1)[-1] for r in cli.resources() if r.get("protect")}
    assert protected == {"TrustedCertificateProfile", "ScepProfile"}
    cli.config_set("ndes-intune-profiles:protect", "false")
    cli.up()
    assert not any(r.get("protect") for r in cli.resources())

    cli.destroy()
    assert graph_sim.state()["deviceConfigurations"] == {}
