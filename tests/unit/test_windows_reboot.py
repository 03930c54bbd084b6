"""HostReboot acts only on restarts this project asked for: Windows' own pending flags (patching) are notes,
never a restart and never drift (a refresh on a patched server must not restart production NDES)."""
from __future__ import annotations

import pytest

from ndes.providers import reboot as mod
from ndes.providers.reboot import HostRebootProvider
from ndes.windows.contracts.host_boot import HostBootState

BOOT = "2026-11-30T06:00:00.1234567Z"


class FakeHost:
    def __init__(self, **facts) -> None:
        self.facts = {"bootId": BOOT, **facts}
        self.restarts = 0

    def run_script(self, name, params, *, timeout=None):
        assert name == "HostBoot" and params == {"mode": "get", "restart": False}
        return {"changed": False, "state": dict(self.facts), "rebootRequired": False, "warnings": []}

    def reboot_and_wait(self, timeout=900):
        self.restarts += 1
        self.facts["bootId"] = "2026-11-30T07:00:00.0000000Z"


def inputs(**over):
    return HostRebootProvider().check({}, {
        "endpoint": {"host": "ndes1", "url": "https://ndes1:5986/wsman", "username": "u", "password": "p"},
        "triggers": ["x"], "configKey": "ndes:httpSys.allowReboot", **over}).inputs


@pytest.mark.parametrize("flags", [{"cbsRebootPending": True}, {"windowsUpdateRebootRequired": True},
                                   {"pendingFileRenameOperations": True},
                                   {"rebootMarkBoot": "2026-11-01T06:00:00.0000000Z"}])  # a spent mark
def test_windows_flags_and_old_marks_do_not_restart(monkeypatch, flags):
    host = FakeHost(**flags)
    monkeypatch.setattr(mod, "host_of", lambda _inp: host)
    p = HostRebootProvider()
    res = p.create(inputs())
    assert host.restarts == 0 and res.outs["rebooted"] is False
    read = p.read(res.id, res.outs)
    assert read.inputs["rebootPending"] is False and not p.diff(res.id, read.outs, inputs()).changes
    if "rebootMarkBoot" not in flags:
        assert any("Windows itself reports a pending restart" in n for n in res.outs["notes"])


def test_the_projects_own_mark_restarts_once(monkeypatch):
    host = FakeHost(rebootMarkBoot=BOOT, pendingFileRenameOperations=True)
    monkeypatch.setattr(mod, "host_of", lambda _inp: host)
    p = HostRebootProvider()
    assert p.read("ndes1/reboot", {**inputs(), "rebootPending": False}).inputs["rebootPending"] is True
    res = p.create(inputs())
    assert host.restarts == 1 and res.outs["rebooted"] is True
    assert "restarted ndes1 once (a setting changed by Pulumi)" in res.outs["notes"]
    off = FakeHost(rebootMarkBoot=BOOT)
    monkeypatch.setattr(mod, "host_of", lambda _inp: off)
    res = p.create(inputs(allowReboot=False))
    assert off.restarts == 0 and any("allowReboot is off" in n for n in res.outs["notes"])


def test_the_decision_reads_the_facts():
    st = HostBootState.model_validate({"bootId": BOOT, "rebootMarkBoot": BOOT, "cbsRebootPending": True})
    assert st.restart_requested() and st.windows_reasons() == ["Component Based Servicing"]
