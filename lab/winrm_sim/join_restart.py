"""The restart that follows a domain join (knob `joinRestart`): a host armed with it restarts right after it
first answers a script run (the Receive that carries the finished command's output), stays down for `seconds`
(connections refused, open ones dropped, shells gone, a new boot), then answers again as before.

What it stands for: Azure's JsonADDomainExtension reports success and then restarts the VM (`Restart: true`);
whatever connects in between is cut off by that restart (aztfmod/terraform-azurerm-caf#1620, PR #1621;
Azure/bicep-registry-modules#1067). That the host answers once before it goes down is a guess at the worst
timing (a caller that hands the host over after one answer loses it), not a documented fact.

    inst.knobs(joinRestart={"host": "ndes1.lab.contoso.test", "seconds": 3})
"""
from __future__ import annotations

import threading

from . import wsman

_lock = threading.Lock()
_armed: dict[str, float] = {}
"""host (lower case) -> seconds it stays down."""
_going_down: set[str] = set()


def arm(host: str, seconds: float) -> None:
    with _lock:
        _armed[host.lower()] = float(seconds)


def reset() -> None:
    with _lock:
        _armed.clear()


def armed() -> dict[str, float]:
    with _lock:
        return dict(_armed)


def after_answer(rt, action: str, body: bytes) -> None:
    """Called once an answer has gone out: restart `rt` (a HostRuntime) if it is armed and this answer finished a
    command (its output is with the caller)."""
    if action != "Receive" or wsman.DONE.encode() not in body:
        return
    with _lock:
        seconds = _armed.pop(rt.name.lower(), None)
    if seconds is None:
        return
    with _lock:
        _going_down.add(rt.name.lower())

    def restart() -> None:  # not on this handler's thread: stopping the listener waits for its serve loop
        try:
            rt.reboot(seconds)  # returns once the listener is closed and the open connections are dropped
        finally:
            with _lock:
                _going_down.discard(rt.name.lower())
    threading.Thread(target=restart, daemon=True).start()


def refuses(rt) -> bool:
    """The host is going down (its listener is still closing): a request gets its connection dropped."""
    with _lock:
        return rt.name.lower() in _going_down
