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
    if seconds is not None:
        threading.Timer(0.2, rt.reboot, args=(seconds,)).start()
