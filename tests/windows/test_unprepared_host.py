"""A simulated host can start unprepared (no WinRM HTTPS listener, as Windows Server leaves it): its port refuses
connections, `ndes verify`'s first check names it with the host-prep command, and after the administrator ran
HostPrep.ps1 with what `ndes host-prep` printed, the host answers WinRM again (lab/winrm_sim/listener.py)."""
from __future__ import annotations

import socket
import time

import pytest

from lab.winrm_sim.control import Instance
from ndes.host_prep import plan
from ndes.verify.listener import winrm_listener
from ndes.windows import WindowsHost

from .conftest import CA1, NDES1, NDES2, make_endpoint

pytestmark = pytest.mark.slow


def _refused(address: str, port: int = 5986) -> bool:
    try:
        socket.create_connection((address, port), timeout=2).close()
    except ConnectionRefusedError:
        return True
    return False


def test_an_unprepared_host_is_named_until_host_prep_ran(tmp_path, monkeypatch):
    monkeypatch.setenv("NDES_WINRM_SIM_UNPREPARED", NDES1)
    inst = Instance.private(tmp_path)
    inst.up()
    try:
        health = inst.health()["hosts"]
        assert health[NDES1]["prepared"] is False and health[NDES2]["prepared"] is True
        assert _refused(inst.address_of(NDES1)) and not _refused(inst.address_of(CA1))

        [r] = winrm_listener(NDES1, NDES1, inst.url_of(NDES1), cache := {})
        assert r.status == "fail" and f"ndes host-prep --host {NDES1}" in r.fix and cache

        with pytest.raises(Exception):  # the wrong host's parameters: the script refuses, nothing opens
            inst.host_prep(NDES1, plan(NDES2).encoded())
        assert _refused(inst.address_of(NDES1))

        out = inst.host_prep(NDES1, plan(NDES1, management_range=["127.0.0.0/8"]).encoded())
        assert out["changed"] and out["state"]["hostName"] == NDES1
        assert inst.read_state(NDES1)["firewallRules"]["ndes-winrm-https-in"]["remoteAddress"] == ["127.0.0.0/8"]
        [r] = winrm_listener(NDES1, NDES1, inst.url_of(NDES1), {})
        assert r.status == "pass"
        state = WindowsHost(make_endpoint(inst, NDES1)).run_script("HostBoot", {"mode": "get"})["state"]
        assert state["bootId"]

        inst.reboot(NDES1, 0.5)  # a restart keeps the listener
        time.sleep(1.0)  # down for 0.5 s, then back
        deadline = time.monotonic() + 20
        while _refused(inst.address_of(NDES1)) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not _refused(inst.address_of(NDES1))
        again = inst.host_prep(NDES1, plan(NDES1, management_range=["127.0.0.0/8"]).encoded())
        assert again["changed"] is False
    finally:
        inst.down()
