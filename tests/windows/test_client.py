"""The WinRM client against the simulator: pywinrm over verified HTTPS with NTLM, the script protocol, errors,
retries and restarts."""
from __future__ import annotations

import socket
import threading

import pytest

from lab.winrm_sim import store
from ndes.windows import (AuthenticationFailed, Endpoint, ScriptFailed, TlsFailure, Unreachable, WindowsHost,
                          WindowsHostError)
from ndes.windows import _session

from .conftest import NDES1, make_endpoint

pytestmark = pytest.mark.slow

HOSTILE = ("q\"uote's $(Get-Date) `backtick`; Remove-Item C:\\ -Recurse; --% %PATH% & | > < @{a=1} ${env:x}"
           "\r\nsecond line\ttab \x01\x1f\x7f ünïcødé 日本語 😀 '@ \"@")
REG = r"HKLM:\SOFTWARE\Pulumi\NDES\Test"


def test_run_script_returns_the_scripts_json_and_reuses_one_shell(sim, endpoint):
    host = WindowsHost(endpoint)
    first = host.run_script("HostBoot", {"mode": "get"})
    second = host.run_script("HostBoot", {"mode": "get"})
    assert first["state"]["bootId"] == second["state"]["bootId"] == sim.read_state(NDES1)["boot"]["bootId"]
    assert first["changed"] is False and first["warnings"] == []
    stats = sim.stats()[NDES1]
    assert stats["Create"] == 1, stats  # one shell for both runs
    assert stats["Command"] == 2 and stats["Send"] == 2 and stats["Receive"] == 2
    assert stats.get("authFailures", 0) == 0


def test_wrong_password_is_a_clear_error_without_the_password(sim):
    secret = "Wr0ng-Secret-Do-Not-Print!"
    ep = make_endpoint(sim, password=secret)
    with pytest.raises(AuthenticationFailed) as info:
        WindowsHost(ep).run_script("HostBoot", {"mode": "get"})
    text = str(info.value) + repr(info.value) + repr(ep) + repr(info.value.__cause__)
    assert secret not in text
    assert "refused the credentials" in str(info.value) and NDES1 in str(info.value)
    assert "LAB\\pulumi-winrm" in str(info.value)


class _Forwarder:
    """A TCP relay from 127.0.0.1:<port> to the simulated host, so the client connects by a name (localhost)
    the host's certificate does not hold while TLS still runs end to end with the host."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target)
            except OSError:
                client.close()
                continue
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(a: socket.socket, b: socket.socket) -> None:
        try:
            while data := a.recv(65536):
                b.sendall(data)
        except OSError:
            pass
        finally:
            for s in (a, b):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self) -> None:
        self.sock.close()


def test_tls_name_mismatch_is_a_clear_error(sim):
    fwd = _Forwarder((sim.address_of(NDES1), 5986))
    try:
        ep = make_endpoint(sim, url=f"https://localhost:{fwd.port}/wsman")
        with pytest.raises(TlsFailure) as info:
            WindowsHost(ep).run_script("HostBoot", {"mode": "get"})
    finally:
        fwd.close()
    msg = str(info.value)
    assert "did not verify" in msg and "localhost" in msg and NDES1 in msg
    assert "mismatch" in msg.lower() or "doesn't match" in msg.lower()


def test_untrusted_certificate_is_a_tls_error(sim, tmp_path):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    import datetime as dt
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "Some Other CA")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(now).not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True).sign(key, hashes.SHA256()))
    ep = make_endpoint(sim, ca_bundle_pem=cert.public_bytes(serialization.Encoding.PEM).decode())
    with pytest.raises(TlsFailure, match="certificate verify failed"):
        WindowsHost(ep).run_script("HostBoot", {"mode": "get"})


def test_insecure_skip_tls_verify_is_the_only_way_around_tls(sim):
    fwd = _Forwarder((sim.address_of(NDES1), 5986))
    try:
        ep = make_endpoint(sim, url=f"https://localhost:{fwd.port}/wsman", ca_bundle_pem=None,
                           insecure_skip_tls_verify=True)
        assert WindowsHost(ep).run_script("HostBoot", {"mode": "get"})["state"]["bootId"]
    finally:
        fwd.close()


def test_a_scripts_json_error_is_script_failed_with_script_and_host(sim, endpoint):
    with pytest.raises(ScriptFailed) as info:
        WindowsHost(endpoint).run_script("RegistryValues", {"mode": "set", "values": [
            {"path": REG, "name": "Count", "type": "DWord", "value": "not a number"}]})
    exc = info.value
    assert exc.script == "RegistryValues" and exc.host == NDES1 and exc.category == "InvalidArgument"
    assert 'Cannot convert value "not a number"' in exc.message
    assert str(exc).startswith(f"failed to run script 'RegistryValues' on {NDES1}: ")


def test_unknown_script_names_are_refused_before_any_request(endpoint):
    with pytest.raises(ValueError):
        WindowsHost(endpoint).run_script("../evil", {"mode": "get"})
    with pytest.raises(ValueError):
        WindowsHost(endpoint).run_script("NoSuchScript", {"mode": "get"})


def test_hostile_values_arrive_unchanged_and_are_never_executed(sim, endpoint):
    host = WindowsHost(endpoint)
    values = [{"path": REG, "name": "Plain", "type": "String", "value": HOSTILE},
              {"path": REG, "name": HOSTILE.replace("\\", "/")[:60], "type": "String", "value": "named oddly"},
              {"path": REG, "name": "Many", "type": "MultiString", "value": [HOSTILE, "--%", "$()", "`;"]}]
    out = host.run_script("RegistryValues", {"mode": "set", "values": values})
    assert out["changed"] is True
    # what the host holds (read behind the client's back) is byte for byte what was sent
    st = sim.read_state(NDES1)
    key = st["registry"][REG.lower()]["values"]
    assert key["plain"]["value"] == HOSTILE
    assert key[HOSTILE.replace("\\", "/")[:60].lower()]["value"] == "named oddly"
    assert key["many"]["value"] == [HOSTILE, "--%", "$()", "`;"]
    # and reads back unchanged through the script's JSON (non-ASCII travels escaped)
    got = host.run_script("RegistryValues", {"mode": "get", "values": values})
    assert [v["value"] for v in got["state"]["values"]] == [HOSTILE, "named oddly", [HOSTILE, "--%", "$()", "`;"]]
    again = host.run_script("RegistryValues", {"mode": "set", "values": values})
    assert again["changed"] is False


def test_a_dropped_connection_is_retried_once_for_a_get(sim, endpoint):
    host = WindowsHost(endpoint)
    host.run_script("HostBoot", {"mode": "get"})
    sim.reset_stats()
    sim.drop(NDES1, "Receive")
    assert host.run_script("HostBoot", {"mode": "get"})["state"]["bootId"]
    stats = sim.stats()[NDES1]
    assert stats["Command"] == 2 and stats["Receive"] == 2, stats


def test_a_dropped_connection_during_a_set_is_not_repeated(sim, endpoint):
    host = WindowsHost(endpoint)
    values = [{"path": REG, "name": "Once", "type": "DWord", "value": 7}]
    sim.drop(NDES1, "Receive")
    with pytest.raises(Unreachable, match="may have run"):
        host.run_script("RegistryValues", {"mode": "set", "values": values})
    assert sim.stats()[NDES1]["Command"] == 1
    # it did run once; a re-run converges without a change
    assert host.run_script("RegistryValues", {"mode": "set", "values": values})["changed"] is False


def test_a_drop_before_the_command_was_accepted_is_retried_for_a_set(sim, endpoint):
    host = WindowsHost(endpoint)
    sim.drop(NDES1, "Command")
    out = host.run_script("RegistryValues", {"mode": "set", "values": [
        {"path": REG, "name": "Safe", "type": "DWord", "value": 1}]})
    assert out["changed"] is True
    assert sim.stats()[NDES1]["Send"] == 1


def test_http_500_is_a_clear_error(sim, endpoint):
    sim.fail(NDES1, "Command", status=500)
    with pytest.raises(Unreachable) as info:
        WindowsHost(endpoint).run_script("HostBoot", {"mode": "get"})
    assert "HTTP 500" in str(info.value) and NDES1 in str(info.value)


def test_a_script_that_does_not_finish_in_time_is_an_operation_timeout(sim, endpoint):
    import time
    from ndes.windows import OperationTimeout
    host = WindowsHost(endpoint)
    sim.hang(NDES1)
    t0 = time.monotonic()
    with pytest.raises(OperationTimeout, match="may still be running"):
        host.run_script("HostBoot", {"mode": "get"}, timeout=5)
    assert 5 <= time.monotonic() - t0 < 15
    assert sim.stats()[NDES1]["Signal"] >= 1  # the hung command was told to terminate
    assert host.run_script("HostBoot", {"mode": "get"})["state"]["bootId"]  # and the shell still works


def test_a_set_mode_script_that_outlasts_the_timeout_is_left_running_and_its_end_is_polled(sim, endpoint):
    """Issue 13 item 5: a client timeout must not terminate a change under way on the host (a terminated NDES
    install leaves a half-finished configuration); the client stops waiting and polls the host's state."""
    import time
    from ndes.windows import StillRunning
    host = WindowsHost(endpoint)
    values = [{"path": REG, "name": "LongChange", "type": "DWord", "value": 42}]

    def probe():
        return host.run_script("RegistryValues", {"mode": "get", "values": values})["state"]

    def done(st) -> bool:
        return st["values"][0]["value"] == 42

    assert not done(probe())
    sim.reset_stats()
    sim.slow(NDES1, 5)  # this run takes 5 s; its work is done at its end unless it is terminated first
    t0 = time.monotonic()
    with pytest.raises(StillRunning, match="not terminated"):
        host.run_script("RegistryValues", {"mode": "set", "values": values}, timeout=1)
    assert time.monotonic() - t0 < 5
    assert sim.stats()[NDES1].get("Signal", 0) == 0  # never told to terminate
    assert not done(probe())  # still under way
    assert done(host.settle(probe, done, what="the registry change", budget=30, first=0.5))


def test_a_host_that_refuses_connections_is_unreachable(sim):
    ep = make_endpoint(sim, url="https://127.0.0.1:1/wsman")
    with pytest.raises(Unreachable, match="refused"):
        WindowsHost(ep).run_script("HostBoot", {"mode": "get"})


def test_reboot_and_wait_returns_on_a_new_boot_and_the_client_continues(sim, endpoint):
    sim.knobs(rebootSeconds=2)
    host = WindowsHost(endpoint)
    before = host.boot_id()
    host.reboot_and_wait(timeout=60, poll=0.5)
    after = host.boot_id()
    assert after != before
    assert sim.read_state(NDES1)["boot"]["bootId"] == after


def test_a_shell_lost_to_a_restart_is_replaced_transparently(sim, endpoint):
    import time
    host = WindowsHost(endpoint)
    before = host.boot_id()
    sim.reboot(NDES1, seconds=1)
    time.sleep(1.5)
    assert host.boot_id() != before


def test_windows_host_error_is_the_base_of_every_error():
    for cls in (AuthenticationFailed, TlsFailure, Unreachable, ScriptFailed):
        assert issubclass(cls, WindowsHostError)


def test_endpoint_refuses_plain_http_and_unknown_auth():
    with pytest.raises(ValueError, match="HTTPS"):
        Endpoint(host="h", url="http://h:5985/wsman", username="u", password="p")
    with pytest.raises(ValueError, match="auth"):
        Endpoint(host="h", url="https://h:5986/wsman", username="u", password="p", auth="basic")
    assert "p4ss" not in repr(Endpoint(host="h", url="https://h:5986/wsman", username="u", password="p4ss"))


def test_sessions_are_cached_per_endpoint(sim, endpoint):
    assert _session.session_for(endpoint) is _session.session_for(endpoint)
    other = make_endpoint(sim, operation_timeout=61)
    assert _session.session_for(other) is _session.session_for(endpoint)  # same connection settings


def test_state_store_is_shared_with_the_server(sim, endpoint):
    with sim.edit_state(NDES1) as st:
        st["boot"]["bootId"] = "edited-behind-the-back"
    assert WindowsHost(endpoint).boot_id() == "edited-behind-the-back"
    assert store.state_path(NDES1, sim.state_dir).is_file()
