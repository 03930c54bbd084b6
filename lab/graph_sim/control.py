"""Start, stop and drive the simulator from another process (tests, the lab scripts)."""
from __future__ import annotations

import json
import os
import signal
import ssl
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from lab import topology
from lab.pki import ca_bundle_path

from .state import state_dir

ROOT = Path(__file__).resolve().parents[2]


def graph_url() -> str:
    return f"https://{topology.GRAPH['address']}"


def pid_file() -> Path:
    return state_dir() / "pid"


def _ctx() -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(ca_bundle_path()))


def admin(path: str, body: Any = None, method: str | None = None) -> Any:
    """Call the admin API: admin('/reset'), admin('/throttle', {...}), admin('/state')."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(f"{graph_url()}/_admin{path}", data=data,
                                 method=method or ("GET" if data is None and path in ("/state", "/stats") else "POST"),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, context=_ctx(), timeout=10) as resp:
        return json.loads(resp.read() or b"null")


def ready() -> bool:
    try:
        url = f"{graph_url()}/{topology.GRAPH['tenant_id']}/v2.0/.well-known/openid-configuration"
        with urllib.request.urlopen(url, context=_ctx(), timeout=2) as resp:
            return resp.status == 200
    except OSError:
        return False


def running_pid() -> int | None:
    try:
        pid = int(pid_file().read_text().strip())
        os.kill(pid, 0)
        return pid
    except (OSError, ValueError):
        return None


def up(timeout: float = 30.0) -> bool:
    """Start the simulator detached unless it is running; wait until ready. True when this call started it."""
    if ready():
        return False
    log = open(state_dir() / "sim.log", "ab")
    proc = subprocess.Popen([sys.executable, "-m", "lab.graph_sim", "serve"], cwd=str(ROOT), stdout=log,
                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    pid_file().write_text(str(proc.pid))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the Graph simulator exited with {proc.returncode}; see {state_dir() / 'sim.log'}")
        if ready():
            return True
        time.sleep(0.2)
    raise RuntimeError(f"the Graph simulator did not answer within {timeout:.0f}s; see {state_dir() / 'sim.log'}")


def down(timeout: float = 10.0) -> bool:
    """Stop the simulator started by `up` (by its pid file). True when one was stopped."""
    pid = running_pid()
    if pid is None:
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except OSError:
            break
        time.sleep(0.1)
    pid_file().unlink(missing_ok=True)
    return True
