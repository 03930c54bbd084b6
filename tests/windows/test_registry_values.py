"""RegistryValues provider against the simulator: HTTP.sys values, converge, drift, delete, reboot flag."""
from __future__ import annotations

import pytest

from ndes.providers.base import AlreadyExists
from ndes.providers.registry_values import HTTP_SYS_PARAMETERS, RegistryValuesProvider, http_sys_values

from .conftest import NDES1
from .provider_helpers import checked, three_pass, props

pytestmark = pytest.mark.slow


def _value(sim, name):
    return sim.read_state(NDES1)["registry"][HTTP_SYS_PARAMETERS.lower()]["values"].get(name.lower())


def _pending(sim):
    from ndes.windows import WindowsHost
    from ndes.windows.contracts.host_boot import HostBootState
    from .conftest import make_endpoint
    return HostBootState.model_validate(WindowsHost(make_endpoint(sim)).run_script("HostBoot", {"mode": "get"})["state"])


def test_http_sys_values_converge_read_update_and_delete(sim):
    prov = RegistryValuesProvider()
    p = props(sim, NDES1, values=http_sys_values(), markRebootPending=True)
    created = three_pass(prov, p, sim, NDES1)
    assert created.outs["rebootRequired"] is True
    assert _value(sim, "MaxFieldLength") == {"name": "MaxFieldLength", "type": "DWord", "value": 65534}
    assert _pending(sim).restart_requested()

    read = prov.read(created.id, created.outs)
    assert read.outs["values"] == [{"path": HTTP_SYS_PARAMETERS, "name": "MaxFieldLength", "type": "DWord",
                                       "value": 65534},
                                      {"path": HTTP_SYS_PARAMETERS, "name": "MaxRequestBytes", "type": "DWord",
                                       "value": 65534}]

    new = props(sim, NDES1, values=http_sys_values(65534, 1048576), markRebootPending=True)
    assert prov.diff(created.id, read.outs, checked(prov, new)).changes
    updated = prov.update(created.id, read.outs, new)
    assert _value(sim, "MaxRequestBytes")["value"] == 1048576
    assert not prov.diff(created.id, prov.read(created.id, updated.outs).outs, checked(prov, new)).changes

    prov.delete(created.id, updated.outs)
    assert _value(sim, "MaxFieldLength") is None and _value(sim, "MaxRequestBytes") is None
    assert prov.read(created.id, updated.outs).id is None


def test_drift_behind_the_modules_back_shows_in_read(sim):
    prov = RegistryValuesProvider()
    p = props(sim, NDES1, values=http_sys_values())
    created = prov.create(p)
    with sim.edit_state(NDES1) as st:
        vals = st["registry"][HTTP_SYS_PARAMETERS.lower()]["values"]
        vals["maxfieldlength"]["value"] = 16384
        del vals["maxrequestbytes"]
    read = prov.read(created.id, created.outs)
    assert read.outs["values"] == [{"path": HTTP_SYS_PARAMETERS, "name": "MaxFieldLength", "type": "DWord",
                                       "value": 16384}]
    assert prov.diff(created.id, read.outs, checked(prov, p)).changes
    prov.update(created.id, read.outs, p)
    assert _value(sim, "MaxFieldLength")["value"] == 65534 and _value(sim, "MaxRequestBytes")["value"] == 65534


def test_a_value_of_another_type_is_converged_to_the_declared_type(sim):
    with sim.edit_state(NDES1) as st:
        st["registry"][HTTP_SYS_PARAMETERS.lower()]["values"]["maxfieldlength"] = {
            "name": "MaxFieldLength", "type": "String", "value": "65534"}
    prov = RegistryValuesProvider()
    p = props(sim, NDES1, values=http_sys_values()[:1], adopt=True)
    created = prov.create(p)
    assert created.outs["values"][0]["type"] == "DWord" and _value(sim, "MaxFieldLength")["type"] == "DWord"


def test_existing_values_are_not_taken_over_without_adopt(sim):
    prov = RegistryValuesProvider()
    with sim.edit_state(NDES1) as st:
        for name in ("MaxFieldLength", "MaxRequestBytes"):
            st["registry"][HTTP_SYS_PARAMETERS.lower()]["values"][name.lower()] = {
                "name": name, "type": "DWord", "value": 65534}
    with pytest.raises(AlreadyExists, match="adopt"):
        prov.create(props(sim, NDES1, values=http_sys_values()))
    assert prov.create(props(sim, NDES1, values=http_sys_values(), adopt=True)).id


def test_a_create_that_crashed_is_taken_back_by_its_owner(sim):
    prov = RegistryValuesProvider()
    p = props(sim, NDES1, owner="ndes/lab/http-sys", values=http_sys_values())
    prov.create(p)  # the engine never recorded it
    again = prov.create(p)  # same owner: taken back without adopt
    assert again.id


def test_the_pending_reboot_flag_is_cleared_by_a_restart(sim):
    from ndes.windows import WindowsHost
    from .conftest import make_endpoint
    sim.knobs(rebootSeconds=1)
    RegistryValuesProvider().create(props(sim, NDES1, values=http_sys_values(), markRebootPending=True))
    assert _pending(sim).restart_requested() is True
    WindowsHost(make_endpoint(sim)).reboot_and_wait(timeout=60, poll=0.5)
    after = _pending(sim)
    assert after.restart_requested() is False and after.windows_reasons() == []  # a restart clears them all


def test_check_refuses_wrong_types_naming_the_field(sim):
    prov = RegistryValuesProvider()
    bad = props(sim, NDES1, values=[{"path": HTTP_SYS_PARAMETERS, "name": "MaxFieldLength", "type": "DWord",
                                     "value": "65534"}], configKey="ndes:httpSys")
    res = prov.check({}, bad)
    assert res.failures and "DWord" in res.failures[0].reason and res.failures[0].reason.startswith("ndes:httpSys")
    res = prov.check({}, props(sim, NDES1, values=[{"path": r"HKCU:\Software\x", "name": "a", "type": "String",
                                                    "value": "b"}]))
    assert res.failures and "HKLM" in res.failures[0].reason
