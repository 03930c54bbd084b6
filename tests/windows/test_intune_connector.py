"""IntuneConnector against the simulator: report-only, silent install from an installer on the host,
registration detected (never faked) with the instruction, requireRegistered, an expired connector
certificate, drift, and uninstall only of what it installed."""
from __future__ import annotations

import pytest

from lab.winrm_sim.handlers import intune_connector as sim_connector
from ndes.providers.base import AlreadyExists
from ndes.providers.intune_connector import IntuneConnectorProvider
from ndes.windows import ScriptFailed

from .conftest import NDES1
from .part2_lab import endpoint_props
from .provider_helpers import three_pass

pytestmark = pytest.mark.slow
P = IntuneConnectorProvider()


def inputs(sim, **over) -> dict:
    res = P.check({}, {"endpoint": endpoint_props(sim, NDES1), "owner": "tests/part2/connector",
                       "configKey": "ndes:connector", **over})
    assert not res.failures, res.failures
    return res.inputs


def test_not_installed_without_an_installer_is_reported_or_refused(sim):
    report = P.create(inputs(sim))  # report only: the chain goes on, the outputs say what to do
    assert report.outs["installed"] is False and report.outs["registered"] is False
    assert "install the Certificate Connector" in report.outs["instruction"]
    assert any("ndes:connector.installerPath" in n for n in report.outs["notes"])
    assert P.read(report.id, report.outs).outs["installed"] is False  # still there (a report), not "gone"
    with pytest.raises(ScriptFailed, match="not installed.*ndes:connector.installerPath"):
        P.create(inputs(sim, requireRegistered=True))
    with pytest.raises(ScriptFailed, match="does not exist on this host"):
        P.create(inputs(sim, installerPath=r"C:\nowhere\setup.exe"))


def test_silent_install_registration_and_uninstall(sim):
    with sim.edit_state(NDES1) as st:
        path = sim_connector.stage_installer(st)
    inp = inputs(sim, installerPath=path)
    created = three_pass(P, inp, sim, NDES1)
    out = created.outs
    assert out["installed"] and out["servicesRunning"] and out["version"]
    assert out["registered"] is False and "PFXCertificateConnectorUI.exe" in out["instruction"]
    assert any("not registered" in n for n in out["notes"])
    assert P.update(created.id, out, inp).outs["installed"]  # second converge: nothing to do

    with pytest.raises(ScriptFailed, match="not registered with Intune: registration needs an interactive sign-in"):
        P.update(created.id, out, {**inp, "requireRegistered": True})

    with sim.edit_state(NDES1) as st:  # what an admin's sign-in in the connector UI does
        sim_connector.register(st, days=365)
    read = P.read(created.id, out)
    assert read.outs["registered"] is True and read.outs["instruction"] == ""
    assert 363 <= read.outs["certificateDaysLeft"] <= 365
    assert P.update(created.id, read.outs, {**inp, "requireRegistered": True}).outs["registered"]

    with sim.edit_state(NDES1) as st:  # drift: a service stopped
        st["services"]["PFXCertificateConnectorSvc"]["status"] = "Stopped"
    assert P.read(created.id, read.outs).outs["servicesRunning"] is False
    assert P.update(created.id, read.outs, inp).outs["servicesRunning"] is True

    with sim.edit_state(NDES1) as st:  # the connector certificate expired: 403.17 for devices
        sim_connector.register(st, days=-1)
    with pytest.raises(ScriptFailed, match="403.17"):
        P.update(created.id, read.outs, {**inp, "requireRegistered": True})

    with sim.edit_state(NDES1) as st:  # a feature not configured: its Manual service is left alone
        assert st["services"]["PkiRevokeConnectorSvc"] == {"status": "Stopped", "startType": "Manual"}
        st["services"]["PFXCertificateConnectorSvc"].update(status="Stopped", failsToStart=True)
    res = P.update(created.id, read.outs, inp)  # a service that will not start is a warning, not a failure
    assert res.outs["servicesRunning"] is False
    assert any("PFXCertificateConnectorSvc did not start" in n for n in res.outs["notes"])
    assert sim.read_state(NDES1)["services"]["PkiRevokeConnectorSvc"]["status"] == "Stopped"

    P.delete(created.id, read.outs)
    assert P.read(created.id, read.outs).id is None


def test_a_connector_installed_by_hand_is_reported_and_never_removed(sim):
    with sim.edit_state(NDES1) as st:
        path = sim_connector.stage_installer(st)
    P.create(inputs(sim, installerPath=path, owner=""))  # stands for a hand install
    report = P.create(inputs(sim))  # no installerPath: report only, nothing taken over
    assert report.outs["installed"] is True
    P.delete(report.id, report.outs)
    assert P.read(report.id, report.outs).outs["installed"] is True
    with pytest.raises(AlreadyExists, match="adopt"):  # installing it ourselves would take it over
        P.create(inputs(sim, installerPath=path))
