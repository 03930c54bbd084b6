"""CaAccess against the simulator's CA host (account SIDs resolved in the real lab Samba): grant, converge
without a restart, drift, delete only its ACE, adoption rules."""
from __future__ import annotations

import pytest

from ndes.providers.base import AlreadyExists
from ndes.providers.ca_access import CaAccessProvider

from .conftest import CA1
from .part2_lab import endpoint_props, service_account
from .provider_helpers import three_pass

pytestmark = pytest.mark.slow
P = CaAccessProvider()
ENROLL = 0x200


def props(sim, dc, account: str, **over) -> dict:
    base = {"endpoint": endpoint_props(sim, CA1), "caName": dc.enterprise_ca_name, "account": account,
            "owner": "tests/part2/ca-access", "configKey": "ndes:ca"}
    base.update(over)
    return P.check({}, base).inputs


def aces(sim, sid: str) -> list[dict]:
    return [a for a in sim.read_state(CA1)["certsvc"]["security"] if a["sid"] == sid]


def restarts(sim) -> int:
    return sim.read_state(CA1)["certsvc"]["service"]["restarts"]


def test_grant_converge_drift_delete(sim, samba_dc):
    with service_account(samba_dc) as (account, _pw, sid):
        inp = props(sim, samba_dc, account)
        created = three_pass(P, inp, sim, CA1)
        assert created.id == f"{samba_dc.enterprise_ca_name}/{sid}"
        assert created.outs["resolvedSid"] == sid and created.outs["mask"] & ENROLL and created.outs["restarted"]
        assert aces(sim, sid) == [{"type": "allow", "sid": sid, "mask": ENROLL}]
        assert restarts(sim) == 1
        others = [a for a in sim.read_state(CA1)["certsvc"]["security"] if a["sid"] != sid]

        again = P.update(created.id, created.outs, inp)  # second converge: no change, no restart
        assert again.outs["restarted"] is False and restarts(sim) == 1

        read = P.read(created.id, created.outs)
        assert read.id == created.id and read.outs["mask"] == ENROLL and read.inputs["account"] == account

        with sim.edit_state(CA1) as st:  # drift: someone removes the right in the CA console
            st["certsvc"]["security"] = [a for a in st["certsvc"]["security"] if a["sid"] != sid]
        assert P.read(created.id, created.outs).id is None

        recreated = P.create(inp)  # up after refresh grants it again (our owner mark is still there)
        assert aces(sim, sid)[0]["mask"] == ENROLL and restarts(sim) == 2

        P.delete(recreated.id, recreated.outs)
        assert aces(sim, sid) == [] and restarts(sim) == 3
        assert [a for a in sim.read_state(CA1)["certsvc"]["security"] if a["sid"] != sid] == others
        P.delete(recreated.id, recreated.outs)  # gone is fine
        assert restarts(sim) == 3


def test_delete_takes_back_only_enroll_from_a_richer_ace(sim, samba_dc):
    with service_account(samba_dc) as (account, _pw, sid):
        with sim.edit_state(CA1) as st:
            from lab.winrm_sim import certstore
            certstore.certsvc(st)["security"].append({"type": "allow", "sid": sid, "mask": 0x2 | 0x100})
        inp = props(sim, samba_dc, account, accountSid=sid)
        created = P.create(inp)  # the account had Officer rights but no Enroll: not "already exists"
        assert aces(sim, sid) == [{"type": "allow", "sid": sid, "mask": 0x2 | 0x100 | ENROLL}]
        P.delete(created.id, created.outs)
        assert aces(sim, sid) == [{"type": "allow", "sid": sid, "mask": 0x2 | 0x100}]


def test_an_existing_right_needs_adopt(sim, samba_dc):
    with service_account(samba_dc) as (account, _pw, sid):
        with sim.edit_state(CA1) as st:
            from lab.winrm_sim import certstore
            certstore.certsvc(st)["security"].append({"type": "allow", "sid": sid, "mask": ENROLL})
        with pytest.raises(AlreadyExists, match="adopt"):
            P.create(props(sim, samba_dc, account))
        adopted = P.create(props(sim, samba_dc, account, adopt=True))
        assert adopted.outs["restarted"] is False  # nothing to change: no CA restart


def test_unknown_account_and_unknown_ca_are_clear_errors(sim, samba_dc):
    from ndes.windows import ScriptFailed

    with pytest.raises(ScriptFailed, match="could not be translated"):
        P.create(props(sim, samba_dc, "LAB\\no-such-account-x"))
    with pytest.raises(ScriptFailed, match="no certification authority named 'Other CA'"):
        P.create(props(sim, samba_dc, "LAB\\Administrator", caName="Other CA"))


def test_a_ca_whose_name_windows_sanitizes_is_found_through_the_active_key(sim, samba_dc):
    """Issue 13 item 11: the CA's registry key is its SANITIZED name (a comma becomes !002c), found through
    CertSvc\\Configuration Active; the common name is read from the key and compared without case."""
    from lab.winrm_sim import certstore
    name = "Contoso, Inc. Issuing CA"
    with sim.edit_state(CA1) as st:
        certstore.certsvc(st)["caName"] = name
    try:
        inp = props(sim, samba_dc, "LAB\\Administrator", caName=name.upper())
        from ndes.windows.contracts import ca_access as C
        from ndes.providers._windows import host_of
        st = C.CaAccessState.model_validate(host_of(P.Inputs.model_validate(inp)).run_script(
            "CaAccess", C.CaAccessParams(mode="get", ca_name=name, account="LAB\\Administrator").wire())["state"])
        assert st.config_key == "Contoso!002c Inc. Issuing CA" and st.common_name == name
        created = P.create(inp)  # the configured name in another case is the same CA
        assert created.outs["mask"] & ENROLL
        P.delete(created.id, created.outs)
    finally:
        with sim.edit_state(CA1) as st:
            certstore.certsvc(st)["caName"] = samba_dc.enterprise_ca_name
