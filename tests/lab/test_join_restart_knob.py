"""The WinRM simulator's joinRestart knob (lab/winrm_sim/join_restart.py), without a simulator process: which
answer sets the restart off, that it fires once, and that a host going down answers nothing more."""
from __future__ import annotations

import threading

import pytest

from lab.winrm_sim import join_restart, wsman


class FakeRuntime:
    def __init__(self, name="ndes1.lab.contoso.test"):
        self.name = name
        self.reboots: list[float] = []
        self.release = threading.Event()
        self.done = threading.Event()

    def reboot(self, seconds):
        self.reboots.append(seconds)
        self.release.wait(5)  # the listener takes a while to close
        self.done.set()


@pytest.fixture(autouse=True)
def clean():
    join_restart.reset()
    yield
    join_restart.reset()


DONE_BODY = f"<rsp:CommandState State='{wsman.DONE}'/>".encode()


def test_restarts_once_right_after_the_first_finished_answer():
    rt = FakeRuntime()
    join_restart.arm("NDES1.lab.contoso.test", 4)
    join_restart.after_answer(rt, "Command", b"<ok/>")          # not an answer with a result
    join_restart.after_answer(rt, "Receive", b"<running/>")      # output still coming
    assert not join_restart.refuses(rt) and rt.reboots == []
    join_restart.after_answer(rt, "Receive", DONE_BODY)
    assert join_restart.refuses(rt)  # going down: requests are dropped while the listener closes
    join_restart.after_answer(rt, "Receive", DONE_BODY)          # disarmed: no second restart
    rt.release.set()
    assert rt.done.wait(5)
    for _ in range(50):
        if not join_restart.refuses(rt):
            break
        threading.Event().wait(0.02)
    assert rt.reboots == [4.0] and not join_restart.refuses(rt) and join_restart.armed() == {}


def test_an_unarmed_host_never_restarts():
    rt = FakeRuntime()
    join_restart.arm("ndes2.lab.contoso.test", 4)
    join_restart.after_answer(rt, "Receive", DONE_BODY)
    assert rt.reboots == [] and not join_restart.refuses(rt)
    assert join_restart.armed() == {"ndes2.lab.contoso.test": 4.0}
