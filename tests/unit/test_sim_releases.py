"""The simulated hosts run today's scripts, and the golden release's text of a script only when today's handler
models it (its contract unchanged since the release): lab/winrm_sim/releases.py, used by dispatch.py."""
from __future__ import annotations

import base64
import json
import subprocess

import pytest

from lab.winrm_sim import dispatch, releases
from lab.winrm_sim.releases import REPO, Releases
from ndes.windows import _scripts

from . import golden_state as gs

RELEASE = "f" * 40
OLD_HOSTBOOT = _scripts.script_bytes("HostBoot") + b"\n# the release's wording of a comment\n"


def fake_release(contract_then: dict[str, bytes] | None = None, scripts_then: dict[str, bytes] | None = None):
    """A release whose scripts are `scripts_then` (else today's) and whose files are otherwise today's, except
    `contract_then`."""
    def show(commit: str, path: str):
        assert commit == RELEASE
        for name, text in (scripts_then or {}).items():
            if path == f"{releases.SCRIPTS}/{name}.ps1":
                return text
        if path in (contract_then or {}):
            return contract_then[path]
        return (REPO / path).read_bytes() if (REPO / path).is_file() else None
    return Releases(commit=RELEASE, show=show)


def test_todays_bytes_run_without_any_release():
    assert Releases(commit="").refusal("HostBoot", _scripts.script_bytes("HostBoot")) == ""
    assert Releases(commit="").refusal("_prelude", _scripts.prelude_bytes()) == ""


def test_the_releases_text_of_a_script_runs_when_its_contract_is_unchanged():
    assert fake_release(scripts_then={"HostBoot": OLD_HOSTBOOT}).refusal("HostBoot", OLD_HOSTBOOT) == ""


def test_the_releases_text_is_refused_when_its_contract_differs():
    contract = "ndes/windows/contracts/host_boot.py"
    rel = fake_release({contract: (REPO / contract).read_bytes() + b"# then\n"}, {"HostBoot": OLD_HOSTBOOT})
    why = rel.refusal("HostBoot", OLD_HOSTBOOT)
    assert "HostBoot" in why and contract in why and "differs" in why


def test_a_change_of_the_base_contract_refuses_the_releases_scripts_and_prelude():
    base = releases.BASE_CONTRACT
    old_prelude = _scripts.prelude_bytes() + b"\n# then\n"
    rel = fake_release({base: b"# another result shape\n"}, {"HostBoot": OLD_HOSTBOOT, "_prelude": old_prelude})
    assert base in rel.refusal("HostBoot", OLD_HOSTBOOT)
    assert base in rel.refusal("_prelude", old_prelude)
    assert fake_release(scripts_then={"_prelude": old_prelude}).refusal("_prelude", old_prelude) == ""


def test_unknown_bytes_are_refused_naming_the_script():
    rel = fake_release(scripts_then={"HostBoot": OLD_HOSTBOOT})
    why = rel.refusal("HostBoot", OLD_HOSTBOOT + b"Remove-Item C:\\ -Recurse\n")
    assert "HostBoot" in why and "nor its text at release fffffff" in why
    assert "no golden release" in Releases(commit="").refusal("HostBoot", OLD_HOSTBOOT)


def test_without_git_or_the_commit_only_todays_bytes_run():
    rel = Releases(commit="0" * 40)  # real git, a commit this repository does not have
    assert rel.refusal("HostBoot", _scripts.script_bytes("HostBoot")) == ""
    assert "git cannot read it" in rel.refusal("HostBoot", OLD_HOSTBOOT)


def test_a_real_release_runs_where_its_contract_held_and_is_refused_where_it_changed():
    """10237d1 (real git): its NdesRole.ps1 differs from today's (splatting) under the same contract, its
    IisHttpsBinding.ps1 predates the contract issue 13 gave that script."""
    commit = subprocess.run(["git", "rev-parse", "10237d1"], cwd=REPO, capture_output=True, text=True)
    if commit.returncode != 0:
        pytest.skip("this clone lacks commit 10237d1")
    rel = Releases(commit=commit.stdout.strip())
    role = releases.git_show(rel.commit, "ndes/windows/scripts/NdesRole.ps1")
    assert role and role != _scripts.script_bytes("NdesRole") and rel.refusal("NdesRole", role) == ""
    binding = releases.git_show(rel.commit, "ndes/windows/scripts/IisHttpsBinding.ps1")
    assert binding and binding != _scripts.script_bytes("IisHttpsBinding")
    assert "ndes/windows/contracts/iis_https_binding.py differs" in rel.refusal("IisHttpsBinding", binding)


def test_every_script_the_simulator_runs_has_its_contract_module():
    dispatch.load_all()
    for name in dispatch.HANDLERS:
        assert all((REPO / p).is_file() for p in releases.contract_paths(name)), name


def test_the_lab_names_the_release_the_golden_state_was_captured_from():
    golden = {json.loads(p.read_text())["release"] for p in gs.GOLDEN_DIR.glob("*.json")}
    assert golden == {releases.release_commit()}


def _line(source: bytes) -> bytes:
    return json.dumps({"script": "HostBoot", "prelude": base64.b64encode(_scripts.prelude_bytes()).decode(),
                       "source": base64.b64encode(source).decode(),
                       "params": base64.b64encode(b'{"mode":"get"}').decode()}).encode()


@pytest.fixture
def host(tmp_path, monkeypatch):
    monkeypatch.setenv("NDES_WINRM_SIM_DIR", str(tmp_path))
    return lambda rel, source: (monkeypatch.setattr(releases, "current", lambda: rel),
                                dispatch.run_bootstrap("ndes1.lab.contoso.test", "ndes", "LAB\\pulumi-winrm",
                                                       _line(source), None, lambda: None))[1]


def test_the_simulated_host_runs_the_releases_script_with_todays_handler(host):
    out, _, code = host(fake_release(scripts_then={"HostBoot": OLD_HOSTBOOT}), OLD_HOSTBOOT)
    assert code == 0 and json.loads(out)["state"]["bootId"]


def test_the_simulated_host_refuses_the_releases_script_when_its_contract_changed(host):
    contract = "ndes/windows/contracts/host_boot.py"
    rel = fake_release({contract: b"# then\n"}, {"HostBoot": OLD_HOSTBOOT})
    out, _, code = host(rel, OLD_HOSTBOOT)
    err = json.loads(out)["error"]
    assert code == 1 and err["category"] == "NotImplemented" and contract in err["message"]


def test_the_simulated_shell_runs_the_releases_bootstrap_only_when_the_protocol_is_unchanged(monkeypatch):
    old = (REPO / releases.SCRIPTS / "_bootstrap.ps1").read_bytes() + b"\n# then\n"
    cmd, args = _scripts.bootstrap_command()
    enc = base64.b64encode(old.decode().encode("utf-16-le")).decode()
    monkeypatch.setattr(releases, "current", lambda: fake_release(scripts_then={"_bootstrap": old}))
    assert dispatch.launch(cmd, [*args[:-1], enc]).is_bootstrap
    monkeypatch.setattr(releases, "current", lambda: fake_release({"ndes/windows/_scripts.py": b"# then\n"},
                                                                  {"_bootstrap": old}))
    refused = dispatch.launch(cmd, [*args[:-1], enc])
    assert not refused.is_bootstrap and "ndes/windows/_scripts.py" in refused.refusal
