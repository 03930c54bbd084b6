"""Rotated WinRM and LDAP bind passwords, with the real CLI on the lab stack through scripts/pipeline: the lab is
deployed with both passwords as secrets in the stack config (`pulumi config set --secret --path ...`, as production
stacks keep them), then they change on the servers (the simulator's NTLM account store; the bind account's
unicodePwd on the Samba DC) and in the stack config, and with no `up` in between the drift job (refresh
--run-program), a preview and destroy (--run-program) succeed: the providers take the connection from today's
stack config (configure()), not from the copy in state.

The control: a plain `pulumi refresh` runs no program; the engine then configures the dynamic provider with the
config it recorded at the last `up` (the default provider's inputs in state), so it still logs on with the old
password and the host refuses it. That is why the pipeline passes --run-program.
"""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from lab.secrets import secrets_dir

from .lab_chain import bent_project, ensure_lab_servers, simulator_contents
from .lab_stack import lab_stack_config
from .pulumi_cli import REPO_ROOT, PulumiCLI

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

NDES1 = "ndes1.lab.contoso.test"


def project(tmp: Path) -> PulumiCLI:
    """The lab program in its own folder, with scripts/pipeline, the WinRM password kept in the stack config."""
    doc = lab_stack_config()
    del doc["config"]["ndes:winrm"]["password"]
    del doc["config"]["ndes:domain"]["bindPassword"]
    cli = bent_project(tmp, doc=doc)
    (cli.project_dir / "scripts").mkdir(exist_ok=True)
    shutil.copy(REPO_ROOT / "scripts/pipeline", cli.project_dir / "scripts/pipeline")
    return cli


def set_config_password(cli: PulumiCLI, value: str, key: str = "ndes:winrm.password") -> None:
    cli.run("config", "set", "--path", key, "--secret", "--stack", cli.stack, "--non-interactive", input=value)


def set_bind_password(value: str) -> None:
    """The bind account's password reset on the DC (unicodePwd over LDAPS, as an administrator resets it), and
    the lab secret that names it."""
    import ldap3

    from lab.samba_delegation import BIND_ACCOUNT
    from lab.samba_layout import DOMAIN_DN, connect
    conn = connect()
    try:
        ok = conn.modify(f"CN={BIND_ACCOUNT},CN=Users,{DOMAIN_DN}",
                         {"unicodePwd": [(ldap3.MODIFY_REPLACE, [f'"{value}"'.encode("utf-16-le")])]})
        assert ok, conn.result
    finally:
        conn.unbind()
    (secrets_dir() / "directory-bind-password").write_text(value + "\n")


def set_host_password(value: str) -> None:
    """What the rotation does on the hosts: the account's password changes (the simulator reads its NTLM account
    file at each logon)."""
    from lab.winrm_sim.ntlm import user_file
    (secrets_dir() / "winrm-password").write_text(value + "\n")
    user_file()


def pipeline(cli: PulumiCLI, cmd: str) -> subprocess.CompletedProcess:
    env = {**cli.env, "STACK": cli.stack, "OUT": "/dev/null"}
    return subprocess.run(["bash", "scripts/pipeline", cmd], cwd=cli.project_dir, env=env, capture_output=True,
                          text=True, timeout=1200)


def _tail(proc: subprocess.CompletedProcess) -> str:
    return proc.stdout[-3000:] + proc.stderr[-3000:]


def test_rotated_winrm_and_bind_passwords_work_for_drift_and_destroy_without_an_up(tmp_path):
    ensure_lab_servers()
    old = (secrets_dir() / "winrm-password").read_text().strip()
    from lab.samba_delegation import password as bind_password
    old_bind = bind_password()
    cli = project(tmp_path)
    set_config_password(cli, old)
    set_config_password(cli, old_bind, "ndes:domain.bindPassword")
    up = pipeline(cli, "up")
    assert up.returncode == 0, _tail(up)
    assert "ADCS-Device-Enrollment" in simulator_contents((NDES1,))["hosts"][NDES1]["features"]["installed"]
    features = next(r for r in cli.resources() if r["type"].endswith(":WindowsFeatures"))
    assert "endpoint" not in features["inputs"] and features["inputs"]["connection"]["ref"] == f"winrm:{NDES1}"
    assert "ciphertext" in features["outputs"]["__connection"], "the connection kept in state must be a secret"
    new, new_bind = old[:-1] + "-Rotated1!", old_bind[:-1] + "-Rotated2!"
    try:
        set_host_password(new)
        set_config_password(cli, new)
        set_bind_password(new_bind)
        set_config_password(cli, new_bind, "ndes:domain.bindPassword")

        plain = cli.refresh(check=False)  # no program: the config recorded at the last up, the old password
        assert plain.returncode != 0, "a refresh without the program logged on: the rotation did not happen"
        assert "WindowsFeatures" in plain.stdout + plain.stderr

        drift = pipeline(cli, "drift")
        assert drift.returncode == 0, _tail(drift)
        preview = pipeline(cli, "preview")
        assert preview.returncode == 0, _tail(preview)
        gone = pipeline(cli, "destroy")
        assert gone.returncode == 0, _tail(gone)
        assert not [r for r in cli.resources() if ":ndes:" in r["type"]]
        assert "ADCS-Device-Enrollment" not in simulator_contents((NDES1,))["hosts"][NDES1]["features"]["installed"]
    finally:
        set_host_password(old)
        set_bind_password(old_bind)
