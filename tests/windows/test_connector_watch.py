"""The Intune connector's certificate in the preview: 30 days ahead a warning with the renewal step (sign in again
in the connector UI), after the host's clock passes its expiry a warning naming IIS 403.17."""
from __future__ import annotations

import pytest

from lab.winrm_sim.handlers import intune_connector as sim_connector
from ndes.providers.intune_connector import IntuneConnectorProvider

from .conftest import NDES1
from .part2_lab import endpoint_props
from .provider_helpers import three_pass

pytestmark = pytest.mark.slow
P = IntuneConnectorProvider()


def test_preview_warns_ahead_of_the_connector_certificates_expiry(sim, capfd):
    with sim.edit_state(NDES1) as st:
        path = sim_connector.stage_installer(st)
    inp = P.check({}, {"endpoint": endpoint_props(sim, NDES1), "owner": "tests/watch/connector",
                       "configKey": "ndes:connector", "installerPath": path}).inputs
    created = three_pass(P, inp, sim, NDES1)
    with sim.edit_state(NDES1) as st:
        sim_connector.register(st, days=200)
    capfd.readouterr()
    P.diff(created.id, created.outs, inp)
    assert "Intune connector's certificate" not in capfd.readouterr().err  # 200 days: nothing to say

    sim.set_clock(185)  # 15 days left by the host's clock
    P.diff(created.id, created.outs, inp)
    said = capfd.readouterr().err
    assert "days left" in said and "PFXCertificateConnectorUI.exe" in said and "sign in" in said, said
    assert any("days left" in n for n in P.update(created.id, created.outs, inp).outs["notes"])

    sim.set_clock(202)
    P.diff(created.id, created.outs, inp)
    assert "403.17" in capfd.readouterr().err
