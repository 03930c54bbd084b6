"""Test doubles for the Azure NDES host's readiness step: a VM whose join restarts it, on a fake clock."""
from __future__ import annotations

import functools

import pytest

JOINED = {"bootId": "boot-2", "computerName": "NDES01", "dnsHostName": "ndes01", "domain": "contoso.com",
          "partOfDomain": True, "user": "CONTOSO\\pulumi-ndes"}


def join_restart_script():
    """What the joined VM answers while its join's restart runs: a 401 (the join is not in effect before the
    restart), one answer, the restart (refused, then a dropped connection), then the joined host in a new boot."""
    from ndes.windows import AuthenticationFailed, Unreachable
    return [AuthenticationFailed("401", host="ndes01.contoso.com"), {**JOINED, "bootId": "boot-1"},
            Unreachable("connection refused", host="ndes01.contoso.com"),
            Unreachable("connection dropped", host="ndes01.contoso.com"), JOINED, JOINED]


class ScriptedHost:
    """A WindowsHost double: each HostIdentity run takes the next step of `script` (an exception is raised, a
    dict is the state answered); the last step repeats."""

    def __init__(self, endpoint, script):
        self.endpoint, self.script, self.seen = endpoint, list(script), []

    def run_script(self, name, params, *, timeout=None):
        assert name == "HostIdentity" and params == {"mode": "get"}
        step = self.script.pop(0) if len(self.script) > 1 else self.script[0]
        self.seen.append(step)
        if isinstance(step, Exception):
            raise step
        return {"changed": False, "state": dict(step), "rebootRequired": False, "warnings": []}


class FakeClock:
    def __init__(self):
        self.t = 0.0

    def now(self):
        return self.t

    def sleep(self, seconds):
        self.t += seconds


@pytest.fixture(autouse=True)
def restarting_vm(monkeypatch):
    """Every HostReady created under these mocks meets the join's restart (join_restart_script), on a fake
    clock; the hosts it talked to are in the returned list."""
    from ndes.providers import host_ready
    from ndes.providers._windows import endpoint_of
    from ndes.windows import readiness
    hosts: list[ScriptedHost] = []
    clock = FakeClock()

    def host_of(inp):
        hosts.append(ScriptedHost(endpoint_of(inp), join_restart_script()))
        return hosts[-1]
    monkeypatch.setattr(host_ready, "host_of", host_of)
    monkeypatch.setattr(host_ready, "wait_for_domain_identity", functools.partial(
        readiness.wait_for_domain_identity, clock=clock.now, sleep=clock.sleep))
    return hosts
