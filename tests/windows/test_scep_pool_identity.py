"""ScepPoolIdentity against the simulator and the lab DC: a service-account password rotation. The running SCEP
pool survives the reset in AD; its next recycle with the old stored password stops it (NDES would answer 503);
ScepPoolIdentity sets the new password and recycles, and the pool runs; a second run changes nothing; refresh
reports a pool password that differs from the configuration."""
from __future__ import annotations

import uuid

import pytest

from ndes.directory import accounts as acc
from ndes.providers.ndes_role import NdesRoleProvider
from ndes.providers.scep_pool_identity import CHANGED, ScepPoolIdentityProvider
from ndes.windows.contracts import call
from ndes.windows.contracts import ndes_ra_renewal as RA

from .conftest import NDES1
from .part2_lab import _client, endpoint_props, ndes_role_props, prepare_ndes_host, service_account
from .provider_helpers import three_pass

pytestmark = pytest.mark.slow
ROLE = NdesRoleProvider()
P = ScepPoolIdentityProvider()


def _pool(sim) -> dict:
    return sim.read_state(NDES1)["iis"]["appPools"]["SCEP"]


def _reset_in_ad(dc, account: str) -> str:
    new = f"Pw-{uuid.uuid4().hex[:12]}-Y8!"
    with _client(dc) as c:
        acc.set_password(c, acc.find_principal(c, account.split("\\", 1)[1]).dn, new)
    return new


def _recycle(sim, inp) -> None:
    """Restart-WebAppPool SCEP as anything else does it (here: the RA renewal script's primitive)."""
    call(_host(inp), RA.SCRIPT,
         RA.NdesRaRenewalParams(mode="set", action="restart", host_fqdn=NDES1), RA.NdesRaRenewalState)


def _host(inp):
    from ndes.providers._windows import host_of
    return host_of(P.parse(inp))


def _inputs(sim, account, password) -> dict:
    res = P.check({}, {"endpoint": endpoint_props(sim, NDES1), "owner": "tests/pool/identity",
                       "configKey": "ndes:serviceAccount.password", "serviceAccount": account, "password": password})
    assert not res.failures
    return res.inputs


def test_password_rotation_updates_the_pool_and_recycles(sim, samba_dc):
    with service_account(samba_dc) as (account, password, _sid):
        prepare_ndes_host(sim, NDES1, account)
        ROLE.create(ROLE.check({}, {"endpoint": endpoint_props(sim, NDES1), "owner": "tests/pool/ndes-role",
                                    **ndes_role_props(samba_dc, account, password)}).inputs)
        inp = _inputs(sim, account, password)
        created = three_pass(P, inp, sim, NDES1)
        assert created.outs["poolState"] == "Started" and "password" in created.outs
        assert created.outs["notes"] == []  # in sync: nothing done
        starts = _pool(sim)["starts"]

        new = _reset_in_ad(samba_dc, account)  # ServiceAccount's part of the rotation
        assert _pool(sim)["state"] == "Started"  # the running worker keeps its logon: no request fails yet
        rotated = _inputs(sim, account, new)
        assert P.diff(created.id, created.outs, rotated).changes  # the new password: an update

        up = P.update(created.id, created.outs, rotated)
        assert up.outs["poolState"] == "Started" and "recycled" in " ".join(up.outs["notes"])
        pool = _pool(sim)
        assert pool["starts"] == starts + 1 and pool["password"] == new and pool["userName"] == account
        again = P.update(created.id, up.outs, rotated)
        assert again.outs["notes"] == [] and _pool(sim)["starts"] == starts + 1  # nothing to do

        with sim.edit_state(NDES1) as st:  # someone typed another password into IIS Manager
            st["iis"]["appPools"]["SCEP"]["password"] = "typed-by-hand"
        read = P.read(created.id, again.outs)
        assert read.outs["password"] == CHANGED  # refresh shows it; the next up sets the configured one again
        assert P.diff(created.id, read.outs, rotated).changes


def test_without_the_update_the_next_recycle_stops_ndes(sim, samba_dc):
    """What ScepPoolIdentity prevents (issue 13 defect 10): a recycle after the reset fails to log on."""
    with service_account(samba_dc) as (account, password, _sid):
        prepare_ndes_host(sim, NDES1, account)
        ROLE.create(ROLE.check({}, {"endpoint": endpoint_props(sim, NDES1), "owner": "tests/pool/ndes-role",
                                    **ndes_role_props(samba_dc, account, password)}).inputs)
        inp = _inputs(sim, account, password)
        _reset_in_ad(samba_dc, account)
        _recycle(sim, inp)
        assert _pool(sim)["state"] == "Stopped"
