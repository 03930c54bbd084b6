"""From zero, as an admin would go: `ndes init` from an answers file against the lab (the real Samba DC's rootDSE
and enrollment service, the Graph simulator's organization), then the real CLI previews and deploys the stack it
wrote; then an unprepared host (no WinRM HTTPS listener) makes `ndes verify` name the host and the host-prep
command, and once an administrator ran HostPrep.ps1 on it, verify is back to what it said before.
"""
from __future__ import annotations

import copy
import json
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from lab.env import lab_environment
from lab.winrm_sim import control
from tests.e2e.lab_stack import PROGRAM_FILES, lab_stack_config
from tests.e2e.pulumi_cli import REPO_ROOT, PulumiCLI
from tests.e2e.test_adoption_e2e import ensure_lab_servers

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

NDES = str(REPO_ROOT / ".venv" / "bin" / "ndes")
DISCOVERED = ("domain.dnsName", "domain.netbiosName", "ca.host", "ca.commonName")
SECRETS = ("domain.bindPassword", "domain.spnAdminPassword", "winrm.password", "ca.winrm.password",
           "serviceAccount.password", "ndesRole.installCredential.password", "graph.clientSecret")


def _get(doc: dict, dotted: str):
    top, *rest = dotted.split(".")
    node = doc[f"ndes:{top}"]
    for part in rest:
        node = node[part]
    return node


def lab_answers() -> tuple[dict, dict]:
    """The lab stack's config as answers: what init discovers left out, secrets read from the environment."""
    lab = lab_stack_config()["config"]
    answers = copy.deepcopy({k.removeprefix("ndes:"): v for k, v in lab.items()})
    for dotted in DISCOVERED:
        *parents, last = dotted.split(".")
        node = answers
        for p in parents:
            node = node[p]
        node.pop(last)
    for h in answers["ndesHosts"]:
        h.pop("externalUrl")
    for dotted in SECRETS:
        *parents, last = dotted.split(".")
        node = answers
        for p in parents:
            node = node[p]
        node[last] = {"env": node[last]["fromEnv"]}
    return answers, lab


def run_ndes(*args: str, env: dict, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run([NDES, *args], capture_output=True, text=True, env=env, timeout=timeout)


def verify(cli: PulumiCLI) -> tuple[int, list[dict], str]:
    proc = run_ndes("verify", "--json", "--stack", "lab", "--project-dir", str(cli.project_dir), env=dict(cli.env))
    return proc.returncode, json.loads(proc.stdout or "{}").get("results", []), proc.stderr


def test_init_from_answers_previews_clean_deploys_and_names_an_unprepared_host(samba_dc, tmp_path: Path):
    ensure_lab_servers()
    project = tmp_path / "project"
    project.mkdir()
    for name in PROGRAM_FILES:
        shutil.copy(REPO_ROOT / name, project / name)
    (project / ".venv").symlink_to(REPO_ROOT / ".venv")
    env = lab_environment(state_dir=tmp_path / "state")
    cli = PulumiCLI(project, stack="lab", state_dir=tmp_path / "state", passphrase=env.pop("PULUMI_CONFIG_PASSPHRASE"),
                    env=env)
    answers, lab = lab_answers()
    answers_file = tmp_path / "answers.yaml"
    answers_file.write_text(yaml.safe_dump(answers, sort_keys=False))

    proc = run_ndes("init", "--stack", "lab", "--answers", str(answers_file), "--project-dir", str(project),
                    env=dict(cli.env))
    assert proc.returncode == 0, proc.stderr
    written_text = (project / "Pulumi.lab.yaml").read_text()
    written = yaml.safe_load(written_text)["config"]
    for dotted in DISCOVERED:  # read from the DC, equal to what the lab's hand-written stack says
        assert _get(written, dotted) == _get(lab, dotted), dotted
    assert written["ndes:ndesHosts"][0]["externalUrl"] == lab["ndes:ndesHosts"][0]["externalUrl"]
    for dotted in SECRETS:  # set with pulumi config set --secret: ciphertext in the file, never the value
        assert set(_get(written, dotted)) == {"secure"}, dotted
    for name in ("NDES_LAB_BIND_PASSWORD", "NDES_LAB_WINRM_PASSWORD", "NDES_LAB_GRAPH_SECRET"):
        assert cli.env[name] not in written_text and cli.env[name] not in proc.stdout + proc.stderr
    # a second run refuses to overwrite what the first wrote
    again = run_ndes("init", "--stack", "lab", "--answers", str(answers_file), "--project-dir", str(project),
                     env=dict(cli.env))
    assert again.returncode == 2 and "--force" in again.stderr

    preview = cli.preview()
    assert "error" not in preview.stdout.lower(), preview.stdout[-3000:]
    try:
        cli.up()
        code, before, err = verify(cli)
        assert before, err
        host = "ndes1.lab.contoso.test"
        control.LAB.unprepare(host)
        code, results, err = verify(cli)
        assert code == 1
        mine = [r for r in results if r["area"] == host]
        first = mine[0]
        assert first["check"] == "WinRM HTTPS listener" and first["status"] == "fail", first
        assert f"ndes host-prep --host {host}" in first["fix"] and "connection refused" in first["detail"]
        assert all(r["status"] == "fail" and "not checked" in r["detail"] for r in mine[1:]), mine
        others = {(r["area"], r["check"], r["status"]) for r in results if r["area"] != host}
        assert others == {(r["area"], r["check"], r["status"]) for r in before if r["area"] != host}

        prep = run_ndes("host-prep", "--host", host, "--management-range", "127.0.0.0/8", "--out",
                        str(tmp_path / "prep"), env=dict(cli.env))
        assert prep.returncode == 0, prep.stderr
        params = prep.stdout.split("-Params ", 1)[1].split()[0]
        assert (tmp_path / "prep" / "HostPrep.ps1").read_bytes() == \
            (REPO_ROOT / "ndes" / "windows" / "scripts" / "HostPrep.ps1").read_bytes()
        out = control.LAB.host_prep(host, params)  # the administrator runs it on the host
        assert out["changed"] and out["state"]["hostName"] == host
        code, after, err = verify(cli)
        assert [(r["area"], r["check"], r["status"]) for r in after] == \
            [(r["area"], r["check"], r["status"]) for r in before], err[-2000:]
        assert any(r["area"] == host and r["check"] == "WinRM HTTPS listener" and r["status"] == "pass"
                   for r in after)

        # backing out of one host (docs/getting-started.md 4c): its resources go, the planes it stood on stay
        cli.destroy("--target", "urn:pulumi:lab::ndes::**::ndes-host-ndes1*", "--target-dependents")
        names = [r["urn"].rsplit("::", 1)[1] for r in cli.resources() if "::" in r.get("urn", "")]
        assert not [n for n in names if n.startswith("ndes-host-ndes1")], names
        assert any(n.startswith("directory") for n in names), names
    finally:
        try:
            control.LAB.host_prep("ndes1.lab.contoso.test", _lab_params())
        except Exception:
            pass
        cli.destroy(check=False)
        redeploy_shared_lab()


def redeploy_shared_lab() -> None:
    """This stack (project ndes, stack lab: the lab's owner marks) took the shared lab stack's objects over and has
    removed them: the shared lab stack is deployed again from a clean state, as the later tests expect (./lab/up)."""
    from .lab_chain import lab_cli
    shared = lab_cli()
    shared.stack_rm("--preserve-config")
    lab_cli().up()


def _lab_params() -> str:
    from ndes.host_prep import plan
    return plan("ndes1.lab.contoso.test", management_range=["127.0.0.0/8"]).encoded()


def test_first_contact_one_host_excludes_the_others(samba_dc, tmp_path: Path):
    """docs/getting-started.md step 4c: on a new two-host stack, `--exclude '<urn pattern of the other host>'
    --exclude-dependents` previews the first host end to end and nothing of the other (the real CLI's wildcards)."""
    from tests.e2e.lab_stack import lab_project

    ensure_lab_servers()
    hosts = [{"fqdn": "ndes1.lab.contoso.test", "externalUrl": "https://ndes1-lab.msappproxy.net/",
              "winrm": {"url": "https://127.0.0.11:5986/wsman"}},
             {"fqdn": "ndes2.lab.contoso.test", "externalUrl": "https://ndes2-lab.msappproxy.net/",
              "winrm": {"url": "https://127.0.0.13:5986/wsman"}}]
    cli = lab_project(tmp_path, {"ndesHosts": hosts})
    project = cli.project_dir.name
    every = cli.preview("--json").stdout
    one = cli.preview("--json", "--exclude", f"urn:pulumi:lab::ndes::**::ndes-host-ndes2*", "--exclude-dependents")
    urns_all = {s["urn"] for s in json.loads(every)["steps"] if s["op"] == "create"}
    urns_one = {s["urn"] for s in json.loads(one.stdout)["steps"] if s["op"] == "create"}
    name = lambda u: u.rsplit("::", 1)[1]  # noqa: E731
    assert any(name(u).startswith("ndes-host-ndes2") for u in urns_all), project
    assert not any(name(u).startswith("ndes-host-ndes2") for u in urns_one), sorted(map(name, urns_one))
    assert {u for u in urns_all if name(u).startswith("ndes-host-ndes1")} <= urns_one
    assert any(name(u).startswith("directory") for u in urns_one), sorted(map(name, urns_one))
