"""Start, stop and drive a simulator instance from another process (tests, the lab scripts).

The lab's instance listens on the topology's addresses, port 443, with its state in
<lab_dir>/graph_sim/state.json. A test session starts a private instance (same addresses, a free port, its own
state file and pid file), so its resets and knobs never disturb a lab run going on at the same time.
"""
from __future__ import annotations

import json
import socket
import ssl
import sys
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lab import process, topology
from lab.pki import ca_bundle_path

from .state import state_dir

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Instance:
    port: int = 443
    """Graph's port on the Graph address; the App Proxy front listens on the same port on its own address."""
    state_path: Path | None = None
    """None: <lab_dir>/graph_sim/state.json."""
    name: str = "lab"

    @property
    def graph_url(self) -> str:
        return f"https://{topology.GRAPH['address']}" + ("" if self.port == 443 else f":{self.port}")

    @property
    def proxy_address(self) -> tuple[str, int]:
        return topology.APP_PROXY["address"], self.port

    @property
    def _dir(self) -> Path:
        return self.state_path.parent if self.state_path is not None else state_dir()

    @property
    def pid_file(self) -> Path:
        return self._dir / ("pid" if self.name == "lab" else f"{self.name}.pid")

    @property
    def log_file(self) -> Path:
        return self._dir / ("sim.log" if self.name == "lab" else f"{self.name}.log")


LAB = Instance()


def free_port() -> int:
    """A port free on both the Graph and the App Proxy address."""
    for _ in range(50):
        with socket.socket() as s:
            s.bind((topology.GRAPH["address"], 0))
            port = s.getsockname()[1]
        with socket.socket() as t:
            try:
                t.bind((topology.APP_PROXY["address"], port))
            except OSError:
                continue
        return port
    raise RuntimeError("no free port on the simulator addresses")


def graph_url(inst: Instance = LAB) -> str:
    return inst.graph_url


def _ctx() -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(ca_bundle_path()))


def admin(path: str, body: Any = None, method: str | None = None, inst: Instance = LAB) -> Any:
    """Call the admin API: admin('/reset'), admin('/throttle', {...}), admin('/state')."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(f"{inst.graph_url}/_admin{path}", data=data,
                                 method=method or ("GET" if data is None and path in ("/state", "/stats") else "POST"),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, context=_ctx(), timeout=10) as resp:
        return json.loads(resp.read() or b"null")


def ready(inst: Instance = LAB) -> bool:
    try:
        url = f"{inst.graph_url}/{topology.GRAPH['tenant_id']}/v2.0/.well-known/openid-configuration"
        with urllib.request.urlopen(url, context=_ctx(), timeout=2) as resp:
            return resp.status == 200
    except OSError:
        return False


def running_pid(inst: Instance = LAB) -> int | None:
    pid = process.read_pid(inst.pid_file)
    return pid if pid is not None and process.alive(pid) else None


def up(inst: Instance = LAB, timeout: float = 30.0) -> bool:
    """Start the instance detached unless it answers already; wait until ready. True when this call started it."""
    if ready(inst):
        return False
    cmd = [sys.executable, "-m", "lab.graph_sim", "serve", "--port", str(inst.port)]
    if inst.state_path is not None:
        cmd += ["--state", str(inst.state_path)]
    proc = process.spawn(cmd, log=inst.log_file, pid_file=inst.pid_file, cwd=ROOT)

    def answering() -> bool:
        if proc.poll() is not None:
            raise RuntimeError(f"the Graph simulator exited with {proc.returncode}; see {inst.log_file}")
        return ready(inst)

    if process.wait_for(answering, timeout, 0.2):
        return True
    raise RuntimeError(f"the Graph simulator did not answer within {timeout:.0f}s; see {inst.log_file}")


def down(inst: Instance = LAB, timeout: float = 10.0) -> bool:
    """Stop the instance started by `up` (by its pid file, SIGTERM). True when one was stopped."""
    pid = running_pid(inst)
    if pid is None:
        return False
    process.stop(pid, timeout, kill=False)
    inst.pid_file.unlink(missing_ok=True)
    return True
