"""reboot_and_wait sends the restart again when the request cannot have run: a host whose WinRM refused the
restart request (restarting, a blip) answers later with its old boot and would never restart by itself; the
wait used to run out its whole timeout (ndes:httpSys.rebootTimeout, 900 s) and fail."""
from __future__ import annotations

import pytest

from ndes.windows import _host
from ndes.windows._endpoint import Endpoint
from ndes.windows._exceptions import OperationTimeout, ScriptFailed, Unreachable
from ndes.windows._session import Dropped


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


class Host(_host.WindowsHost):
    """A host whose answers to the restart request are scripted: 'refused' (never reached it), 'lost' (accepted,
    answer lost, not run), 'shutting' (ScriptFailed: shutdown in progress), 'ok' (runs: the next read is a new boot)."""

    def __init__(self, answers: list[str]) -> None:
        super().__init__(Endpoint(host="ndes1", url="https://ndes1:5986/wsman", username="u", password="p"))
        self.answers = answers
        self.boot = "boot-1"
        self.sent = 0

    def run_script(self, name, params, *, timeout=None):
        assert name == "HostBoot"
        if params["mode"] == "get":
            return {"state": {"bootId": self.boot}}
        self.sent += 1
        answer = self.answers.pop(0) if self.answers else "ok"
        if answer == "refused":
            raise Unreachable("refused") from Dropped("refused", accepted=False)
        if answer == "lost":
            raise Unreachable("broke") from Dropped("broke", accepted=True)
        if answer == "shutting":
            raise ScriptFailed("HostBoot", "ndes1", "A system shutdown is in progress.", "InvalidOperation")
        self.boot = f"boot-{self.sent + 1}"
        return {"state": {"bootId": "boot-1"}, "changed": True}


@pytest.fixture
def clock(monkeypatch):
    c = FakeClock()
    monkeypatch.setattr(_host.time, "monotonic", c.monotonic)
    monkeypatch.setattr(_host.time, "sleep", c.sleep)
    monkeypatch.setattr(_host, "forget", lambda *a, **k: None)
    return c


def test_a_refused_request_is_sent_again_at_the_first_old_boot_answer(clock):
    host = Host(["refused"])
    host.reboot_and_wait(timeout=900, poll=2)
    assert host.sent == 2 and host.boot != "boot-1" and clock.now <= 4


def test_a_lost_answer_waits_before_sending_again(clock):
    host = Host(["lost"])
    host.reboot_and_wait(timeout=900, poll=2, resend_after=120)
    assert host.sent == 2 and 120 <= clock.now <= 130


def test_a_shutdown_in_progress_is_waited_for(clock):
    host = Host(["lost", "shutting", "ok"])
    host.reboot_and_wait(timeout=900, poll=2, resend_after=60)
    assert host.sent == 3 and host.boot != "boot-1"


def test_a_host_that_never_restarts_still_times_out(clock):
    host = Host(["refused"] * 1000)
    with pytest.raises(OperationTimeout, match="did not come back with a new boot within 300 s"):
        host.reboot_and_wait(timeout=300, poll=2)


def test_an_answered_request_is_not_sent_twice_before_resend_after(clock):
    host = Host([])
    host.reboot_and_wait(timeout=900, poll=2)
    assert host.sent == 1
