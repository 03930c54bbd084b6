"""customTimeouts of the NDES install and the restart (issue 22, item 3): the engine hands a dynamic provider no
timeout (pulumi/pulumi#2655), so ndes:ndesRole.installTimeout and ndes:httpSys.rebootTimeout travel as the
resources' timeoutSeconds input, which the providers wait by, and as their customTimeouts option. A new bound is
no change of the resource."""
from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pulumi
import pytest

from ndes.model import load_config
from ndes.providers import ndes_role as role_mod
from ndes.providers import reboot as reboot_mod
from ndes.windows.contracts.ndes_role import NdesRoleState

from .sample_config import sample
from .test_ndes_host_component import Mocks, by_name

ENDPOINT = {"host": "ndes01.contoso.com", "url": "https://ndes01.contoso.com:5986/wsman", "username": "C\\u",
            "password": "p"}


@pytest.fixture
def mocks():
    m = Mocks()
    pulumi.runtime.set_mocks(m, project="ndes", stack="unit", preview=False)
    return m


@pulumi.runtime.test
def test_the_config_bounds_reach_the_role_and_the_restart(mocks):
    from ndes.components.ndes_host import NdesHost, timeouts
    cfg = load_config(sample(**{"ndesRole.installTimeout": 1800, "httpSys.rebootTimeout": 1200}))
    host = NdesHost("h", cfg, cfg.ndes_hosts[0], 0, {})
    assert (timeouts(1800).create, timeouts(1800).update, timeouts(1800).delete) == ("1800s",) * 3

    def check(_):
        r = by_name(mocks)
        assert r["h-ndes-role"].inputs["timeoutSeconds"] == 1800
        assert r["h-reboot"].inputs["timeoutSeconds"] == 1200
    return pulumi.Output.all(*[x.urn for x in host.resources]).apply(check)


def test_defaults_keep_the_waits_of_before():
    cfg = load_config(sample())
    assert cfg.ndes_role.install_timeout == 600 and cfg.http_sys.reboot_timeout == 900


def test_the_install_waits_as_long_as_configured(monkeypatch):
    seen: list[Any] = []

    def run(self, inp, params, timeout=None):
        seen.append((params.mode, timeout))
        return SimpleNamespace(state=NdesRoleState(mscep_key=False))

    monkeypatch.setattr(role_mod.NdesRoleProvider, "_run", run)
    p = role_mod.NdesRoleProvider()
    inp = p.parse({"endpoint": ENDPOINT, "serviceAccount": "C\\svc", "serviceAccountPassword": "x",
                   "caConfig": "ca\\CA", "raName": "RA", "timeoutSeconds": 2400})
    p.remove("ndes01.contoso.com/NDES", inp)
    assert seen == [("get", None), ("set", 2400)]


def test_the_restart_waits_as_long_as_configured(monkeypatch):
    waited: list[int] = []
    states = iter([True, False])

    class Host:
        def reboot_and_wait(self, timeout: int) -> None:
            waited.append(timeout)

    def facts(_host):
        pending = next(states)
        return SimpleNamespace(restart_requested=lambda: pending, windows_reasons=lambda: [], boot_id="b")

    monkeypatch.setattr(reboot_mod, "host_of", lambda inp: Host())
    monkeypatch.setattr(reboot_mod.HostRebootProvider, "_facts", staticmethod(facts))
    p = reboot_mod.HostRebootProvider()
    p.apply(p.parse({"endpoint": ENDPOINT, "timeoutSeconds": 1500}), None)
    assert waited == [1500]


@pytest.mark.parametrize("provider", [role_mod.NdesRoleProvider, reboot_mod.HostRebootProvider])
def test_a_new_bound_is_no_change(provider):
    assert "timeoutSeconds" not in provider.compared_fields()
