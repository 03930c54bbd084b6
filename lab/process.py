"""The lab's server processes, one way: start detached with output appended to a log and the pid in a pid file,
wait until the server answers, find it again by pid file, stop it (SIGTERM, then SIGKILL after a grace), and show
the log's tail when it does not come up. Used by the Samba DC (lab/samba_process.py), the second DC
(lab/samba_replica.py), the WinRM simulator (lab/winrm_sim/control.py) and the Graph simulator
(lab/graph_sim/control.py); each keeps its own ports, files under NDES_LAB_DIR and timeouts.

Waits take a `clock` (monotonic + sleep), so tests drive a deadline without waiting for it.
"""
from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence


@dataclass(frozen=True)
class Clock:
    monotonic: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep


CLOCK = Clock()


# ----------------------------------------------------------------------------------------------- pid files
def write_pid(path: Path, pid: int) -> None:
    """Write the pid file atomically (a reader never sees it half written)."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(f"{pid}\n")
    os.replace(tmp, path)


def read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


# ----------------------------------------------------------------------------------------------- /proc
def proc_stat(pid: int) -> tuple[str, int, int, int] | None:
    """(state, ppid, pgid, session) of a process, or None if it does not exist."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    fields = raw[raw.rindex(")") + 2:].split()
    return fields[0], int(fields[1]), int(fields[2]), int(fields[3])


def reap(pid: int) -> bool:
    """Collect our exited child `pid` (no zombie left); True when it had exited."""
    try:
        return os.waitpid(pid, os.WNOHANG)[0] == pid
    except (ChildProcessError, OSError):
        return False


def alive(pid: int) -> bool:
    """True while the process runs: an exited child of ours is reaped, a zombie or dead process is not alive."""
    if reap(pid):
        return False
    st = proc_stat(pid)
    return st is not None and st[0] not in ("Z", "X")


def cmdline(pid: int) -> bytes | None:
    """The process's command line, arguments separated by spaces; None when it is gone."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
    except OSError:
        return None


def runs(pid: int | None, *marks: str) -> bool:
    """Whether `pid` is alive and its command line holds every mark (a recycled pid is someone else's)."""
    if pid is None or not alive(pid):
        return False
    line = cmdline(pid)
    return line is not None and all(m.encode() in line for m in marks)


# ----------------------------------------------------------------------------------------------- start
def spawn(argv: Sequence[str], *, log: Path, pid_file: Path | None = None, cwd: Path | str | None = None,
          env: Mapping[str, str] | None = None, banner: str | None = None) -> subprocess.Popen:
    """Start `argv` detached (its own session, stdin /dev/null, no inherited descriptors), stdout and stderr
    appended to `log` (after `banner`, when given); the pid goes to `pid_file`."""
    with open(log, "ab") as fh:
        if banner:
            fh.write(f"\n{banner}\n".encode())
            fh.flush()
        proc = subprocess.Popen(list(argv), stdin=subprocess.DEVNULL, stdout=fh, stderr=subprocess.STDOUT,
                                start_new_session=True, close_fds=True,
                                cwd=None if cwd is None else str(cwd), env=None if env is None else dict(env))
    if pid_file is not None:
        write_pid(pid_file, proc.pid)
    return proc


def wait_for(check: Callable[[], Any], timeout: float, interval: float, *, clock: Clock = CLOCK) -> Any:
    """Call `check` every `interval` seconds until it returns something truthy (returned) or `timeout` passes
    (None). `check` raises to stop early (the process exited)."""
    deadline = clock.monotonic() + timeout
    while clock.monotonic() < deadline:
        got = check()
        if got:
            return got
        clock.sleep(interval)
    return None


def exited(proc: subprocess.Popen | None) -> int | None:
    """The exit code of a process we started, None while it runs (or when we did not start one)."""
    return None if proc is None else proc.poll()


# ----------------------------------------------------------------------------------------------- stop
def stop(pid: int, timeout: float, *, running: Callable[[int], bool] = alive, group: bool = False,
         kill: bool = True, interval: float = 0.1, kill_wait: float = 0.0, clock: Clock = CLOCK) -> bool:
    """SIGTERM `pid` (its whole process group with `group`) and wait `timeout` seconds until `running(pid)` is
    false; then SIGKILL (unless `kill` is False) and wait `kill_wait` more. True when it is gone."""
    sigs = (signal.SIGTERM, signal.SIGKILL) if kill else (signal.SIGTERM,)
    for sig in sigs:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            (os.killpg if group else os.kill)(pid, sig)
        grace = timeout if sig == signal.SIGTERM else kill_wait
        if wait_for(lambda: not running(pid), grace, interval, clock=clock) or not running(pid):
            reap(pid)
            return True
    reap(pid)
    return not running(pid)


# ----------------------------------------------------------------------------------------------- logs
def tail(log: Path, chars: int = 2000) -> str:
    """The end of a log, for an error message ('' when there is none)."""
    try:
        return log.read_text(errors="replace")[-chars:]
    except OSError:
        return ""
