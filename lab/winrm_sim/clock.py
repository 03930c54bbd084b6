"""The lab clock: the simulated hosts' and the simulated CA's time, which tests can move forward.

Windows hosts and the CA judge certificates by their own clock ([DateTime]::UtcNow on the host; the CA stamps
notBefore/notAfter from its clock). Moving that clock forward is how a test reaches "30 days before the RA
certificates expire" without waiting two years. The offset lives in <sim dir>/clock.json so every process of
the simulator (the WinRM hosts, the SCEP endpoints) and a restarted simulator see the same time; it is set
through the admin API (`{"clockOffsetDays": N}` on /knobs, control.Instance.set_clock) and back to 0 by a knobs
reset. The WS-Management/NTLM layer keeps real time (only what the hosts report and stamp moves).
"""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

FILE = "clock.json"


def _path(base: Path | None = None) -> Path:
    from . import store  # store -> hostmodel -> clock: imported when used
    return store.sim_dir(base) / FILE


def offset(base: Path | None = None) -> dt.timedelta:
    """How far the lab's clock is ahead of real time (0 when never set)."""
    try:
        doc = json.loads(_path(base).read_text())
        return dt.timedelta(seconds=float(doc.get("offsetSeconds") or 0))
    except (OSError, ValueError, TypeError):
        return dt.timedelta(0)


def set_offset(seconds: float, base: Path | None = None) -> None:
    path = _path(base)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"offsetSeconds": float(seconds)}))
    tmp.replace(path)


def now(base: Path | None = None) -> dt.datetime:
    """The lab's current UTC time (aware)."""
    return dt.datetime.now(dt.timezone.utc) + offset(base)
