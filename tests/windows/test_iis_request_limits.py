"""IisRequestLimits provider against the simulator."""
from __future__ import annotations

import pytest

from ndes.providers.base import AlreadyExists
from ndes.providers.iis_request_limits import IisRequestLimitsProvider
from ndes.providers.windows_features import WindowsFeaturesProvider
from ndes.windows import ScriptFailed

from .conftest import NDES1
from .provider_helpers import checked, three_pass, props

pytestmark = pytest.mark.slow


@pytest.fixture
def iis(sim):
    WindowsFeaturesProvider().create(props(sim, NDES1, owner="ndes/test/features", features=["Web-Server",
                                                                                                 "Web-Filtering"]))
    return sim


def limits(sim) -> dict:
    return sim.read_state(NDES1)["iis"]["sites"]["Default Web Site"]["requestLimits"]


def test_limits_converge_read_update_and_delete(iis):
    prov = IisRequestLimitsProvider()
    p = props(iis, NDES1)
    created = three_pass(prov, p, iis, NDES1)
    assert limits(iis) == {"maxUrl": 65534, "maxQueryString": 65534}
    assert (created.outs["maxUrl"], created.outs["maxQueryString"]) == (65534, 65534)
    new = props(iis, NDES1, maxQueryString=32768)
    updated = prov.update(created.id, created.outs, checked(prov, new))
    assert limits(iis)["maxQueryString"] == 32768
    assert not prov.diff(created.id, prov.read(created.id, updated.outs).outs, checked(prov, new)).changes
    prov.delete(created.id, updated.outs)
    assert limits(iis) == {}
    assert prov.read(created.id, updated.outs).outs["maxUrl"] == 4096  # the server's default again


def test_a_limit_changed_behind_the_modules_back_shows_in_read(iis):
    prov = IisRequestLimitsProvider()
    p = props(iis, NDES1)
    created = prov.create(p)
    with iis.edit_state(NDES1) as st:
        st["iis"]["sites"]["Default Web Site"]["requestLimits"]["maxUrl"] = 4096
    read = prov.read(created.id, created.outs)
    assert read.outs["maxUrl"] == 4096 and read.outs["maxQueryString"] == 65534
    assert prov.diff(created.id, read.outs, checked(prov, p)).changes
    prov.update(created.id, read.outs, checked(prov, p))
    assert limits(iis)["maxUrl"] == 65534


def test_limits_set_by_hand_need_adopt(iis):
    with iis.edit_state(NDES1) as st:
        st["iis"]["sites"]["Default Web Site"]["requestLimits"].update(maxUrl=65534, maxQueryString=65534)
    prov = IisRequestLimitsProvider()
    with pytest.raises(AlreadyExists):
        prov.create(props(iis, NDES1))
    assert prov.create(props(iis, NDES1, adopt=True)).outs["maxUrl"] == 65534


def test_without_iis_the_module_is_missing(sim):
    with pytest.raises(ScriptFailed) as info:
        IisRequestLimitsProvider().create(props(sim, NDES1))
    assert info.value.category == "ResourceUnavailable" and "WebAdministration" in info.value.message


def test_an_unknown_site_is_refused(iis):
    with pytest.raises(ScriptFailed, match="does not exist"):
        IisRequestLimitsProvider().apply(
            IisRequestLimitsProvider().parse(checked(IisRequestLimitsProvider(), props(iis, NDES1, site="Nope"))),
            None)
