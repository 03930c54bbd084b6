"""`ndes verify` as an admin runs it, against the lab's real servers (Samba, the lab WinRM and Graph simulators,
the SCEP endpoint through the App Proxy front):

- after a full `pulumi up` of a stack (ndes2 and names of its own, so the lab stack is never touched): every
  check passes, exit 0, `--stack` reading the stack's config through the real CLI;
- against the hand-built NDES (lab/handbuilt.py): each planted mistake is reported with its fix, nothing else
  fails, exit 1.
"""
from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest
import yaml

from lab import handbuilt
from lab.winrm_sim import control, store
from lab.winrm_sim.handlers import intune_connector as sim_connector
from tests.e2e.lab_stack import lab_project
from tests.e2e.pulumi_cli import REPO_ROOT
from tests.e2e.test_adoption_e2e import ensure_lab_servers

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

NDES = str(REPO_ROOT / ".venv" / "bin" / "ndes")
PLANTED = {
    "MSCEP template mapping": ("GeneralPurposeTemplate is 'HB-NDES-SSL'",
                               "MSCEP\\GeneralPurposeTemplate = HB-NDES-Intune"),
    "https binding host name": ("host name 'ndes2.lab.contoso.test'", "clear the Host name"),
    "SSL certificate names": ("CN is ndes2.lab.contoso.test, expected ndes2-lab.msappproxy.net",
                              "CN=ndes2-lab.msappproxy.net"),
}


def run_verify(*args: str, env: dict | None = None) -> tuple[int, dict, str]:
    proc = subprocess.run([NDES, "verify", "--json", *args], capture_output=True, text=True, env=env, timeout=300)
    return proc.returncode, json.loads(proc.stdout or "{}"), proc.stderr


@pytest.fixture
def lab_servers(samba_dc):
    ensure_lab_servers()
    handbuilt.clean(echo=lambda _m: None)
    yield
    handbuilt.clean(echo=lambda _m: None)


def test_verify_reports_each_planted_mistake(lab_servers, tmp_path: Path, monkeypatch):
    handbuilt.build(echo=lambda _m: None)
    cfg_file = tmp_path / "handbuilt.yaml"
    cfg_file.write_text(yaml.safe_dump(handbuilt.stack_config(adopt=False), sort_keys=False))
    from lab.env import lab_environment
    env = {**__import__("os").environ, **lab_environment(state_dir=tmp_path / "state")}
    host = handbuilt.deployment_config().ndes_hosts[0].fqdn
    blob = "MIAGCSqGSIb3DQEHAqCAMIACAQExDzANBglghkgBZQMEAgEFADCABgkqhkiG9w0BBwGggCSABIIF" * 2
    with control.LAB.edit_state(host) as st:  # what IIS logged of one device's request (with its SCEP message)
        st["iisLog"] = [f"2026-11-30 10:00:02 10.0.0.5 GET /certsrv/mscep/mscep.dll operation=PKIOperation&"
                        f"message={blob} 443 - 10.0.0.9 Dalvik/2.1.0 - 200 0 0 30"]
    bundle = tmp_path / "support.zip"
    t0 = time.monotonic()
    code, doc, err = run_verify("--config", str(cfg_file), "--bundle", str(bundle), env=env)
    elapsed = time.monotonic() - t0
    assert code == 1, err
    import zipfile
    with zipfile.ZipFile(bundle) as z:  # the raw logs, scrubbed: the SCEP message is gone, the status stays
        log = z.read(f"logs/{host}/mscep-iis.log").decode()
        events = json.loads(z.read(f"logs/{host}/events.json"))
        everything = "".join(z.read(n).decode() for n in z.namelist())
    assert "#Fields: date time" in log and "operation=PKIOperation&message=<removed:" in log and " 200 0 0 30" in log
    assert blob[:30] not in everything
    assert {e["logName"] for e in events["queryErrors"]} <= {"Application", "Microsoft-Intune-CertificateConnectors/Admin"}
    fails = {r["check"]: r for r in doc["results"] if r["status"] == "fail"}
    assert set(fails) == set(PLANTED), fails
    for check, (detail, fix) in PLANTED.items():
        assert detail in fails[check]["detail"], fails[check]
        assert fix in fails[check]["fix"], fails[check]
    assert not [r for r in doc["results"] if r["status"] == "warn"]
    assert "SCEP through the external URL ... pass" in err  # progress on stderr
    print(f"\nverify of the hand-built NDES: {len(doc['results'])} checks in {elapsed:.1f} s")


def test_verify_after_a_full_up_all_pass(lab_servers, tmp_path: Path):
    host = handbuilt.NDES["name"]
    store.reset_state(host, control.LAB.state_dir)
    with store.edit_state(host, control.LAB.state_dir) as st:
        installer = sim_connector.stage_installer(st)
    cli = lab_project(tmp_path, {**handbuilt.stack_overrides(adopt=False), "connector.installerPath": installer})
    try:
        t0 = time.monotonic()
        cli.up()
        t_up = time.monotonic() - t0
        with store.edit_state(host, control.LAB.state_dir) as st:  # the interactive registration, done
            sim_connector.register(st)
        # the engine on PATH, as an admin's shell has the official CLI (verify itself installs nothing)
        t0 = time.monotonic()
        code, doc, err = run_verify("--stack", "lab", "--project-dir", str(cli.project_dir), env=dict(cli.env))
        t_verify = time.monotonic() - t0
        bad = [r for r in doc.get("results", []) if r["status"] != "pass"]
        assert code == 0 and not bad, (bad, err[-2000:])
        assert doc["counts"]["pass"] >= 30
        print(f"\nfull up {t_up:.1f} s; verify --stack {t_verify:.1f} s ({doc['counts']['pass']} checks)")
    finally:
        cli.destroy(check=False)
