"""Wait until a freshly built host is ready for the Windows plane: WinRM answers with the domain identity, in a
boot that lasts (no Pulumi here; the HostReady resource and tests call it).

Why: Azure's JsonADDomainExtension reports success and then restarts the VM (its `Restart` setting), and the
join only takes effect after that restart. A caller that connects at that moment meets a 401 (the domain logon
fails before the restart), a refused or dropped connection (during it), or a host that is not yet a member.
Work that follows the extension is interrupted by the restart (aztfmod/terraform-azurerm-caf#1620).

Ready means: `stable_reads` consecutive answers of HostIdentity.ps1, all in the SAME boot, each saying the host
is `fqdn`, a member of `domain`, reached with a domain logon (HostIdentityState.domain_identity_problem). A
restart between two answers starts the count again, so an answer given just before a restart never hands the
host over. Failures that a restart or a join in progress explain (refused, dropped, timed out, 401, a script
that could not run yet) are waited through until `timeout`; a TLS failure is not (the certificate does not
change with a restart: it is a configuration error, reported at once).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

from ._exceptions import OperationTimeout, TlsFailure, WindowsHostError
from ._session import forget
from .contracts import call
from .contracts.host_identity import SCRIPT, HostIdentityParams, HostIdentityState

__all__ = ["Ready", "wait_for_domain_identity"]


@dataclass
class Ready:
    state: HostIdentityState
    """The last answer (its boot is the one the host was handed over in)."""
    waited_seconds: float
    attempts: int
    restarts_seen: int
    """Boots seen change while waiting (the join's restart, usually one)."""
    log: list[str] = field(default_factory=list)
    """The progress lines, in order."""


def wait_for_domain_identity(host, fqdn: str, domain: str, *, timeout: float = 1200, poll: float = 15,
                             stable_reads: int = 2, progress: Callable[[str], None] | None = None,
                             clock: Callable[[], float] = time.monotonic,
                             sleep: Callable[[float], None] = time.sleep) -> Ready:
    """Poll `host` (a WindowsHost) until it is ready (see the module docstring); return what was seen.

    Raises TlsFailure at once, OperationTimeout when `timeout` seconds pass without `stable_reads` good answers
    in one boot (the message says what the host last answered)."""
    start = clock()
    deadline = start + timeout
    log: list[str] = []
    last_line = ""

    def say(what: str) -> None:
        nonlocal last_line
        line = f"waiting for {fqdn}: {what} ({clock() - start:.0f} s of {timeout:.0f} s)"
        log.append(line)
        if progress is not None and what != last_line:  # a line per change, not per poll
            progress(line)
        last_line = what

    streak_boot, streak, attempts, restarts, seen_boot = "", 0, 0, 0, ""
    last = "no answer yet"
    while True:
        attempts += 1
        try:
            st = call(host, SCRIPT, HostIdentityParams(), HostIdentityState).state
        except TlsFailure:
            raise
        except WindowsHostError as exc:  # refused, dropped, 401 before the join took effect, script not runnable
            last = str(exc)
            streak_boot, streak = "", 0
            forget(host.endpoint, close=False)  # a restart takes the shell and the connection with it
            say(f"no answer with the domain identity yet: {last}")
        else:
            if seen_boot and st.boot_id != seen_boot:
                restarts += 1
            seen_boot = st.boot_id
            problem = st.domain_identity_problem(fqdn, domain)
            if problem:
                last = problem
                streak_boot, streak = "", 0
                say(f"answers, but {problem}")
            else:
                streak = streak + 1 if st.boot_id == streak_boot else 1
                streak_boot = st.boot_id
                last = f"answered as {st.user} on {fqdn} (boot {st.boot_id}), {streak} of {stable_reads} in a row"
                say(last)
                if streak >= stable_reads:
                    return Ready(st, clock() - start, attempts, restarts, log)
        if clock() + poll > deadline:
            raise OperationTimeout(
                f"{fqdn} was not ready within {timeout:.0f} s: WinRM did not answer with the domain identity "
                f"{stable_reads} times in one boot (last: {last})", host=fqdn)
        sleep(poll)
