"""The README's first command and its counterpart: ./lab/up deploys the lab stack and ends with the probe
through the external URL; ./lab/down stops every lab process by its pid and leaves none running."""
import json
import os
import socket
import subprocess

import pytest

from lab.topology import APP_PROXY, CA, DC, GRAPH, NDES_HOSTS

from .lab_chain import ensure_lab_servers
from .pulumi_cli import REPO_ROOT

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def _listening(address: str, port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex((address, port)) == 0


def _lab_pids() -> dict[str, int]:
    """The pids the lab's own instances recorded (tests' private simulator instances are not the lab's)."""
    out = {}
    lab = REPO_ROOT / ".lab"
    for path in [*lab.glob("*.pid"), *lab.glob("*/*.pid"), lab / "graph_sim" / "pid"]:
        try:
            out[str(path.relative_to(REPO_ROOT))] = int(path.read_text().split()[0])
        except (OSError, ValueError, IndexError):
            continue
    return out


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    state = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0]
    return state != "Z"


def test_lab_up_deploys_and_probes_then_lab_down_stops_everything():
    up = subprocess.run(["./lab/up"], cwd=REPO_ROOT, capture_output=True, text=True, timeout=1800)
    assert up.returncode == 0, up.stdout[-3000:] + up.stderr[-3000:]
    for step in ("==> Samba AD DC", "==> Windows host simulator", "==> Graph + App Proxy simulator",
                 "==> pulumi up on the lab stack", "==> probe through the external URL"):
        assert step in up.stdout  # progress is visible while it works
    assert "GetCACaps 200" in up.stdout and "GetCACert 200" in up.stdout
    assert "https://ndes1-lab.msappproxy.net/certsrv/mscep/mscep.dll" in up.stdout  # the stack outputs
    # scepclient enrolled a certificate of each type through the chain, each as its profile asked (subject, SANs)
    # and from the template its key usage maps to through MSCEP (issue 20)
    assert "NDES VPN user - Windows 10 and later (user certificate)" in up.stdout, up.stdout[-3000:]
    assert "NDES WiFi device - Windows 10 and later (device certificate)" in up.stdout, up.stdout[-3000:]
    assert "template: NDES-Intune (MSCEP GeneralPurposeTemplate)" in up.stdout, up.stdout[-3000:]
    assert "template: NDES-Intune-Signature (MSCEP SignatureTemplate)" in up.stdout, up.stdout[-3000:]

    # ndes verify, read-only, on what ./lab/up deployed: every check passes
    from lab.env import lab_environment
    verify = subprocess.run([str(REPO_ROOT / ".venv/bin/ndes"), "verify", "--stack", "lab", "--json"], cwd=REPO_ROOT,
                            env={**os.environ, **lab_environment()}, capture_output=True, text=True, timeout=600)
    assert verify.returncode == 0, verify.stdout[-3000:] + verify.stderr[-2000:]
    report = json.loads(verify.stdout)
    assert report["status"] == "pass" and report["counts"]["fail"] == 0 and report["counts"]["pass"] >= 30, report

    pids = _lab_pids()
    assert len(pids) >= 3, pids  # Samba, the Windows host simulator, the Graph simulator
    try:
        down = subprocess.run(["./lab/down"], cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)
        assert down.returncode == 0, down.stdout + down.stderr
        assert [f"{name}: {pid}" for name, pid in pids.items() if _alive(pid)] == []
        for addr, port in [(DC["address"], DC["ldaps_port"]), (CA["address"], CA["winrm_port"]),
                           (NDES_HOSTS[0]["address"], NDES_HOSTS[0]["winrm_port"]),
                           (NDES_HOSTS[0]["address"], NDES_HOSTS[0]["https_port"]),
                           (GRAPH["address"], GRAPH["https_port"]), (APP_PROXY["address"], APP_PROXY["https_port"])]:
            assert not _listening(addr, port), f"{addr}:{port} still answers after ./lab/down"
        assert "ndes-lab begin" not in open("/etc/hosts").read()
    finally:
        ensure_lab_servers()  # the tests after this one use the lab
