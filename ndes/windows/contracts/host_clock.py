"""HostClock.ps1: the host's clock. A certificate on a host expires by the host's time, not by the deployer's;
renewal decisions (MachineCertificate's renewBeforeDays) count days from it."""
from __future__ import annotations

from typing import Literal

from . import Contract

SCRIPT = "HostClock"


class HostClockParams(Contract):
    mode: Literal["get"] = "get"


class HostClockState(Contract):
    now: str
    """[DateTime]::UtcNow, yyyy-MM-ddTHH:mm:ssZ."""
