"""HostReboot against the simulator: a pending restart (flagged by a change during this boot) restarts the host
once and waits for WinRM; nothing pending, nothing done; allowReboot off only reports; Windows' own pending
flags (patching) are reported, never acted on."""
from __future__ import annotations

import pytest

from lab.winrm_sim import hostmodel
from ndes.providers.reboot import HostRebootProvider

from .conftest import NDES1
from .part2_lab import endpoint_props
from .provider_helpers import three_pass

pytestmark = pytest.mark.slow
P = HostRebootProvider()


def inputs(sim, **over) -> dict:
    return P.check({}, {"endpoint": endpoint_props(sim, NDES1), "triggers": ["x"], **over}).inputs


def test_restarts_once_when_pending(sim):
    sim.knobs(rebootSeconds=1)
    boot = sim.read_state(NDES1)["boot"]["bootId"]
    quiet = three_pass(P, inputs(sim), sim, NDES1)
    assert quiet.outs["rebooted"] is False and sim.read_state(NDES1)["boot"]["bootId"] == boot

    with sim.edit_state(NDES1) as st:  # what RegistryValues does after writing the HTTP.sys values
        hostmodel.mark_reboot_pending(st)
    assert P.read(quiet.id, quiet.outs).inputs["rebootPending"] is True  # refresh shows it
    done = P.update(quiet.id, quiet.outs, inputs(sim, triggers=["y"]))
    assert done.outs["rebooted"] is True and any("restarted" in n for n in done.outs["notes"])
    after = sim.read_state(NDES1)["boot"]["bootId"]
    assert after != boot and done.outs["bootId"] == after
    again = P.update(quiet.id, done.outs, inputs(sim, triggers=["y"]))
    assert again.outs["rebooted"] is False and sim.read_state(NDES1)["boot"]["bootId"] == after
    assert P.read(quiet.id, again.outs).inputs["rebootPending"] is False


def test_without_allow_reboot_it_only_reports(sim):
    with sim.edit_state(NDES1) as st:
        hostmodel.mark_reboot_pending(st)
    boot = sim.read_state(NDES1)["boot"]["bootId"]
    res = P.create(inputs(sim, allowReboot=False, configKey="ndes:httpSys.allowReboot"))
    assert res.outs["rebooted"] is False and sim.read_state(NDES1)["boot"]["bootId"] == boot
    assert any("needs a restart" in n and "ndes:httpSys.allowReboot" in n for n in res.outs["notes"])
    assert "rebootPending" not in P.read(res.id, res.outs).inputs or \
        P.read(res.id, res.outs).inputs["rebootPending"] is False


def test_windows_own_pending_flags_never_restart_the_host(sim):
    """A patched server carries Windows' pending-restart flags (the simulated hosts start with a
    PendingFileRenameOperations entry; here CBS and Windows Update too): no restart, no drift, a note."""
    sim.knobs(rebootSeconds=1)
    with sim.edit_state(NDES1) as st:
        hostmodel.ensure_key(st, hostmodel.CBS_REBOOT_PENDING)
        hostmodel.ensure_key(st, r"HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\WindowsUpdate\Auto Update"
                                 r"\RebootRequired")
    boot = sim.read_state(NDES1)["boot"]["bootId"]
    res = P.create(inputs(sim))
    assert res.outs["rebooted"] is False and sim.read_state(NDES1)["boot"]["bootId"] == boot
    assert res.outs["pendingReasons"] == ["Component Based Servicing", "Windows Update",
                                          "pending file rename operations"]
    assert any("Windows itself reports a pending restart" in n and "not restarted" in n for n in res.outs["notes"])
    read = P.read(res.id, res.outs)
    assert read.inputs["rebootPending"] is False and not P.diff(res.id, read.outs, inputs(sim)).changes
