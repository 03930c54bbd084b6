"""The product's path (the GitOps workflows, scripts/pipeline, scripts/bootstrap, `ndes verify`) runs the official
Pulumi CLI and never lab tooling; and the workflows keep the trust boundaries docs/identities.md describes."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
WORKFLOWS = {p.stem: yaml.safe_load(p.read_text()) for p in (REPO / ".github" / "workflows").glob("*.yml")}
PIN = (REPO / ".pulumi-version").read_text().strip()
LAB_TOOLING = re.compile(r"apt-get|dpkg|lab/bootstrap|lab/engine|install-pulumi|go build|go install|samba")


def _code(text: str) -> str:
    """Shell text without its comments (a comment may name the lab's tools to say they are not used)."""
    return "\n".join(line.split(" # ")[0] for line in text.splitlines() if not line.lstrip().startswith("#"))


def _job(name: str) -> dict:
    (job,) = WORKFLOWS[name]["jobs"].values()
    return job


def _steps_text(name: str) -> str:
    return "\n".join(str(s.get("run", "")) + str(s.get("with", "")) for s in _job(name)["steps"])


def test_the_three_workflows_exist():
    assert set(WORKFLOWS) == {"preview", "deploy", "drift"}


@pytest.mark.parametrize("name", ["preview", "deploy", "drift"])
def test_no_workflow_runs_lab_tooling(name):
    text = _steps_text(name)
    assert not LAB_TOOLING.search(text), LAB_TOOLING.search(text)
    # and what they run installs nothing either
    for script in sorted(set(re.findall(r"scripts/[a-z_-]+", text))):
        body = _code((REPO / script).read_text())
        assert not LAB_TOOLING.search(body), f"{script} (run by {name}.yml): {LAB_TOOLING.search(body)}"


@pytest.mark.parametrize("name", ["preview", "deploy", "drift"])
def test_each_workflow_installs_the_official_cli_at_the_pin(name):
    steps = _job(name)["steps"]
    pin_step = next(s for s in steps if s.get("id") == "pin")
    assert ".pulumi-version" in pin_step["run"]
    action = next(s for s in steps if str(s.get("uses", "")).startswith("pulumi/actions@"))
    assert action["with"]["pulumi-version"] == "${{ steps.pin.outputs.version }}"
    assert "command" not in action["with"]  # install only: scripts/pipeline runs the commands
    order = [s.get("id") or s.get("uses") or s.get("run") for s in steps]
    assert order.index(action["uses"]) < order.index("scripts/bootstrap")


@pytest.mark.parametrize("name", ["preview", "deploy", "drift"])
def test_the_azuread_provider_signs_in_through_oidc(name):
    env = _job(name)["env"]
    assert env["ARM_USE_OIDC"] == "true" and env["ARM_CLIENT_ID"] and env["ARM_TENANT_ID"]
    assert "ARM_OIDC_TOKEN_FILE_PATH=" in _steps_text(name)


def test_preview_runs_only_same_repository_pull_requests_with_read_only_identities():
    job = _job("preview")
    assert job["if"] == "github.event.pull_request.head.repo.full_name == github.repository"
    assert job["environment"] == "pr-preview"
    assert _job("deploy")["environment"] == "production"
    assert _job("drift")["environment"] not in ("production", "pr-preview")
    perms = WORKFLOWS["preview"]["permissions"]
    assert perms["contents"] == "read"
    # every credential the preview sees is scoped to its own environment: no repository-wide secret
    refs = set(re.findall(r"secrets\.([A-Z_]+)", yaml.safe_dump(WORKFLOWS["preview"])))
    assert refs <= {"NDES_BIND_PASSWORD", "NDES_WINRM_PASSWORD"}
    assert "production" not in yaml.safe_dump(WORKFLOWS["preview"]["jobs"])


def test_the_policy_pack_judging_a_pull_request_comes_from_the_base_branch():
    steps = _job("preview")["steps"]
    base = next(s for s in steps if s.get("with", {}).get("path") == ".policy-base")
    assert base["with"]["ref"] == "${{ github.event.pull_request.base.sha }}"
    assert "policies" in base["with"]["sparse-checkout"]
    preview = next(s for s in steps if "scripts/pipeline preview" in str(s.get("run", "")))
    assert "POLICY_PACK=.policy-base/policies" in preview["run"]
    # the per-stack policy config is read from beside the pack, so it comes from the base branch too
    assert "directory / f\"policy-config.{stack}.json\"" in (
        REPO / "policies" / "ndes_policies" / "stack_config.py").read_text()


def test_deploy_and_drift_have_their_own_queue():
    deploy, drift, preview = (WORKFLOWS[n]["concurrency"] for n in ("deploy", "drift", "preview"))
    assert deploy["group"] == drift["group"] != preview["group"]
    assert deploy["cancel-in-progress"] is False and drift["cancel-in-progress"] is False
    assert "pull_request.number" in preview["group"]


def _comment_script() -> str:
    step = next(s for s in _job("preview")["steps"] if "github-script" in str(s.get("uses", "")))
    return step["with"]["script"]


NODE_HARNESS = r"""
const fs = require('fs');
const state = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const github = {
  paginate: async (fn, args) => state.comments,
  rest: {issues: {
    listComments: () => null,
    createComment: async ({body}) => { state.comments.push({id: state.comments.length + 1, body}); },
    updateComment: async ({comment_id, body}) => { state.comments.find(c => c.id === comment_id).body = body; },
  }},
};
const context = {repo: {owner: 'o', repo: 'r'}, issue: {number: 7}};
(async () => {
  await (async (require, github, context) => { SCRIPT })(require, github, context);
  fs.writeFileSync(process.argv[2], JSON.stringify(state));
})();
"""


@pytest.mark.skipif(shutil.which("node") is None, reason="needs node")
def test_the_pr_comment_is_one_comment_edited_and_trimmed_from_the_front(tmp_path):
    harness = tmp_path / "run.js"
    harness.write_text(NODE_HARNESS.replace("SCRIPT", _comment_script()))
    state = tmp_path / "state.json"
    state.write_text(json.dumps({"comments": [{"id": 1, "body": "someone else's comment"}]}))
    body = "x" * 80000 + "\nResources: 1 to update\nPolicies: 0 violations\n"
    for run in range(2):
        (tmp_path / "preview.md").write_text(body if run else "first run\n")
        subprocess.run(["node", str(harness), str(state)], cwd=tmp_path, check=True, timeout=60)
    comments = json.loads(state.read_text())["comments"]
    assert len(comments) == 2 and comments[0]["body"] == "someone else's comment"
    mine = comments[1]["body"]
    assert mine.startswith("<!-- ndes-preview -->") and "first run" not in mine
    assert mine.rstrip().endswith("Policies: 0 violations") and "Resources: 1 to update" in mine
    assert len(mine) <= 65536 and "trimmed" in mine


def test_pipeline_without_pulumi_says_to_install_the_official_cli(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "STACK": "prod", "HOME": str(tmp_path)}
    proc = subprocess.run(["bash", "scripts/pipeline", "preview"], cwd=REPO, env=env, capture_output=True, text=True)
    assert proc.returncode == 1
    assert f"install the Pulumi CLI >= {PIN}" in proc.stderr


def _fake_pulumi(folder: Path, version: str) -> str:
    folder.mkdir()
    exe = folder / "pulumi"
    exe.write_text(f"#!/bin/sh\necho {version}\n")
    exe.chmod(0o755)
    return f"{folder}:/usr/bin:/bin"


@pytest.mark.parametrize("version,ok", [(PIN, True), ("v3.300.0", True), ("v3.100.0", False), (None, False)])
def test_bootstrap_checks_the_official_cli_version(tmp_path, version, ok):
    path = _fake_pulumi(tmp_path / "bin", version) if version else "/usr/bin:/bin"
    proc = subprocess.run(["bash", "scripts/bootstrap", "--cli-only"], cwd=REPO, capture_output=True, text=True,
                          env={"PATH": path, "HOME": str(tmp_path)})
    assert (proc.returncode == 0) is ok, proc.stderr
    if not ok:
        assert f"install the Pulumi CLI >= {PIN.lstrip('v')}" in proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1


def test_verify_installs_nothing():
    text = (REPO / "ndes" / "cli.py").read_text()
    assert not LAB_TOOLING.search(text) and "subprocess.run([str(installer)" not in text


def test_the_python_sdk_is_a_range_both_engines_accept():
    deps = (REPO / "pyproject.toml").read_text()
    assert re.search(r'"pulumi>=3\.\d+\.\d+,<4"', deps), "pin pulumi as a range, not =="
    gomod = (REPO / "lab" / "engine" / "go.mod").read_text()
    assert f"github.com/pulumi/pulumi/pkg/v3 {PIN}" in gomod and f"github.com/pulumi/pulumi/sdk/v3 {PIN}" in gomod


def test_readme_names_the_official_cli_version_and_the_deploy_subject():
    readme = (REPO / "README.md").read_text()
    head = readme.split("## ", 1)[0]
    assert "./lab/up" in head and "bash .ci/run" in head
    assert PIN.lstrip("v") in readme and "environment:production" in readme
