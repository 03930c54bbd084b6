"""Cross-language use (issue 23, item 3) through the real CLI: provider/ as a source-based Pulumi component
package. A program that knows only the type token `ndes:index:IntuneProfiles` (what `pulumi package add`
generates for any language: a remote component) gets the Intune plane built by the ndes plugin, against the Graph
simulator. It works when the consuming program's Python has ndes installed, and fails with "No module named
'ndes'" when it has not: the resources inside are Python dynamic resources, which the engine runs in the
consuming project's Python (docs/library.md, limit 4).

Both virtualenvs are made from the project's .venv without the Azure provider packages (the engine would
otherwise fetch their plugins before it runs the component plugin; docs/library.md, limit 2)."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

from lab.pki import ca_bundle_path
from tests.e2e.pulumi_cli import REPO_ROOT, PulumiCLI
from tests.graph.conftest import graph_sim, graph_sim_server, lab_ca_der  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

SCEP_URL = "https://ndes1-lab.msappproxy.net/certsrv/mscep/mscep.dll"
GROUP = "6f1c1e0a-1111-4a4a-9b9b-000000000001"
SKIP = ("pulumi_azure", "__editable__", "ndes-", "__pycache__")

CONSUMER = textwrap.dedent('''
    import json
    import pulumi

    class IntuneProfiles(pulumi.ComponentResource):
        """What `pulumi package add` generates: a remote component, constructed by the ndes plugin (its outputs
        come back as the attributes named in the schema)."""

        def __init__(self, name, props, opts=None):
            super().__init__("ndes:index:IntuneProfiles", name, {**props, "scepProfileIds": None,
                             "trustedRootProfileIds": None, "issuingCaProfileIds": None}, opts, remote=True)

    props = json.load(open("props.json"))
    props["graph"]["clientSecret"] = pulumi.Config().require_secret("clientSecret")
    intune = IntuneProfiles("intune", props)
    pulumi.export("scepProfileIds", intune.scepProfileIds)
''')


def venv_without_azure(path: Path, with_ndes: bool) -> Path:
    """A virtualenv holding the project's .venv packages except the Azure providers (and ndes unless asked)."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(path)], check=True, timeout=120)
    site = Path(subprocess.run([str(path / "bin" / "python"), "-c",
                                "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True).stdout.strip())
    src = REPO_ROOT / ".venv" / site.relative_to(path)
    for entry in src.iterdir():
        if not entry.name.startswith(SKIP):
            (site / entry.name).symlink_to(entry)
    if with_ndes:
        (site / "ndes-checkout.pth").write_text(f"{REPO_ROOT}\n")
    return path


@pytest.fixture
def consumer(tmp_path: Path, graph_sim, lab_ca_der):  # noqa: F811
    plugin_venv = venv_without_azure(tmp_path / "plugin-venv", with_ndes=True)
    provider = tmp_path / "provider"
    provider.mkdir()
    shutil.copy(REPO_ROOT / "provider" / "__main__.py", provider / "__main__.py")
    doc = yaml.safe_load((REPO_ROOT / "provider" / "PulumiPlugin.yaml").read_text())
    doc["runtime"]["options"]["virtualenv"] = str(plugin_venv)
    (provider / "PulumiPlugin.yaml").write_text(yaml.safe_dump(doc))

    def make(venv: Path) -> PulumiCLI:
        project = tmp_path / f"consumer-{venv.name}"
        project.mkdir()
        (project / "Pulumi.yaml").write_text(yaml.safe_dump({
            "name": "ndes-consumer", "runtime": {"name": "python", "options": {"virtualenv": str(venv)}},
            "packages": {"ndes": str(provider)}}))
        (project / "__main__.py").write_text(CONSUMER)
        (project / "props.json").write_text(json.dumps({
            "graph": {"tenantId": graph_sim.tenant_id, "clientId": graph_sim.client_id, "cloud": "custom",
                      "graphEndpoint": graph_sim.url + "/", "authority": graph_sim.url + "/",
                      "caBundle": str(ca_bundle_path())},
            "scepUrls": [SCEP_URL], "rootCertificateDer": lab_ca_der["root"],
            "issuingCertificateDer": lab_ca_der["issuing"], "platforms": ["ios", "windows"],
            "scep": {"groups": [{"id": GROUP}]}}))
        cli = PulumiCLI(project, stack="xlang", state_dir=tmp_path / f"state-{venv.name}",
                        env={"PIP_NO_INDEX": "1"})  # the engine's dependency step runs pip; offline here
        cli.stack_init()
        cli.config_set("ndes-consumer:clientSecret", graph_sim.secret, secret=True)
        return cli

    return plugin_venv, make, tmp_path


def test_remote_component_from_a_program_with_ndes(consumer, graph_sim):  # noqa: F811
    plugin_venv, make, _ = consumer
    cli = make(plugin_venv)
    cli.up()
    st = graph_sim.state()
    ids = cli.outputs()["scepProfileIds"]
    assert set(ids) == {"ios", "windows"} and all(pid in st["deviceConfigurations"] for pid in ids.values())
    types = {r["type"] for r in cli.resources()}
    assert "ndes:index:IntuneProfiles" in types and "pulumi-python:dynamic/ndes:ScepProfile" in types
    cli.destroy()
    assert graph_sim.state()["deviceConfigurations"] == {}


def test_remote_component_from_a_program_without_ndes_names_the_limit(consumer, graph_sim):  # noqa: F811
    _, make, tmp = consumer
    cli = make(venv_without_azure(tmp / "bare-venv", with_ndes=False))
    proc = cli.preview(check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "ndes:index:IntuneProfiles" in out  # the plugin constructed the component...
    assert "No module named 'ndes'" in out     # ...but its dynamic resources run in the consumer's Python
    assert graph_sim.state()["deviceConfigurations"] == {}
