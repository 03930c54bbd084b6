"""Fixtures of the Windows-plane tests: a PRIVATE WinRM simulator (its own loopback addresses, state directory
and admin port), so knobs, restarts and state resets here never disturb a lab or e2e run sharing the machine."""
from __future__ import annotations

import pytest

from lab import pki, topology
from lab.secrets import lab_secret
from lab.winrm_sim.control import Instance
from ndes.windows import Endpoint

NDES1 = topology.NDES_HOSTS[0]["name"]
NDES2 = topology.NDES_HOSTS[1]["name"]
CA1 = topology.CA["name"]


@pytest.fixture(scope="session")
def winrm_sim(tmp_path_factory):
    inst = Instance.private(tmp_path_factory.mktemp("winrm-sim"))
    inst.up()
    try:
        yield inst
    finally:
        inst.down()


@pytest.fixture
def sim(winrm_sim):
    """The private simulator with knobs reset, fresh hosts and zeroed counters."""
    winrm_sim.knobs(reset=True)
    for h in (NDES1, NDES2, CA1):
        winrm_sim.reset_state(h)
    winrm_sim.reset_stats()
    yield winrm_sim
    winrm_sim.knobs(reset=True)


def make_endpoint(sim: Instance, host: str = NDES1, **over) -> Endpoint:
    args = dict(host=host, url=sim.url_of(host), username=topology.WINRM_USER,
                password=lab_secret("winrm-password"), ca_bundle_pem=pki.ca_bundle_path().read_text(),
                operation_timeout=60)
    args.update(over)
    return Endpoint(**args)


@pytest.fixture
def endpoint(sim) -> Endpoint:
    return make_endpoint(sim)
