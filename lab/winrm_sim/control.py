"""Start/stop a simulator process and drive its test knobs (tests, the benchmark, the lab scripts).

`Instance()` is the lab's simulator (admin 127.0.0.1:15985, state under <lab_dir>/winrm_sim, the topology's
addresses). `Instance.private(...)` describes a separate one on other loopback addresses with its own state
directory and admin port, so knobs (latency, restarts) and state resets never touch a shared lab.

    inst.up()      start `python -m lab.winrm_sim serve` detached (pid file <state dir>/server.pid, log
                   server.log) unless one answers; wait until every host's port accepts connections
    inst.down()    stop the process named in the pid file (only if it is ours)
    inst.knobs(latencyMs=50) / drop(host, action) / fail(host, action) / hang(host) / slow(host, s) /
    reboot(host, seconds)
    inst.stats()
    inst.edit_state(host) / read_state(host) / reset_state(host)     host state, "behind the module's back"
"""
from __future__ import annotations

import json
import os
import random
import socket
import sys
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lab import process, topology

from . import ADMIN_HOST, ADMIN_PORT, store

_REPO = Path(__file__).resolve().parents[2]


class SimError(RuntimeError):
    pass


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((ADMIN_HOST, 0))
        return s.getsockname()[1]


def _free_addresses(octet: int) -> bool:
    """Whether 127.<octet>.0.11-13:5986 are all free (another private simulator may hold an octet)."""
    for last in (11, 12, 13):
        with socket.socket() as s:
            try:
                s.bind((f"127.{octet}.0.{last}", 5986))
            except OSError:
                return False
    return True


@dataclass
class Instance:
    admin_port: int = ADMIN_PORT
    state_dir: Path | None = None
    hosts: list[dict] | None = None
    """None: the topology's hosts."""
    started: bool = field(default=False, compare=False)

    @classmethod
    def private(cls, state_dir: Path) -> "Instance":
        """A separate simulator on 127.<random>.0.x with the lab's host names and a free admin port."""
        octet = next(o for o in random.sample(range(100, 251), 151) if _free_addresses(o))
        hosts = [{"name": topology.CA["name"], "address": f"127.{octet}.0.12", "port": 5986, "role": "ca"}]
        for i, h in enumerate(topology.NDES_HOSTS):
            hosts.append({"name": h["name"], "address": f"127.{octet}.0.{11 + 2 * i}", "port": 5986,
                          "role": "ndes"})
        return cls(admin_port=_free_port(), state_dir=Path(state_dir), hosts=hosts)

    # ------------------------------------------------------------------ process
    @property
    def dir(self) -> Path:
        return store.sim_dir(self.state_dir)

    def address_of(self, host: str) -> str:
        for h in self.hosts or []:
            if h["name"] == host.lower():
                return h["address"]
        addr = topology.host_address(host)
        if addr is None:
            raise SimError(f"no simulated host {host}")
        return addr

    def url_of(self, host: str) -> str:
        return f"https://{self.address_of(host)}:5986/wsman"

    def _admin(self, method: str, path: str, doc: dict | None = None, timeout: float = 5.0) -> Any:
        data = None if doc is None else json.dumps(doc).encode()
        req = urllib.request.Request(f"http://{ADMIN_HOST}:{self.admin_port}{path}", data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return json.loads(resp.read() or b"null")

    def health(self) -> dict | None:
        try:
            return self._admin("GET", "/health", timeout=1.0)
        except OSError:
            return None

    @staticmethod
    def _ports_open(h: dict) -> bool:
        for info in h["hosts"].values():
            if info.get("prepared") is False:  # no WinRM listener yet: its port stays closed (listener.py)
                continue
            try:
                with socket.create_connection((info["address"], info["port"]), timeout=0.5):
                    pass
            except OSError:
                return False
        return True

    def up(self, timeout: float = 30.0) -> dict:
        """Start the simulator unless it runs; returns /health. SimError with the log tail on failure."""
        h = self.health()
        if h is not None and self._ports_open(h):
            return h
        if h is None:
            env = dict(os.environ, NDES_WINRM_SIM_ADMIN_PORT=str(self.admin_port))
            if self.state_dir is not None:
                env["NDES_WINRM_SIM_DIR"] = str(self.dir)
            if self.hosts is not None:
                env["NDES_WINRM_SIM_HOSTS"] = json.dumps(self.hosts)
            process.spawn([sys.executable, "-m", "lab.winrm_sim", "serve"], log=self.dir / "server.log",
                          pid_file=self.dir / "server.pid", cwd=_REPO, env=env)
            self.started = True

        def answering() -> dict | None:
            h = self.health()
            return h if h is not None and self._ports_open(h) else None

        h = process.wait_for(answering, timeout, 0.2)
        if h is not None:
            return h
        tail = process.tail(self.dir / "server.log")
        raise SimError(f"the WinRM simulator did not come up within {timeout:.0f} s; log tail:\n{tail}")

    def down(self, timeout: float = 10.0) -> bool:
        """Stop the simulator this state directory's pid file names; True if one was stopped."""
        pid_file = self.dir / "server.pid"
        pid = process.read_pid(pid_file)
        if pid is None:
            return False
        if not _ours(pid):
            pid_file.unlink(missing_ok=True)
            return False
        process.stop(pid, timeout, running=_ours)
        pid_file.unlink(missing_ok=True)
        return True

    # ------------------------------------------------------------------ knobs
    def knobs(self, **doc: Any) -> dict:
        """latencyMs (with host=... or for all), rebootSeconds, templateDelaySeconds, clockOffsetDays, reset=True."""
        return self._admin("POST", "/knobs", doc)

    def set_clock(self, days: float) -> dict:
        """Move the lab clock (clock.py: every simulated host and the simulated CA) `days` ahead of real time."""
        return self._admin("POST", "/knobs", {"clockOffsetDays": days})

    def drop(self, host: str | None = None, action: str | None = None, count: int = 1) -> None:
        """Close the connection instead of answering the next `count` requests of `action` (Create, Command,
        Send, Receive, Signal, Delete; None = any) to `host` (None = any)."""
        self._admin("POST", "/knobs", {"drop": {"host": host, "action": action, "count": count}})

    def fail(self, host: str | None = None, action: str | None = None, count: int = 1, status: int = 500) -> None:
        """Answer the next `count` matching requests with HTTP `status` and an HTML body (not a SOAP fault)."""
        self._admin("POST", "/knobs", {"fail": {"host": host, "action": action, "count": count,
                                                "status": status}})

    def hang(self, host: str | None = None, count: int = 1) -> None:
        """The next `count` script runs on `host` never finish (for the client's timeout)."""
        self._admin("POST", "/knobs", {"hang": {"host": host, "count": count}})

    def slow(self, host: str | None, seconds: float, count: int = 1, mode: str | None = "set") -> None:
        """The next `count` script runs in `mode` (set, get, None = any) on `host` take `seconds` before their
        work is done (terminated first: never done)."""
        self._admin("POST", "/knobs", {"slow": {"host": host, "seconds": seconds, "count": count, "mode": mode}})

    def reboot(self, host: str, seconds: float | None = None) -> None:
        """Restart `host` now: it refuses connections for `seconds` (default: the rebootSeconds knob)."""
        self._admin("POST", "/reboot", {"host": host, "seconds": seconds})

    def unprepare(self, host: str) -> None:
        """`host` as Windows Server leaves it: no WinRM listener, its port refuses connections."""
        self._admin("POST", "/unprepare", {"host": host})

    def host_prep(self, host: str, params: str) -> dict:
        """An administrator runs HostPrep.ps1 on `host` with `params` (the base64 JSON `ndes host-prep` prints)."""
        return self._admin("POST", "/host-prep", {"host": host, "params": params})

    def stats(self) -> dict[str, dict[str, int]]:
        """HTTP requests received per host: requests (all), authLegs, authFailures, and per WS-Man action."""
        return self._admin("GET", "/stats")

    def reset_stats(self) -> None:
        self._admin("POST", "/stats/reset", {})

    def shell_counts(self) -> dict[str, int]:
        return self._admin("GET", "/shells")

    # ------------------------------------------------------------------ state
    def edit_state(self, host: str):
        return store.edit_state(host, self.state_dir)

    def read_state(self, host: str) -> dict:
        return store.read_state(host, self.state_dir)

    def reset_state(self, host: str) -> None:
        store.reset_state(host, self.state_dir)


def _ours(pid: int) -> bool:
    return process.runs(pid, "lab.winrm_sim", "serve")


LAB = Instance()
"""The lab's shared simulator."""


def up(timeout: float = 30.0) -> dict:
    return LAB.up(timeout)


def down(timeout: float = 10.0) -> bool:
    return LAB.down(timeout)


def health() -> dict | None:
    return LAB.health()
