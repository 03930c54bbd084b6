"""The host's clock for renewal decisions (HostClock.ps1): a certificate expires by the host's time. Falls back
on this machine's clock when the host cannot be asked (a preview must still show input changes)."""
from __future__ import annotations

import datetime as dt
import sys

from ..windows.certificates import TIME_FORMAT
from ..windows.contracts import call
from ..windows.contracts import host_clock as C
from ._windows import WindowsInputs, host_of


def host_now(inp: WindowsInputs) -> dt.datetime:
    try:
        st = call(host_of(inp), C.SCRIPT, C.HostClockParams(), C.HostClockState).state
        return dt.datetime.strptime(st.now, TIME_FORMAT).replace(tzinfo=dt.timezone.utc)
    except Exception as exc:  # noqa: BLE001
        print(f"warning: could not read the clock of {inp.endpoint.host} ({exc}); counting days by this machine's",
              file=sys.stderr, flush=True)
        return dt.datetime.now(dt.timezone.utc)
