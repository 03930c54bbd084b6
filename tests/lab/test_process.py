"""lab/process.py, the one process helper of the lab's launchers (Samba, its replica, the WinRM and Graph
simulators), on real processes: a tiny Python HTTP server stands for a lab server. No lab server is needed."""
from __future__ import annotations

import socket
import sys
import urllib.request
from pathlib import Path

import pytest

from lab import process


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1) as r:
            return r.status == 200
    except OSError:
        return False


@pytest.fixture
def server(tmp_path: Path):
    port = _free_port()
    log, pid_file = tmp_path / "server.log", tmp_path / "server.pid"
    proc = process.spawn([sys.executable, "-m", "http.server", "--bind", "127.0.0.1", str(port)], log=log,
                         pid_file=pid_file, cwd=tmp_path, banner="===== starting the test server =====")
    try:
        yield proc, port, log, pid_file
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)


def test_spawn_detaches_writes_the_pid_file_and_waits_until_it_answers(server):
    proc, port, log, pid_file = server
    assert process.read_pid(pid_file) == proc.pid
    assert process.wait_for(lambda: _answers(port), 20, 0.1) is True
    stat = process.proc_stat(proc.pid)
    assert stat is not None and stat[3] == proc.pid  # its own session: the caller's signals do not reach it
    assert process.runs(proc.pid, "http.server", str(port))
    assert not process.runs(proc.pid, "lab.winrm_sim")  # a pid is ours only with our command line
    assert process.tail(log).startswith("\n===== starting the test server =====")


def test_stop_terminates_reaps_and_is_not_alive_after(server):
    proc, port, _log, _pid = server
    process.wait_for(lambda: _answers(port), 20, 0.1)
    assert process.stop(proc.pid, 10.0) is True
    assert not process.alive(proc.pid)
    assert not _answers(port)
    assert not process.runs(proc.pid)


def _ignoring_sigterm(tmp_path: Path):
    """A child that ignores SIGTERM, once it has said so (a file it writes)."""
    ready = tmp_path / "ready"
    code = ("import signal, time, pathlib; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
            f"pathlib.Path({str(ready)!r}).write_text('x'); time.sleep(60)")
    return process.spawn([sys.executable, "-c", code], log=tmp_path / "log"), ready


def test_stop_kills_what_ignores_sigterm(tmp_path: Path):
    proc, ready = _ignoring_sigterm(tmp_path)
    assert process.wait_for(ready.exists, 20, 0.05)
    assert process.stop(proc.pid, 0.3, kill_wait=5.0) is True
    assert not process.alive(proc.pid)


def test_stop_without_kill_leaves_what_ignores_sigterm(tmp_path: Path):
    proc, ready = _ignoring_sigterm(tmp_path)
    try:
        assert process.wait_for(ready.exists, 20, 0.05)
        assert process.stop(proc.pid, 0.3, kill=False) is False
        assert process.alive(proc.pid)
    finally:
        proc.kill()
        proc.wait(5)


def test_a_dead_pid_file_and_a_missing_one_read_as_not_running(tmp_path: Path):
    pid_file = tmp_path / "x.pid"
    assert process.read_pid(pid_file) is None
    pid_file.write_text("not a pid\n")
    assert process.read_pid(pid_file) is None
    proc = process.spawn([sys.executable, "-c", "pass"], log=tmp_path / "log", pid_file=pid_file)
    proc.wait(10)
    assert process.read_pid(pid_file) == proc.pid
    assert not process.alive(proc.pid) and not process.runs(proc.pid)
    assert not list(tmp_path.glob(".*.tmp")), "the atomic write left its temporary file"


class FakeClock:
    """Time that passes only when someone sleeps."""

    def __init__(self):
        self.now = 1000.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_wait_for_gives_up_at_its_deadline_without_waiting_for_it():
    clock = FakeClock()
    calls = []
    got = process.wait_for(lambda: calls.append(1), 30.0, 0.5, clock=process.Clock(clock.monotonic, clock.sleep))
    assert got is None
    assert len(calls) == 60 and clock.slept == [0.5] * 60


def test_wait_for_returns_the_first_truthy_answer_and_stops_on_a_raise():
    clock = FakeClock()
    c = process.Clock(clock.monotonic, clock.sleep)
    answers = iter([None, {}, {"hosts": 3}])
    assert process.wait_for(lambda: next(answers), 30.0, 0.2, clock=c) == {"hosts": 3}
    assert clock.slept == [0.2, 0.2]

    def exited():
        raise RuntimeError("the server exited with 1")

    with pytest.raises(RuntimeError, match="exited with 1"):
        process.wait_for(exited, 30.0, 0.2, clock=c)


def test_tail_of_a_missing_log_is_empty(tmp_path: Path):
    assert process.tail(tmp_path / "none.log") == ""
    (tmp_path / "big.log").write_text("a" * 5000 + "END")
    assert process.tail(tmp_path / "big.log", 10) == "aaaaaaaEND"
