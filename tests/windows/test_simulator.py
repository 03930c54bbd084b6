"""The simulator is an honest WS-Management peer: pywinrm's own Protocol talks to it unchanged, it runs only the
project's bootstrap with the project's scripts byte for byte, and it answers bad requests as Windows does."""
from __future__ import annotations

import base64
import json

import pytest
import requests
from winrm.exceptions import WSManFaultError
from winrm.protocol import Protocol

from lab import pki, topology
from lab.secrets import lab_secret
from ndes.windows import _scripts

from .conftest import NDES1

pytestmark = pytest.mark.slow


@pytest.fixture
def proto(sim):
    p = Protocol(endpoint=sim.url_of(NDES1), transport="ntlm", username=topology.WINRM_USER,
                 password=lab_secret("winrm-password"), ca_trust_path=str(pki.ca_bundle_path()),
                 server_cert_validation="validate", operation_timeout_sec=5, read_timeout_sec=10)
    shell = p.open_shell()
    yield p, shell
    p.close_shell(shell)


def run(p: Protocol, shell: str, command: str, args: list[str], stdin: bytes | None, *, console: bool = False):
    cid = p.run_command(shell, command, args, skip_cmd_shell=False, console_mode_stdin=console)
    if stdin is not None:
        p.send_command_input(shell, cid, stdin, end=True)
    out, err, code = p.get_command_output(shell, cid)
    p.cleanup_command(shell, cid)
    return out, err, code


def test_the_real_bootstrap_with_a_real_script_runs(proto):
    p, shell = proto
    cmd, args = _scripts.bootstrap_command()
    out, _, code = run(p, shell, cmd, list(args), _scripts.stdin_line("HostBoot", {"mode": "get"}).encode())
    assert code == 0 and json.loads(out)["state"]["bootId"]


def test_console_mode_stdin_never_reaches_the_script(proto):
    """WINRS_CONSOLEMODE_STDIN=TRUE gives the child a console, not a pipe: PowerShell fills $input only from
    redirected stdin, so the bootstrap reads nothing and fails; the same bytes through a pipe run the script."""
    p, shell = proto
    cmd, args = _scripts.bootstrap_command()
    line = _scripts.stdin_line("HostBoot", {"mode": "get"}).encode()
    out, _, code = run(p, shell, cmd, list(args), line, console=True)
    assert code == 1 and "empty string" in json.loads(out)["error"]["message"]
    out, _, code = run(p, shell, cmd, list(args), line, console=False)
    assert code == 0 and json.loads(out)["state"]["bootId"]


def test_a_tampered_script_is_refused(proto):
    p, shell = proto
    cmd, args = _scripts.bootstrap_command()
    line = json.loads(_scripts.stdin_line("HostBoot", {"mode": "get"}))
    line["source"] = base64.b64encode(_scripts.script_bytes("HostBoot") + b"\nRemove-Item C:\\ -Recurse\n").decode()
    out, _, code = run(p, shell, cmd, list(args), json.dumps(line).encode())
    err = json.loads(out)["error"]
    assert code == 1 and err["category"] == "NotImplemented" and "unchanged" in err["message"]


def test_a_tampered_prelude_is_refused(proto):
    p, shell = proto
    cmd, args = _scripts.bootstrap_command()
    line = json.loads(_scripts.stdin_line("HostBoot", {"mode": "get"}))
    line["prelude"] = base64.b64encode(_scripts.prelude_bytes() + b"\nRestart-Computer -Force\n").decode()
    out, _, code = run(p, shell, cmd, list(args), json.dumps(line).encode())
    err = json.loads(out)["error"]
    assert code == 1 and err["category"] == "NotImplemented" and "prelude" in err["message"]


def test_any_other_powershell_is_not_run(proto):
    p, shell = proto
    other = base64.b64encode("Get-Date".encode("utf-16-le")).decode()
    out, err, code = run(p, shell, "powershell.exe", ["-EncodedCommand", other], None)
    assert code == 1 and out == b"" and b"only" in err


def test_an_unknown_program_is_not_found(proto):
    p, shell = proto
    _, err, code = run(p, shell, "format.com", ["C:"], None)
    assert code == 1 and b"is not recognized" in err


def test_an_unknown_shell_is_a_windows_shaped_fault(proto):
    p, _ = proto
    with pytest.raises(WSManFaultError) as info:
        p.run_command("11111111-2222-3333-4444-555555555555", "powershell.exe", [])
    assert info.value.wsman_fault_code == 2150858843 and "shell was not found" in info.value.reason


def test_malformed_xml_is_a_fault_and_no_credentials_is_401(sim):
    url = sim.url_of(NDES1)
    r = requests.post(url, data=b"<not-soap", verify=str(pki.ca_bundle_path()))
    assert r.status_code == 401 and r.headers["WWW-Authenticate"] == "Negotiate"
    from requests_ntlm import HttpNtlmAuth
    r = requests.post(url, data=b"<not-soap", verify=str(pki.ca_bundle_path()),
                      auth=HttpNtlmAuth(topology.WINRM_USER, lab_secret("winrm-password")),
                      headers={"Content-Type": "application/soap+xml;charset=UTF-8"})
    assert r.status_code == 500 and b"WSManFault" in r.content and b"2150858817" in r.content


def test_state_persists_across_a_restart_of_the_simulator(sim, tmp_path):
    with sim.edit_state(NDES1) as st:
        st["localUsers"].append("NDES1\\persisted")
    sim.down()
    try:
        sim.up()
        assert "NDES1\\persisted" in sim.read_state(NDES1)["localUsers"]
        assert sim.health()["hosts"][NDES1]["up"]
    finally:
        sim.up()


def test_a_shell_idle_past_its_idle_timeout_is_closed_like_windows_does(proto, sim):
    proto, _ = proto
    """The engine kills a provider without running its exit handlers, so a reused shell is left open; the host
    closes it after its IdleTimeOut (the client asks for a short one), and the quota never fills up."""
    import time

    shell = proto.open_shell(noprofile=True, idle_timeout="PT1.000S")
    assert sim.shell_counts()[NDES1] >= 1
    time.sleep(1.6)
    with pytest.raises(WSManFaultError):
        proto.run_command(shell, "powershell.exe", ["-NoProfile"])
    kept = proto.open_shell(noprofile=True)  # the default (two hours) stays open
    time.sleep(1.2)
    proto.close_shell(kept)


def test_a_malformed_idle_timeout_is_refused(proto):
    proto, _ = proto
    with pytest.raises(WSManFaultError, match="IdleTimeOut"):
        proto.open_shell(idle_timeout="soon")


def test_the_client_asks_for_a_short_idle_timeout():
    from ndes.windows._session import SHELL_IDLE_TIMEOUT
    from lab.winrm_sim.shells import parse_duration
    assert 60 <= parse_duration(SHELL_IDLE_TIMEOUT) <= 600
    assert parse_duration("PT2H") == 7200 and parse_duration("P1DT1M") == 86460 and parse_duration("x") is None
