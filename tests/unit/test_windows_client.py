"""The Windows client without a server: endpoint rules, the script protocol's wire format, error mapping."""
from __future__ import annotations

import base64
import json

import pytest
import requests
from winrm.exceptions import InvalidCredentialsError, WinRMTransportError, WSManFaultError

import ndes.windows as win
from ndes.windows import _scripts
from ndes.windows._session import Dropped, map_error

SECRET = "S3cret-Pa55word!"
EP = win.Endpoint(host="ndes1.contoso.com", url="https://ndes1.contoso.com:5986/wsman", username="CONTOSO\\pulumi",
                  password=SECRET)


def test_public_api_is_exactly_the_documented_names():
    assert sorted(win.__all__) == ["AuthenticationFailed", "Endpoint", "OperationTimeout", "ScriptFailed",
                                   "StillRunning", "TlsFailure", "Unreachable", "WindowsHost", "WindowsHostError"]


def test_endpoint_never_shows_the_password():
    assert SECRET not in repr(EP) and SECRET not in repr(win.WindowsHost(EP))


def test_bootstrap_command_carries_the_bootstrap_file_as_utf16_base64():
    cmd, args = _scripts.bootstrap_command()
    assert cmd == "powershell.exe"
    assert list(args[:-1]) == ["-NoProfile", "-NonInteractive", "-ExecutionPolicy", "Bypass", "-EncodedCommand"]
    text = base64.b64decode(args[-1]).decode("utf-16-le")
    assert text == (_scripts.SCRIPTS_DIR / "_bootstrap.ps1").read_text(encoding="utf-8")
    # WinRS may wrap the command in `cmd.exe /C` even with WINRS_SKIP_CMD_SHELL: cmd.exe takes at most 8,191
    # characters (Microsoft KB 830473, "Command prompt (Cmd.exe) command-line string limitation")
    assert len("cmd.exe /C " + " ".join((cmd, *args))) < 8191


def test_stdin_line_is_one_ascii_json_line_with_the_scripts_bytes_and_the_params():
    params = {"mode": "get", "value": "ü $(x) `n\";--% 日本"}
    line = _scripts.stdin_line("HostBoot", params)
    assert line.endswith("\r\n") and line.count("\n") == 1 and line.isascii()
    doc = json.loads(line)
    assert doc["script"] == "HostBoot"
    assert base64.b64decode(doc["source"]) == (_scripts.SCRIPTS_DIR / "HostBoot.ps1").read_bytes()
    assert base64.b64decode(doc["prelude"]) == (_scripts.SCRIPTS_DIR / "_prelude.ps1").read_bytes()
    assert json.loads(base64.b64decode(doc["params"]).decode("utf-8")) == params


@pytest.mark.parametrize("name", ["../x", "_bootstrap", "hostBoot", "Host Boot", "NoSuchScript", ""])
def test_only_our_scripts_can_be_named(name):
    with pytest.raises(ValueError):
        _scripts.stdin_line(name, {"mode": "get"})


def test_every_product_script_starts_with_the_params_header():
    for path in _scripts.SCRIPTS_DIR.glob("[A-Z]*.ps1"):
        assert "param([Parameter(Mandatory)] $Params)" in path.read_text(), path.name


def _http_error(status: int, body: bytes = b"") -> WinRMTransportError:
    return WinRMTransportError("http", status, body.decode())


@pytest.mark.parametrize("exc,cls,text", [
    (InvalidCredentialsError("rejected"), win.AuthenticationFailed, "refused the credentials of 'CONTOSO\\pulumi'"),
    (requests.exceptions.SSLError("certificate verify failed: Hostname mismatch"), win.TlsFailure, "did not verify"),
    (WinRMTransportError("http", 500, "<html>oops</html>"), win.Unreachable, "answered HTTP 500"),
    (WSManFaultError(500, "m", "r", "Access is denied. ", wsman_fault_code=5), win.WindowsHostError,
     "fault 5: Access is denied."),
])
def test_errors_are_mapped_to_our_tree(exc, cls, text):
    mapped = map_error(exc, EP, "run script 'X'", accepted=False)
    assert isinstance(mapped, cls) and text in str(mapped)
    assert str(mapped).startswith("failed to run script 'X' on ndes1.contoso.com: ")


def test_a_broken_connection_is_dropped_with_whether_the_command_was_accepted():
    exc = requests.exceptions.ConnectionError("Connection aborted, RemoteDisconnected")
    assert map_error(exc, EP, "x", accepted=True).accepted is True
    refused = requests.exceptions.ConnectionError(ConnectionRefusedError(111, "Connection refused"))
    mapped = map_error(refused, EP, "x", accepted=True)
    assert isinstance(mapped, Dropped) and mapped.accepted is False


def test_the_password_is_scrubbed_from_any_text_passed_on():
    mapped = map_error(WinRMTransportError("http", 500, f"echo {SECRET}"), EP, "x", accepted=False)
    assert SECRET not in str(mapped) and "***" in str(mapped)


def test_a_scripts_json_error_becomes_script_failed():
    host = win.WindowsHost(EP)
    out = json.dumps({"error": {"message": f"bad {SECRET}", "category": "InvalidArgument"}}).encode()
    with pytest.raises(win.ScriptFailed) as info:
        host._parse("RegistryValues", out, b"", 1)
    assert info.value.script == "RegistryValues" and info.value.host == "ndes1.contoso.com"
    assert info.value.category == "InvalidArgument" and SECRET not in str(info.value)


def test_output_that_is_not_json_is_script_failed_with_stderr():
    with pytest.raises(win.ScriptFailed, match="exit code 1 without a JSON result: boom"):
        win.WindowsHost(EP)._parse("HostBoot", b"", b"boom", 1)


def test_a_result_gets_the_protocol_defaults():
    doc = win.WindowsHost(EP)._parse("HostBoot", b'{"state": {"a": 1}}', b"", 0)
    assert doc == {"state": {"a": 1}, "changed": False, "rebootRequired": False, "warnings": []}


@pytest.mark.parametrize("auth", ["ntlm", "kerberos", "credssp"])
def test_auth_method_and_tls_settings_reach_pywinrm(auth):
    from pathlib import Path
    from ndes.windows import _session
    pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
    ep = win.Endpoint(host="h.contoso.com", url="https://h.contoso.com:5986/wsman", username="CONTOSO\\u",
                      password=SECRET, auth=auth, ca_bundle_pem=pem)
    transport = _session._Session(ep).protocol.transport
    assert transport.auth_method == auth and transport.server_cert_validation == "validate"
    assert Path(transport.ca_trust_path).read_text() == pem
    insecure = win.Endpoint(host="h", url="https://h:5986/wsman", username="u", password="p",
                            insecure_skip_tls_verify=True)
    assert _session._Session(insecure).protocol.transport.server_cert_validation == "ignore"
    assert _session._Session(win.Endpoint(host="h", url="https://h:5986/wsman", username="u", password="p")) \
        .protocol.transport.ca_trust_path is None  # the system store, not an environment variable


def test_the_ca_file_is_safe_under_the_engines_concurrent_operations():
    """Four provider operations at once (the dynamic provider's limit) must not race on the CA bundle file."""
    from concurrent.futures import ThreadPoolExecutor
    from pathlib import Path

    from ndes.windows import _session

    pem = "-----BEGIN CERTIFICATE-----\nconcurrency\n-----END CERTIFICATE-----\n"
    for _ in range(20):
        with ThreadPoolExecutor(max_workers=8) as pool:
            paths = list(pool.map(lambda _i: _session._ca_file(pem), range(8)))
        assert len(set(paths)) == 1 and Path(paths[0]).read_text() == pem
        Path(paths[0]).unlink()


class _FakeProtocol:
    """Records what the client asks pywinrm for; answers one successful run."""

    def __init__(self) -> None:
        self.options: list[dict] = []
        self.sent = b""

    def run_command(self, shell, command, args, **options):
        self.options.append(options)
        return "CMD"

    def send_command_input(self, shell, command_id, data, end=False):
        self.sent += data

    def get_command_output_raw(self, shell, command_id):
        return b'{"state": {}}', b"", 0, True

    def cleanup_command(self, shell, command_id):
        pass


def test_stdin_goes_through_a_pipe_not_a_console(monkeypatch):
    """PowerShell fills $input only from redirected stdin: console-mode stdin would leave the bootstrap empty."""
    import threading

    from ndes.windows import _host

    fake = _FakeProtocol()

    class _Sess:
        lock = threading.Lock()
        protocol = fake

        def shell(self):
            return "SHELL"

        def reset(self):
            pass

    monkeypatch.setattr(_host, "session_for", lambda _ep: _Sess())
    assert win.WindowsHost(EP).run_script("HostBoot", {"mode": "get"})["state"] == {}
    assert fake.options == [{"console_mode_stdin": False, "skip_cmd_shell": True}]
    assert json.loads(fake.sent)["script"] == "HostBoot"


def test_a_byte_order_mark_before_the_json_is_tolerated():
    doc = win.WindowsHost(EP)._parse("HostBoot", "\ufeff".encode("utf-8") + b'{"state": {"bootId": "x"}}', b"", 0)
    assert doc["state"] == {"bootId": "x"}
