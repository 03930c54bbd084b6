"""An upgrade, end to end: the lab deployed by the last release (the one tests/unit/golden_state/ was captured
from), then today's code on the same state: the preview shows no change, a refresh finds no drift, and an `up`
with `--replace` of a resource keeps its live object although its state predates generations."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

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


def test_a_stack_deployed_by_the_last_release_upgrades_quietly(tmp_path):
    ensure_lab_servers()
    lab_cli().destroy()
    doc = lab_stack_config()
    doc["config"].pop("ndes:protect", None)  # a key the release does not know
    old = bent_project(tmp_path, doc=doc)
    old.env["PYTHONPATH"] = str(release_code(tmp_path))
    old.up()
    assert not any("__schemaVersion" in (r.get("outputs") or {}) for r in old.resources()), "not the release's code"

    cli = lab_cli()  # today's code and config, on the state the release wrote
    cli.preview("--expect-no-changes", "--diff")
    cli.refresh("--expect-no-changes")
    tpl = next(r["urn"] for r in cli.resources() if r["urn"].endswith("::directory-ssl-template"))
    out = cli.up("--replace", tpl)
    assert "keep: CertificateTemplate" in out.stdout + out.stderr
    cli.preview("--expect-no-changes")
    assert any("__generation" in (r.get("outputs") or {}) for r in cli.resources())
