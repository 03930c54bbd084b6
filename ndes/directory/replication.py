"""Replication-aware writes: everything is written to one DC (`ndes:domain.ldapUrl`), but the Enterprise CA and
each NDES host read their own DCs, and AD replicates between them later (inter-site replication of the
Configuration partition: 180 minutes by default). A template issued on dc01 is unknown to a CA that reads dc02
until then (CERTSRV_E_UNSUPPORTED_CERT_TYPE 0x80094800); an account created on dc01 is unknown to the NDES host's
DC. Microsoft's guidance is to let a new template replicate before issuing certificates.

`wait_visible` polls the reader DCs (`ndes:domain.readerUrls`), with the bind account's credentials and TLS
settings, until a condition holds on every one of them, within a bounded time; `retry` retries a lookup on the
write DC the same way (a computer joined through another site's DC reaches the write DC by replication).
"""
from __future__ import annotations

import time
from dataclasses import replace
from typing import Callable, TypeVar

from .client import DirectoryClient, DirectorySettings
from .errors import DirectoryError, NotFound, Unavailable

__all__ = ["wait_visible", "retry", "NotReplicated"]

T = TypeVar("T")
HINT = ("check replication towards it (repadmin /showrepl, repadmin /syncall /AdeP), or raise "
        "ndes:domain.replicationTimeout")


class NotReplicated(Unavailable):
    """A reader DC did not show the object within the bounded wait."""


def wait_visible(settings: DirectorySettings, reader_urls: list[str], visible: Callable[[DirectoryClient], bool],
                 what: str, timeout: float, interval: float = 5.0,
                 sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.monotonic) -> None:
    """Wait until `visible(client)` holds on every reader DC (connection errors count as not yet)."""
    deadline = clock() + timeout
    for url in reader_urls:
        last = "not visible yet"
        while True:
            try:
                with DirectoryClient.connect(replace(settings, ldap_url=url)) as c:
                    if visible(c):
                        break
            except NotFound:
                pass
            except (Unavailable, DirectoryError) as exc:
                if exc.code == 49:  # a refused bind will not heal by waiting
                    raise
                last = str(exc)
            if clock() >= deadline:
                raise NotReplicated(f"{what} is written on {settings.ldap_url} but {url}, which the CA or an NDES host "
                                    f"reads, did not show it within {timeout:.0f}s ({last}): {HINT}")
            sleep(interval)


def retry(lookup: Callable[[], T], timeout: float, interval: float = 5.0,
          sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.monotonic) -> T:
    """`lookup()` until it stops raising NotFound, within `timeout` seconds (0: once)."""
    deadline = clock() + timeout
    while True:
        try:
            return lookup()
        except NotFound as exc:
            if clock() >= deadline:
                if timeout:
                    raise type(exc)(f"{exc} (still absent after waiting {timeout:.0f}s for replication)",
                                    reason=exc.reason, code=exc.code) from None
                raise
        sleep(interval)
