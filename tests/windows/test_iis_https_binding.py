"""IisHttpsBinding against the simulator: *:443 with an EMPTY host name and the certificate; a host name set
by hand reads back as hostName and is repaired; delete removes only a binding with our certificate."""
from __future__ import annotations

import pytest

from lab.winrm_sim import hostmodel
from ndes.providers.base import AlreadyExists
from ndes.providers.iis_https_binding import IisHttpsBindingProvider
from ndes.windows import ScriptFailed

from .conftest import NDES1
from .part2_lab import endpoint_props, prepare_ndes_host, put_certificate
from .provider_helpers import three_pass

pytestmark = pytest.mark.slow
P = IisHttpsBindingProvider()


def inputs(sim, thumb: str, **over) -> dict:
    res = P.check({}, {"endpoint": endpoint_props(sim, NDES1), "thumbprint": thumb,
                       "owner": "tests/part2/binding", **over})
    assert not res.failures, res.failures
    return res.inputs


def https(sim) -> list[dict]:
    site = sim.read_state(NDES1)["iis"]["sites"]["Default Web Site"]
    return [b for b in site["bindings"] if b["protocol"] == "https"]


def test_bind_converge_drift_repair_delete(sim):
    prepare_ndes_host(sim, NDES1)
    thumb = put_certificate(sim, NDES1, "ndes1-lab.msappproxy.net", ["ndes1-lab.msappproxy.net"])
    inp = inputs(sim, thumb)
    created = three_pass(P, inp, sim, NDES1)
    assert created.id == "Default Web Site/https/443"
    assert created.outs["bindingInformation"] == "*:443:" and created.outs["hostName"] == ""
    assert https(sim) == [{"protocol": "https", "bindingInformation": "*:443:", "certificateHash": thumb,
                           "certificateStoreName": "My", "sslFlags": 0}]
    assert P.update(created.id, created.outs, inp).outs["thumbprint"] == thumb
    assert len(https(sim)) == 1

    with sim.edit_state(NDES1) as st:  # what the IIS dialog does: the machine name as host name
        hostmodel.find_site(st, "Default Web Site")[1]["bindings"][-1]["bindingInformation"] = \
            "*:443:ndes1.lab.contoso.test"
    read = P.read(created.id, created.outs)
    assert read.inputs["hostName"] == "ndes1.lab.contoso.test"
    diff = P.diff(created.id, read.outs, inp)
    assert diff.changes and not diff.replaces
    repaired = P.update(created.id, read.outs, inp)
    assert repaired.outs["hostName"] == "" and [b["bindingInformation"] for b in https(sim)] == ["*:443:"]

    new_thumb = put_certificate(sim, NDES1, "ndes1-lab.msappproxy.net", ["ndes1-lab.msappproxy.net"])
    moved = P.update(created.id, repaired.outs, inputs(sim, new_thumb))  # the certificate renewed
    assert moved.outs["thumbprint"] == new_thumb and https(sim)[0]["certificateHash"] == new_thumb

    P.delete(created.id, repaired.outs)  # carries another certificate now: not ours to remove
    assert len(https(sim)) == 1
    P.delete(created.id, moved.outs)
    assert https(sim) == [] and P.read(created.id, moved.outs).id is None


def test_refusals_and_adoption(sim):
    prepare_ndes_host(sim, NDES1)
    with pytest.raises(ScriptFailed, match="is not in LocalMachine"):
        P.create(inputs(sim, "AB" * 20))
    thumb = put_certificate(sim, NDES1, "x.example", ["x.example"])
    with pytest.raises(ScriptFailed, match="site Nope does not exist"):
        P.create(inputs(sim, thumb, siteName="Nope"))
    P.create(inputs(sim, thumb, owner=""))  # a binding made by hand
    with pytest.raises(AlreadyExists, match="adopt"):
        P.create(inputs(sim, thumb))
    assert P.create(inputs(sim, thumb, adopt=True)).outs["hostName"] == ""
    assert P.check({}, {"endpoint": endpoint_props(sim, NDES1), "thumbprint": "nope"}).failures


def test_delete_removes_exactly_its_binding_element(sim):
    """Issue 13 item 11: the binding is removed by its exact element (Remove-WebBinding -BindingInformation), so
    another https binding on 443 (an SNI site of someone else's, here with the same certificate) stays."""
    prepare_ndes_host(sim, NDES1)
    thumb = put_certificate(sim, NDES1, "ndes1-lab.msappproxy.net", ["ndes1-lab.msappproxy.net"])
    created = P.create(inputs(sim, thumb))
    with sim.edit_state(NDES1) as st:
        hostmodel.find_site(st, "Default Web Site")[1]["bindings"].append(
            {"protocol": "https", "bindingInformation": "*:443:portal.example", "certificateHash": thumb,
             "certificateStoreName": "My", "sslFlags": 1})
    P.delete(created.id, created.outs)
    assert [b["bindingInformation"] for b in https(sim)] == ["*:443:portal.example"]
    from ndes.windows.contracts import iis_https_binding as C
    st = C.IisHttpsBindingState.model_validate({"siteExists": True, "bindings": [
        {"bindingInformation": "*:443:portal.example"}, {"bindingInformation": "*:443:", "thumbprint": thumb}]})
    assert C.target(st).binding_information == "*:443:"  # ours is the one without a host name
    assert [a.kind for a in C.plan(st, "*", 443, "", 0, thumb)] == []  # nothing to do
