"""An upgrade, end to end: the lab deployed by the last release (the one tests/unit/golden_state/ was captured
from, lab/winrm_sim/RELEASE: the simulated hosts run its scripts where their contracts are today's), then today's
code on the same state: the preview shows no change, a refresh finds no drift, an `up` with `--replace` of a
resource keeps its live object, and destroy works.

On the way it measures what issue 22 asked of connections from stack config: the lines `pulumi preview --diff`
prints for a SCEP key-size change (intune.scep.keySize 4096, with the software KSP Windows needs for it), with the
release's code and with today's, printed (run with -s to see them). The release already keeps connections by
reference (issue 22 was in it), so the ratio of the two says nothing; today's diff is held to the goal itself:
no connection field in it and a few lines per SCEP profile (10237d1, which carried every connection inline:
endpoints, tenant, CA bundle PEM, retry knobs, printed 52 per profile)."""
from __future__ import annotations

import copy
import json
import re
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
# The connection fields a resource's inputs carried before issue 22 (10237d1's ScepProfile and WinRM resources):
# none may come back into an input, hence into a diff.
CONNECTION_FIELDS = ("authority", "caBundle", "clientId", "clientSecret", "cloud", "credential", "graphEndpoint",
                     "insecureSkipTlsVerify", "retryAttempts", "retryBudgetSeconds", "tenantId", "endpoint")
# Lines of one SCEP profile's update in today's diff: its header, [id], [urn] and the two changed inputs (5), with
# room for a connection reference's fingerprint; 10237d1, whose inputs carried the connection, printed 52.
LINES_PER_PROFILE = 8
STEP = re.compile(r"^\s*(?:[-+~<>]+ )?[\w.:/-]+: \(")  # "    ~ pulumi-python:dynamic/ndes:ScepProfile: (update)"


def key_size_diff(tmp: Path, doc: dict, pythonpath: str | None) -> tuple[int, int, list[str]]:
    """(lines of `pulumi preview --diff` for the key-size change of the first SCEP profile, ScepProfile updates in
    it, the lines of those updates), on the deployed stack, with the code on `pythonpath` (None: today's)."""
    bent = copy.deepcopy(doc)
    intune = bent["config"]["ndes:intune"]
    # the first named profile (the lab's: the intune.scep shorthand's profiles, one per platform), else the one
    (intune["scepProfiles"][0] if intune.get("scepProfiles") else intune.setdefault("scep", {})).update(KEY_SIZE)
    cli = bent_project(tmp, doc=bent)
    if pythonpath:
        cli.env["PYTHONPATH"] = pythonpath
    text = cli.preview("--diff").stdout
    profiles, blocks, inside = 0, [], False
    for line in text.splitlines():
        if STEP.match(line) or not line.startswith(" "):  # a resource's header, or the preview's own frame
            inside = "dynamic/ndes:ScepProfile" in line and "(update)" in line
            profiles += inside
        if inside:
            blocks.append(line)
    print(f"\n---- pulumi preview --diff, intune.scep {KEY_SIZE}, code: {pythonpath or 'today'}\n{text}")
    return len(text.splitlines()), profiles, blocks


def compiled_from(prefix: Path, folder: Path) -> set[str]:
    """The `ndes` modules the engine's Python processes (the program and the dynamic provider host) compiled from
    `folder`: with PYTHONPYCACHEPREFIX the interpreter writes each module's bytecode under the prefix at the
    source folder's own path, so this names where the code that ran came from."""
    mirror = prefix / folder.resolve().relative_to("/") / "ndes"
    return {str(p.relative_to(mirror)).split(".cpython")[0] for p in mirror.rglob("*.pyc")}


def release_config() -> dict:
    """The lab stack's config as the release had it (its code refuses keys added since)."""
    text = subprocess.run(["git", "show", f"{RELEASE}:Pulumi.lab.yaml"], cwd=REPO_ROOT, capture_output=True,
                          text=True, check=True).stdout
    return yaml.safe_load(text)


def _release_in_history() -> bool:
    return subprocess.run(["git", "cat-file", "-e", f"{RELEASE}^{{commit}}"], cwd=REPO_ROOT,
                          capture_output=True).returncode == 0


def test_a_stack_deployed_by_the_last_release_upgrades_quietly(tmp_path):
    if not _release_in_history():  # a shallow clone or an exported tree: the release's code is not at hand
        pytest.skip(f"the release {RELEASE[:7]} is not in this clone's history (a shallow clone?): "
                    "`git fetch --unshallow` to run the upgrade test")
    ensure_lab_servers()
    lab_cli().destroy()
    old = bent_project(tmp_path / "old", doc=release_config())
    release = str(release_code(tmp_path))
    old.env["PYTHONPATH"] = release
    pycache = tmp_path / "pycache"
    old.env.pop("PYTHONDONTWRITEBYTECODE", None)
    old.env["PYTHONPYCACHEPREFIX"] = str(pycache)
    old.up()
    # the release's code ran, today's did not: the program and the provider host compiled `ndes` from the
    # release's folder (its providers among them) and nothing from the worktree's
    ran = compiled_from(pycache, Path(release))
    assert {"program", "providers/ndes_role", "providers/scep_profile"} <= ran, sorted(ran)
    assert not compiled_from(pycache, REPO_ROOT), "today's ndes ran for the release's deploy"
    before = key_size_diff(tmp_path / "old-keysize", release_config(), release)

    # today's code on the state the release wrote, with the release's config
    cli = bent_project(tmp_path / "today", doc=yaml.safe_load(GOLDEN_CONFIG.read_text()))
    cli.env.pop("PYTHONDONTWRITEBYTECODE", None)
    cli.env["PYTHONPYCACHEPREFIX"] = str(tmp_path / "pycache-today")
    text = cli.preview("--diff").stdout
    ran = compiled_from(tmp_path / "pycache-today", REPO_ROOT)
    assert {"program", "providers/ndes_role"} <= ran and not compiled_from(tmp_path / "pycache-today", Path(release))
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
          f"profiles) with {RELEASE[:7]}, {after[0]} lines ({after[1]} profiles, {len(after[2])} lines in their "
          f"updates) today")
    cli.destroy()
    # issue 22's goal, on today's code: the admin's change and a connection reference, no connection plumbing
    assert before[1] == after[1] > 0, (before[:2], after[:2])
    plumbing = [line for line in after[2] if line.strip().lstrip("~+-<>").strip().split(":")[0].strip()
                in CONNECTION_FIELDS]
    assert not plumbing, plumbing
    assert len(after[2]) <= LINES_PER_PROFILE * after[1], "\n".join(after[2])
