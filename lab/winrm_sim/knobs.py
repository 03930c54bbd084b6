"""Test knobs and request counters of the running simulator (set through the admin API, see control.py)."""
from __future__ import annotations

import threading
from collections import defaultdict


class Knobs:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.latency_ms: dict[str, int] = {}
        """Added delay before each WinRM answer: per host, or "*" for all."""
        self.reboot_seconds = 3.0
        """How long a restarted host refuses connections."""
        self.template_delay_seconds = 0.0
        """How long the simulated CA takes to offer a template after it first sees it issued (AD replication
        and the CA's template cache)."""
        self._drops: list[dict] = []
        self._fails: list[dict] = []
        self._hangs: list[dict] = []
        self._slow: list[dict] = []
        self.counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))

    def reset(self) -> None:
        with self._lock:
            self.latency_ms.clear()
            self.reboot_seconds = 3.0
            self.template_delay_seconds = 0.0
            self._drops.clear()
            self._fails.clear()
            self._hangs.clear()
            self._slow.clear()

    def latency(self, host: str) -> float:
        with self._lock:
            return self.latency_ms.get(host, self.latency_ms.get("*", 0)) / 1000.0

    def add_drop(self, host: str | None, action: str | None, count: int = 1) -> None:
        with self._lock:
            self._drops.append({"host": host, "action": action, "count": count})

    def add_fail(self, host: str | None, action: str | None, count: int = 1, status: int = 500) -> None:
        with self._lock:
            self._fails.append({"host": host, "action": action, "count": count, "status": status})

    @staticmethod
    def _take(items: list[dict], host: str, action: str) -> dict | None:
        for item in items:
            if item["host"] in (None, host) and item["action"] in (None, action) and item["count"] > 0:
                item["count"] -= 1
                if item["count"] == 0:
                    items.remove(item)
                return item
        return None

    def take_drop(self, host: str, action: str) -> bool:
        with self._lock:
            return self._take(self._drops, host, action) is not None

    def take_fail(self, host: str, action: str) -> int | None:
        with self._lock:
            item = self._take(self._fails, host, action)
            return None if item is None else item["status"]

    def add_hang(self, host: str | None, count: int = 1) -> None:
        """The next `count` script runs on `host` never finish (Receive keeps answering OperationTimeout)."""
        with self._lock:
            self._hangs.append({"host": host, "action": None, "count": count})

    def take_hang(self, host: str) -> bool:
        with self._lock:
            return self._take(self._hangs, host, "Run") is not None

    def add_slow(self, host: str | None, seconds: float, count: int = 1, mode: str | None = "set") -> None:
        """The next `count` script runs in `mode` (set, get; None = any) on `host` take `seconds` (a long
        install): their work is done at the end, and only if the command is still alive then (a Signal terminate
        or a deleted shell ends it first)."""
        with self._lock:
            self._slow.append({"host": host, "action": mode, "count": count, "seconds": float(seconds)})

    def take_slow(self, host: str, mode: str) -> float | None:
        with self._lock:
            item = self._take(self._slow, host, mode)
            return None if item is None else item["seconds"]

    def count(self, host: str, what: str) -> None:
        with self._lock:
            self.counts[host][what] += 1

    def stats(self) -> dict[str, dict[str, int]]:
        with self._lock:
            return {h: dict(c) for h, c in self.counts.items()}

    def reset_stats(self) -> None:
        with self._lock:
            self.counts.clear()
