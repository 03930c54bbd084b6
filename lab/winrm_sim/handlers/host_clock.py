"""HostClock on a simulated host: [DateTime]::UtcNow is the lab clock (lab/winrm_sim/clock.py)."""
from __future__ import annotations

from typing import Any

from ndes.windows.contracts.host_clock import HostClockParams

from .. import clock
from . import handler, validated


@handler("HostClock")
def host_clock(ctx: Any, raw: dict[str, Any]) -> dict[str, Any]:
    validated(HostClockParams, raw)
    return {"changed": False, "state": {"now": clock.now().strftime("%Y-%m-%dT%H:%M:%SZ")}, "rebootRequired": False,
            "warnings": []}
