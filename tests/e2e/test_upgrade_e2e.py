"""An upgrade, end to end: the lab deployed by the last release (the one tests/unit/golden_state/ was captured
from), then today's code on the same state: the preview shows no change, a refresh finds no drift, and an `up`
with `--replace` of a resource keeps its live object although its state predates generations."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import yaml

from .lab_chain import bent_project, ensure_lab_servers, lab_cli
from .lab_stack import lab_stack_config
from .pulumi_cli import REPO_ROOT

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

RELEASE = json.loads((REPO_ROOT / "tests/unit/golden_state/NdesRole.json").read_text())["release"]


def release_code(tmp: Path) -> Path:
    """The release's `ndes` package, extracted from git (put first on PYTHONPATH, it wins over the editable one)."""
    dest = tmp / "release"
    dest.mkdir()
    archive = subprocess.run(["git", "archive", RELEASE, "ndes"], cwd=REPO_ROOT, capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive.stdout, check=True)
    return dest


GOLDEN_CONFIG = REPO_ROOT / "tests/unit/golden_state/Pulumi.lab.yaml"
# The updates this upgrade makes on purpose (tests/unit/test_state_compat.py INTENDED_UPDATES): an update in place,
# never a replace, and nothing else.
INTENDED = ("WindowsFeatures", "MachineCertificate", "AppProxyApplication")


def release_config() -> dict:
    """The lab stack's config as the release had it (its code refuses keys added since)."""
    text = subprocess.run(["git", "show", f"{RELEASE}:Pulumi.lab.yaml"], cwd=REPO_ROOT, capture_output=True,
                          text=True, check=True).stdout
    return yaml.safe_load(text)


@pytest.mark.skip(reason=(
    "the golden release (951e20e) cannot deploy on a simulator that plays Windows: its WinRM client opens commands "
    "in console mode and sends the script on stdin, which Windows never delivers (issue 13, defect 1; the simulator "
    "now refuses it with WS-Management fault 2150858880). tests/unit/test_state_compat.py covers that release's "
    "state; this test comes back when the golden release is one that deploys (re-capture with golden_state.py)"))
def test_a_stack_deployed_by_the_last_release_upgrades_quietly(tmp_path):
    from lab import samba_dc

    ensure_lab_servers()
    lab_cli().destroy()
    # the release bound as the domain Administrator (today's lab binds as a least-privilege account)
    admin = {"NDES_LAB_BIND_PASSWORD": samba_dc.admin_password()}
    old = bent_project(tmp_path / "old", doc=release_config())
    old.env.update(admin)
    old.env["PYTHONPATH"] = str(release_code(tmp_path))
    old.up()
    assert not any("__schemaVersion" in (r.get("outputs") or {}) for r in old.resources()), "not the release's code"

    # today's code on the state the release wrote, with the release's config plus what this release requires
    cli = bent_project(tmp_path / "today", doc=yaml.safe_load(GOLDEN_CONFIG.read_text()))
    cli.env.update(admin)
    text = cli.preview("--diff").stdout
    changed = {line.split("dynamic/ndes:", 1)[1].split()[0] for line in text.splitlines()
               if "dynamic/ndes:" in line and line.lstrip().startswith(("~", "+-", "-+", "+", "-"))}
    assert "replace" not in text, text
    assert changed <= set(INTENDED), (changed, text)
    cli.up()
    cli.preview("--expect-no-changes", "--diff")
    cli.refresh("--expect-no-changes")
    tpl = next(r["urn"] for r in cli.resources() if r["urn"].endswith("::directory-ssl-template"))
    out = cli.up("--replace", tpl)
    assert "keep: CertificateTemplate" in out.stdout + out.stderr
    cli.preview("--expect-no-changes")
    assert any("__generation" in (r.get("outputs") or {}) for r in cli.resources())
    cli.destroy()
