"""`ndes verify`'s Graph checks against the Graph simulator over HTTPS, signed in as the stack signs in (the
Intune app with its secret; App Proxy as the delegated lab admin by device code): the tenant `pulumi up` leaves
(each declared Graph resource made by its provider) passes; an admin's change in the portal (the simulator's
/_admin/edit) fails with the drift and the config key. The CA host is the unit fakes' (its CaCertificate)."""
from __future__ import annotations

from typing import Any

import pytest

from ndes.verify import Context
from ndes.verify.graph import app_proxy, intune_profiles
from tests.unit.verify_fakes import FakeHost, config, healthy_states, seed_graph

pytestmark = pytest.mark.slow


class SimContext(Context):
    """The unit config's CA host (fakes), with the Graph connections of the simulator."""

    sim: Any = None

    def connection(self, ref: str) -> dict[str, Any]:
        if ref == "graph:appProxy":
            return self.sim.app_proxy_connection()
        return self.sim.connection() if ref == "graph" else super().connection(ref)


def seeded(sim) -> tuple[Any, SimContext]:
    cfg = config(ndesHosts=[{"fqdn": "ndes01.contoso.com", "externalUrl": "https://ndes01-lab.msappproxy.net/"}])
    ctx = SimContext(cfg, windows_factory=lambda name, own: FakeHost(healthy_states(cfg)))
    ctx.sim = sim

    def make(d, ref):
        p = d.provider()
        inp = p.Inputs.model_validate({**d.props, **ctx.connection(ref), "configKey": d.config_key,
                                       "owner": f"ndes/test/{d.step}"})
        return p.apply(inp, None)[0]
    seed_graph(cfg, make)
    return cfg, ctx


def named(sim, collection: str, name: str) -> str:
    return next(k for k, v in sim.state()[collection].items() if v.get("displayName") == name)


def test_verify_reads_the_simulated_tenant_as_refresh_does(graph_sim):
    cfg, ctx = seeded(graph_sim)
    res = app_proxy(cfg, ctx, cfg.ndes_hosts[0]) + intune_profiles(cfg, ctx)
    assert [r for r in res if r.status != "pass"] == [] and len(res) == 9

    graph_sim.admin("/edit", {"collection": "applications", "id": named(graph_sim, "applications", "NDES"),
                              "set": {"onPremisesPublishing": {"externalAuthenticationType": "aadPreAuthentication"}}})
    graph_sim.admin("/edit", {"collection": "deviceConfigurations",
                              "id": named(graph_sim, "deviceConfigurations", "NDES SCEP - iOS/iPadOS"),
                              "set": {"scepServerUrls": ["https://old-lab.msappproxy.net/certsrv/mscep/mscep.dll"]}})
    ctx = SimContext(cfg, windows_factory=ctx.windows_factory)  # a new run: nothing cached
    ctx.sim = graph_sim
    [ap] = app_proxy(cfg, ctx, cfg.ndes_hosts[0])
    assert ap.status == "fail" and ap.detail == "pre-authentication is 'aadPreAuthentication', declared 'passthrough'"
    assert ap.fix.endswith("(ndes:appProxy)")
    [ios] = [r for r in intune_profiles(cfg, ctx) if r.check == "SCEP profile iOS/iPadOS"]
    assert ios.status == "fail" and ios.detail.startswith(
        'SCEP server URLs is ["https://old-lab.msappproxy.net/certsrv/mscep/mscep.dll"], declared')
    assert ios.fix.endswith("(ndes:intune.scep)")
