"""Replication-aware writes: bounded waits on the reader DCs, principals resolved with retry (no DC here)."""
from __future__ import annotations

import pytest

from ndes.directory import DirectorySettings, NotFound, Unavailable
from ndes.directory import replication as rep
from ndes.model.config import DomainConfig


class Clock:
    def __init__(self):
        self.t = 0.0

    def __call__(self) -> float:
        return self.t

    def sleep(self, s: float) -> None:
        self.t += s


class FakeConn:
    def __init__(self, url, seen):
        self.url, self.seen = url, seen

    def __enter__(self):
        return self

    def __exit__(self, *a):
        pass


def test_a_reader_dc_is_polled_until_it_shows_the_object(monkeypatch):
    clock, calls = Clock(), []
    visible_after = {"ldaps://dc02": 12.0, "ldaps://dc03": 0.0}
    monkeypatch.setattr(rep.DirectoryClient, "connect", staticmethod(lambda s: FakeConn(s.ldap_url, calls)))

    def visible(c) -> bool:
        calls.append((c.url, clock.t))
        return clock.t >= visible_after[c.url]

    rep.wait_visible(DirectorySettings("ldaps://dc01", "u", "p"), ["ldaps://dc02", "ldaps://dc03"], visible,
                     "template 'NDES-SSL'", timeout=60, interval=5, sleep=clock.sleep, clock=clock)
    assert [u for u, _ in calls] == ["ldaps://dc02"] * 4 + ["ldaps://dc03"] and clock.t == 15.0


def test_a_reader_that_never_shows_it_fails_naming_the_dc_and_the_key(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(rep.DirectoryClient, "connect", staticmethod(lambda s: FakeConn(s.ldap_url, [])))
    with pytest.raises(rep.NotReplicated, match="ldaps://dc02.*within 30s.*ndes:domain.replicationTimeout"):
        rep.wait_visible(DirectorySettings("ldaps://dc01", "u", "p"), ["ldaps://dc02"], lambda c: False,
                         "account 'svc-ndes'", timeout=30, interval=5, sleep=clock.sleep, clock=clock)
    assert clock.t == 30.0
    assert issubclass(rep.NotReplicated, Unavailable)


def test_a_principal_is_resolved_with_retry_then_found():
    clock, tries = Clock(), []

    def lookup() -> str:
        tries.append(clock.t)
        if clock.t < 10:
            raise NotFound("failed to find account 'NDES02$'")
        return "S-1-5-21-1-2-3-1105"

    assert rep.retry(lookup, timeout=60, interval=5, sleep=clock.sleep, clock=clock) == "S-1-5-21-1-2-3-1105"
    assert tries == [0, 5, 10]


def test_a_principal_still_missing_after_the_wait_is_not_found_and_says_so():
    clock = Clock()

    def lookup():
        raise NotFound("failed to find account 'NDES02$'")

    with pytest.raises(NotFound, match="still absent after waiting 20s"):
        rep.retry(lookup, timeout=20, interval=5, sleep=clock.sleep, clock=clock)
    with pytest.raises(NotFound, match="^failed to find account 'NDES02\\$'$"):
        rep.retry(lookup, timeout=0, sleep=clock.sleep, clock=clock)  # no wait configured: at once


def test_reader_urls_are_validated():
    base = {"dnsName": "contoso.com", "netbiosName": "CONTOSO", "ldapUrl": "ldaps://dc01.contoso.com",
            "bindUser": "u@contoso.com", "bindPassword": "x"}
    assert DomainConfig.model_validate({**base, "readerUrls": ["ldaps://dc02.contoso.com"]}).replication_timeout == 900
    with pytest.raises(ValueError, match="readerUrls"):
        DomainConfig.model_validate({**base, "readerUrls": ["ldap://dc02.contoso.com"]})
