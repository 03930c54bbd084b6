"""The lab DC's process: started detached under a supervisor that reaps it and what it leaves, found again by
pid file or /proc, stopped by its own process group, and waited for until LDAPS answers a verified bind."""

from __future__ import annotations

import contextlib
import os
import signal
import ssl
import subprocess
import sys
import time
from pathlib import Path

from lab import pki, process
from lab.samba_layout import (LDAP_HOST, LDAPS_PORT, DcError, DcInfo, _tail, _tls_handshake, connect, log_path,
                              pid_path, samba_dir, smb_conf_path)
from lab.samba_setup import _which


# ----------------------------------------------------------------------------------------------- process
def _proc_stat(pid: int) -> tuple[str, int, int] | None:
    """(state, pgid, session) of a process, or None if it does not exist."""
    st = process.proc_stat(pid)
    return None if st is None else (st[0], st[2], st[3])


def _alive(pid: int) -> bool:
    st = process.proc_stat(pid)
    return st is not None and st[0] not in ("Z", "X")


def _is_our_samba(pid: int) -> bool:
    """The samba binary, leading its own process group, started in our samba_dir (it rewrites its cmdline)."""
    try:
        exe = os.readlink(f"/proc/{pid}/exe")
        cwd = os.readlink(f"/proc/{pid}/cwd")
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return False
    st = _proc_stat(pid)
    return (
        os.path.basename(exe.removesuffix(" (deleted)")) == "samba"
        and st is not None
        and st[1] == pid
        and os.path.realpath(cwd) == os.path.realpath(samba_dir())
    )


def _ppid(pid: int) -> int | None:
    st = process.proc_stat(pid)
    return None if st is None else st[1]


def _descendants(pid: int) -> list[int]:
    """Live descendants of pid (samba's smbd and winbindd start their own sessions, so walk the tree)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            parent = _ppid(int(entry))
            if parent is not None:
                children.setdefault(parent, []).append(int(entry))
    out, todo = [], list(children.get(pid, []))
    while todo:
        child = todo.pop()
        if _alive(child):
            out.append(child)
        todo.extend(children.get(child, []))
    return out


def _read_pid() -> int | None:
    return process.read_pid(pid_path())


def _running_pid() -> int | None:
    pid = _read_pid()
    if pid is not None and _alive(pid) and _is_our_samba(pid):
        return pid
    # The pid file is gone or stale but our samba may still run (someone removed the file): find it.
    for entry in os.listdir("/proc"):
        if entry.isdigit() and _alive(int(entry)) and _is_our_samba(int(entry)):
            _write_pid(pid_path(), int(entry))
            return int(entry)
    return None


def _reap(pid: int) -> None:
    process.reap(pid)


def supervisor_pid_path() -> Path:
    return pki.lab_dir() / "samba-supervisor.pid"


_write_pid = process.write_pid


_SUPERVISOR_MARK = "lab.samba_dc:supervise"


def _supervise(argv: list[str]) -> int:
    """Parent of samba for its whole life: reaps it and the smbd/winbindd it leaves (as a child subreaper),
    so no zombie is left behind on a host whose init does not reap. Exits when samba has exited and every
    orphan it left is gone. Signals SIGTERM/SIGINT/SIGHUP go to samba."""
    import ctypes

    with contextlib.suppress(Exception):
        ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
    # stdin is /dev/null (a character device): `samba -i` only exits on EOF when stdin is a pipe or socket.
    child = subprocess.Popen(argv, stdin=subprocess.DEVNULL, close_fds=True)
    _write_pid(pid_path(), child.pid)

    def forward(signum, _frame):
        with contextlib.suppress(ProcessLookupError):
            os.kill(child.pid, signum)

    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, forward)
    rc: int | None = None
    orphans_deadline: float | None = None
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            break
        if pid == 0:
            if rc is not None:
                # samba is gone; whatever is left is an orphan it started (smbd, winbindd): stop it.
                now = time.monotonic()
                if orphans_deadline is None:
                    orphans_deadline = now + 10.0
                sig = signal.SIGTERM if now < orphans_deadline else signal.SIGKILL
                for orphan in _descendants(os.getpid()):
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(orphan, sig)
            time.sleep(0.2)
            continue
        if pid == child.pid:
            rc = os.waitstatus_to_exitcode(status)
            print(f"===== lab.samba_dc: samba (pid {pid}) exited with {rc} =====", flush=True)
            with contextlib.suppress(FileNotFoundError, ValueError):
                if int(pid_path().read_text().strip()) == pid:
                    pid_path().unlink()
    with contextlib.suppress(FileNotFoundError, ValueError):
        if int(supervisor_pid_path().read_text().strip()) == os.getpid():
            supervisor_pid_path().unlink()
    return rc or 0


def _start_samba() -> tuple[int, int]:
    """Start `samba -i -M single` under the supervisor, detached (own session); return (samba pid,
    supervisor pid) once samba's pid file is written."""
    samba = _which("samba") or "samba"
    log = log_path()
    pid_path().unlink(missing_ok=True)
    env = dict(os.environ)
    repo = str(Path(__file__).resolve().parent.parent)
    env["PYTHONPATH"] = repo + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env["NDES_LAB_DIR"] = str(pki.lab_dir())
    code = "import sys; from lab.samba_dc import _supervise; sys.exit(_supervise(sys.argv[2:]))"
    cmd = [samba, "-s", str(smb_conf_path()), "-i", "-M", "single"]
    level = os.environ.get("NDES_LAB_SAMBA_DEBUGLEVEL", "").strip()
    if level.isdigit():  # e.g. 3 to see why an LDAP operation is refused
        cmd.append(f"--debuglevel={level}")
    # detached (own session) from the caller's terminal and signals
    sup = process.spawn([sys.executable, "-c", code, _SUPERVISOR_MARK, *cmd], log=log,
                        pid_file=supervisor_pid_path(), cwd=samba_dir(), env=env,
                        banner=f"===== lab.samba_dc: starting samba at {time.strftime('%Y-%m-%d %H:%M:%S')} =====")

    def samba_pid() -> int | None:
        pid = _read_pid()
        if pid is None and sup.poll() is not None:
            raise DcError(f"the samba supervisor exited with {sup.poll()}.\n--- {log} (tail) ---\n{_tail(log)}")
        return pid

    pid = process.wait_for(samba_pid, 15, 0.05)
    if pid is not None:
        return pid, sup.pid
    rc = sup.poll()
    raise DcError(
        f"the samba supervisor {'exited with ' + str(rc) if rc is not None else 'wrote no pid file'}.\n"
        f"--- {log} (tail) ---\n{_tail(log)}"
    )


def _supervisor_pid() -> int | None:
    try:
        pid = int(supervisor_pid_path().read_text().strip())
    except (FileNotFoundError, ValueError):
        return None
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    return pid if _alive(pid) and _SUPERVISOR_MARK.encode() in cmdline else None


def _health_error(dc: DcInfo) -> str | None:
    """None when LDAPS answers a verified handshake and a SIMPLE bind works; else why not."""
    try:
        _tls_handshake(Path(dc.ca_bundle))
    except (OSError, ssl.SSLError) as exc:
        return f"LDAPS handshake to {LDAP_HOST}:{LDAPS_PORT}: {exc}"
    try:
        conn = connect(dc)
    except DcError as exc:
        return str(exc)
    except Exception as exc:  # ldap3 socket/TLS errors
        return f"LDAP bind: {type(exc).__name__}: {exc}"
    conn.unbind()
    return None


def _wait_healthy(pid: int, dc: DcInfo, timeout: float) -> None:
    last = ["not tried"]

    def healthy() -> bool:
        if not _alive(pid):
            _reap(pid)
            raise DcError(
                f"samba (pid {pid}) exited during start-up.\n--- {log_path()} (tail) ---\n{_tail(log_path())}"
            )
        last[0] = _health_error(dc) or ""
        return not last[0]

    if process.wait_for(healthy, timeout, 0.5):
        return
    raise DcError(
        f"samba (pid {pid}) did not become healthy within {timeout:.0f}s (last check: {last[0]}).\n"
        f"--- {log_path()} (tail) ---\n{_tail(log_path())}"
    )


def _stop(pid: int, timeout: float) -> None:
    """SIGTERM samba's process group and every descendant, SIGKILL what is left after `timeout`."""
    # `samba -i` leads its own process group; smbd and winbindd, its children, start sessions of their own,
    # so they are found by walking the process tree from samba's pid.
    known = set(_descendants(pid)) | {pid}
    for sig in (signal.SIGTERM, signal.SIGKILL):
        known |= set(_descendants(pid)) if _alive(pid) else set()
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, sig)
        for member in sorted(known):
            if _alive(member):
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(member, sig)
        def gone() -> bool:
            _reap(pid)
            return not any(_alive(m) for m in known)

        if process.wait_for(gone, timeout if sig == signal.SIGTERM else 5.0, 0.1):
            return
    _reap(pid)


def _stop_supervisor(timeout: float) -> None:
    """The supervisor exits by itself once samba and its orphans are gone; make sure it did."""
    sup = _supervisor_pid()
    if sup is None:
        supervisor_pid_path().unlink(missing_ok=True)
        return
    process.wait_for(lambda: _reap(sup) or not _alive(sup), timeout, 0.1)
    if _alive(sup):
        _stop(sup, 5.0)
    _reap(sup)
    supervisor_pid_path().unlink(missing_ok=True)

