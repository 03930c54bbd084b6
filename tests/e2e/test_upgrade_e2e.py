"""An upgrade, end to end: the lab deployed by the last release (the one tests/unit/golden_state/ was captured
from), then today's code on the same state: the preview shows no change, a refresh finds no drift, an `up`
with `--replace` of a resource keeps its live object, and destroy works.

On the way it measures what issue 22 asked of connections from stack config: the lines `pulumi preview --diff`
prints for a SCEP key-size change (intune.scep.keySize 4096, with the software KSP Windows needs for it), with the
release's code (every resource carried its connection: endpoints, tenant, CA bundle PEM, retry knobs) and with
today's (the admin's inputs and a connection reference). Printed; run with -s to see it."""
from __future__ import annotations

import copy
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
INTENDED: tuple[str, ...] = ()
KEY_SIZE = {"keySize": 4096, "keyStorageProvider": "useSoftwareKsp"}


def key_size_diff(tmp: Path, doc: dict, pythonpath: str | None) -> tuple[int, int]:
    """(lines of `pulumi preview --diff` for the key-size change, ScepProfile updates in it), on the deployed
    stack, with the code on `pythonpath` (None: today's)."""
    bent = copy.deepcopy(doc)
    bent["config"]["ndes:intune"].setdefault("scep", {}).update(KEY_SIZE)
    cli = bent_project(tmp, doc=bent)
    if pythonpath:
        cli.env["PYTHONPATH"] = pythonpath
    text = cli.preview("--diff").stdout
    profiles = sum(1 for line in text.splitlines() if "dynamic/ndes:ScepProfile" in line and "update" in line)
    print(f"\n---- pulumi preview --diff, intune.scep {KEY_SIZE}, code: {pythonpath or 'today'}\n{text}")
    return len(text.splitlines()), profiles


def release_config() -> dict:
    """The lab stack's config as the release had it (its code refuses keys added since)."""
    text = subprocess.run(["git", "show", f"{RELEASE}:Pulumi.lab.yaml"], cwd=REPO_ROOT, capture_output=True,
                          text=True, check=True).stdout
    return yaml.safe_load(text)


@pytest.mark.skip(reason=f"the golden release {RELEASE[:7]} cannot deploy on today's WinRM simulator: issue 13 changed "
                  "the PowerShell prelude and the scripts' contracts, and the simulator runs only the project's "
                  "scripts unchanged ('the prelude sent is not ndes/windows/scripts/_prelude.ps1'); re-capture the "
                  "golden state from a release of this code (tests/unit/golden_state.py, run from the release's "
                  "folder) to re-enable it")
def test_a_stack_deployed_by_the_last_release_upgrades_quietly(tmp_path):
    ensure_lab_servers()
    lab_cli().destroy()
    old = bent_project(tmp_path / "old", doc=release_config())
    release = str(release_code(tmp_path))
    old.env["PYTHONPATH"] = release
    old.up()
    assert not any("__connection" in (r.get("outputs") or {}) for r in old.resources()), "not the release's code"
    before = key_size_diff(tmp_path / "old-keysize", release_config(), release)

    # today's code on the state the release wrote, with the release's config
    cli = bent_project(tmp_path / "today", doc=yaml.safe_load(GOLDEN_CONFIG.read_text()))
    text = cli.preview("--diff").stdout
    changed = {line.split("dynamic/ndes:", 1)[1].split()[0] for line in text.splitlines()
               if "dynamic/ndes:" in line and line.lstrip().startswith(("~", "+-", "-+", "+", "-"))}
    assert "replace" not in text, text
    assert changed <= set(INTENDED), (changed, text)
    cli.up()
    cli.preview("--expect-no-changes", "--diff")
    cli.refresh("--expect-no-changes", "--run-program")
    cli.refresh("--expect-no-changes")  # without the program: the connection kept in state (or the release's)
    tpl = next(r["urn"] for r in cli.resources() if r["urn"].endswith("::directory-ssl-template"))
    out = cli.up("--replace", tpl)
    assert "keep: CertificateTemplate" in out.stdout + out.stderr
    cli.preview("--expect-no-changes")
    assert any("__generation" in (r.get("outputs") or {}) for r in cli.resources())
    cli.destroy()

    # the same change on a stack today's code deployed (an upgraded state's inputs still hold the release's
    # connection fields until each resource updates: its first update shows them going)
    cli.up()
    after = key_size_diff(tmp_path / "today-keysize", yaml.safe_load(GOLDEN_CONFIG.read_text()), None)
    print(f"\npulumi preview --diff for intune.scep.keySize 2048 -> 4096: {before[0]} lines ({before[1]} SCEP "
          f"profiles) with {RELEASE}, {after[0]} lines ({after[1]} profiles) today: "
          f"{before[0] / max(after[0], 1):.1f} times fewer")
    cli.destroy()
    # the target is a tenth; the lines that stay are the preview's own frame and one header per profile
    assert before[1] == after[1] > 0 and after[0] * 5 < before[0], (before, after)
