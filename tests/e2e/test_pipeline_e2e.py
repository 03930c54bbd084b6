"""scripts/pipeline, which the GitOps workflows run, against the lab stack: deploy, a scheduled drift check
that passes, drift made behind the module's back (a hand edit of HTTP.sys on the NDES host) that the drift check
catches, and the next deploy that repairs it."""
import subprocess

import pytest

from lab.env import lab_environment
from lab.winrm_sim.store import edit_state

from .lab_chain import ensure_lab_servers, lab_cli
from .pulumi_cli import REPO_ROOT

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

HTTP_PARAMS = "hklm:\\system\\currentcontrolset\\services\\http\\parameters"


def pipeline(cmd: str) -> subprocess.CompletedProcess:
    cli = lab_cli()
    env = {**cli.env, "STACK": "lab", "OUT": "/dev/null"}
    return subprocess.run(["bash", "scripts/pipeline", cmd], cwd=REPO_ROOT, env=env, capture_output=True,
                          text=True, timeout=900)


def test_deploy_drift_check_and_repair_through_the_pipeline_script():
    ensure_lab_servers()
    lab_environment()
    up = pipeline("up")
    assert up.returncode == 0, up.stdout[-3000:] + up.stderr[-3000:]
    clean = pipeline("drift")
    assert clean.returncode == 0, clean.stdout[-3000:] + clean.stderr[-3000:]

    with edit_state("ndes1.lab.contoso.test") as st:  # an admin "tunes" HTTP.sys by hand
        st["registry"][HTTP_PARAMS]["values"]["maxfieldlength"]["value"] = 16384
    drift = pipeline("drift")
    assert drift.returncode != 0, drift.stdout[-3000:]
    text = drift.stdout + drift.stderr
    assert "RegistryValues" in text and "16384" in text

    repair = pipeline("up")
    assert repair.returncode == 0, repair.stdout[-3000:] + repair.stderr[-3000:]
    again = pipeline("drift")
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
