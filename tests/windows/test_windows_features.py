"""WindowsFeatures provider against the simulator: install what NDES needs, converge, drift, delete only what
it installed, refusals."""
from __future__ import annotations

import pytest

from ndes.providers.base import AlreadyExists
from ndes.providers.windows_features import NDES_FEATURES, WindowsFeaturesProvider
from ndes.windows import ScriptFailed

from .conftest import NDES1
from .provider_helpers import checked, three_pass, props

pytestmark = pytest.mark.slow


def installed(sim) -> set[str]:
    return set(sim.read_state(NDES1)["features"]["installed"])


def test_ndes_features_converge_read_update_and_delete(sim):
    prov = WindowsFeaturesProvider()
    before = installed(sim)
    p = props(sim, NDES1)  # the default list: what NDES needs
    created = three_pass(prov, p, sim, NDES1)
    now = installed(sim)
    assert set(NDES_FEATURES) <= now
    assert {"Web-WebServer", "NET-Framework-45-ASPNET", "WAS-Process-Model"} <= now  # pulled in, as Windows does
    assert sim.read_state(NDES1)["iis"]["sites"]["Default Web Site"]  # IIS came with Web-Server
    assert created.outs["features"] == NDES_FEATURES
    assert sorted(created.outs["installedByPulumi"]) == sorted(NDES_FEATURES)

    more = props(sim, NDES1, features=NDES_FEATURES + ["Web-Windows-Auth"])
    updated = prov.update(created.id, created.outs, checked(prov, more))
    assert "Web-Windows-Auth" in installed(sim)
    assert not prov.diff(created.id, prov.read(created.id, updated.outs).outs, checked(prov, more)).changes

    prov.delete(created.id, updated.outs)
    after = installed(sim)
    assert not set(NDES_FEATURES) & after and "Web-Windows-Auth" not in after
    assert before <= after  # nothing that was there before was removed
    assert sim.read_state(NDES1)["iis"] is None


def test_an_uninstall_behind_the_modules_back_shows_in_read(sim):
    prov = WindowsFeaturesProvider()
    p = props(sim, NDES1, features=["Web-Server", "Web-Filtering"])
    created = prov.create(p)
    with sim.edit_state(NDES1) as st:
        st["features"]["installed"].remove("Web-Filtering")
    read = prov.read(created.id, created.outs)
    assert read.outs["features"] == ["Web-Server"]
    assert prov.diff(created.id, read.outs, checked(prov, p)).changes
    prov.update(created.id, read.outs, checked(prov, p))
    assert "Web-Filtering" in installed(sim)


def test_delete_leaves_features_that_were_there_before(sim):
    prov = WindowsFeaturesProvider()
    p = props(sim, NDES1, features=["NET-Framework-45-Core", "Web-Filtering"])  # the first is preinstalled
    created = prov.create(p)
    assert created.outs["installedByPulumi"] == ["Web-Filtering"]
    prov.delete(created.id, created.outs)
    assert "NET-Framework-45-Core" in installed(sim) and "Web-Filtering" not in installed(sim)


def test_removing_iis_asks_for_a_restart(sim):
    prov = WindowsFeaturesProvider()
    created = prov.create(props(sim, NDES1, features=["Web-Server"]))
    prov.delete(created.id, created.outs)
    from ndes.windows import WindowsHost
    from .conftest import make_endpoint
    from ndes.windows.contracts.host_boot import HostBootState
    boot = HostBootState.model_validate(WindowsHost(make_endpoint(sim)).run_script("HostBoot", {"mode": "get"})["state"])
    assert boot.cbs_reboot_pending and boot.restart_requested()  # Windows' flag, and the project's own mark


def test_unknown_feature_names_are_refused_like_windows_does(sim):
    prov = WindowsFeaturesProvider()
    with pytest.raises(ScriptFailed) as info:
        prov.create(props(sim, NDES1, features=["Web-Server", "Web-Sever"]))
    assert info.value.category == "InvalidArgument" and "Web-Sever" in info.value.message
    assert "Web-WebServer" not in installed(sim)


def test_a_feature_without_its_payload_needs_a_source(sim):
    with pytest.raises(ScriptFailed, match="source files could not be found"):
        WindowsFeaturesProvider().create(props(sim, NDES1, features=["NET-HTTP-Activation"]))


def test_a_host_with_everything_installed_by_hand_needs_adopt(sim):
    with sim.edit_state(NDES1) as st:
        st["features"]["installed"] = sorted(set(st["features"]["installed"]) | {"Web-Server", "Web-WebServer"})
    prov = WindowsFeaturesProvider()
    with pytest.raises(AlreadyExists, match="adopt"):
        prov.create(props(sim, NDES1, features=["Web-Server"]))
    adopted = prov.create(props(sim, NDES1, features=["Web-Server"], adopt=True))
    assert adopted.outs["installedByPulumi"] == []
    prov.delete(adopted.id, adopted.outs)  # adopted, not installed by us: stays
    assert "Web-Server" in installed(sim)


def test_check_refuses_bad_names(sim):
    res = WindowsFeaturesProvider().check({}, props(sim, NDES1, features=["Web Server"]))
    assert res.failures and "not a Windows feature name" in res.failures[0].reason
