"""LocalGroupMember provider against the simulator (domain accounts resolved through the lab's Samba DC)."""
from __future__ import annotations

import pytest

from ndes.providers.base import AlreadyExists
from ndes.providers.local_group_member import LocalGroupMemberProvider
from ndes.windows import ScriptFailed

from .conftest import NDES1
from .provider_helpers import checked, three_pass, props

pytestmark = pytest.mark.slow


def members(sim, group="IIS_IUSRS") -> list[str]:
    """The members that resolve to a name (IIS_IUSRS also holds an orphaned SID, as real ones often do)."""
    return [m["name"] for m in sim.read_state(NDES1)["localGroups"][group]["members"] if m["name"]]


def test_a_local_account_converges_reads_and_is_removed(sim):
    prov = LocalGroupMemberProvider()
    p = props(sim, NDES1, member="NDES1\\Administrator")
    created = three_pass(prov, p, sim, NDES1)
    assert members(sim) == ["NDES1\\Administrator"]
    assert created.outs["principalSource"] == "Local"
    prov.delete(created.id, created.outs)
    assert members(sim) == []
    assert prov.read(created.id, created.outs).id is None


def test_a_member_removed_behind_the_modules_back_reads_as_gone_and_comes_back(sim):
    prov = LocalGroupMemberProvider()
    p = props(sim, NDES1, member="NDES1\\Administrator")
    created = prov.create(p)
    with sim.edit_state(NDES1) as st:
        st["localGroups"]["IIS_IUSRS"]["members"] = [m for m in st["localGroups"]["IIS_IUSRS"]["members"]
                                                     if not m["name"]]
    assert prov.read(created.id, created.outs).id is None  # refresh drops it; the next up creates it again
    again = prov.create(p)  # our owner mark is still there: taken back without adopt
    assert again.id == created.id and members(sim) == ["NDES1\\Administrator"]


def test_a_member_added_by_hand_needs_adopt(sim):
    with sim.edit_state(NDES1) as st:
        st["localGroups"]["IIS_IUSRS"]["members"].append(
            {"name": "NDES1\\Administrator", "objectClass": "User", "principalSource": "Local"})
    prov = LocalGroupMemberProvider()
    with pytest.raises(AlreadyExists, match="adopt"):
        prov.create(props(sim, NDES1, member="NDES1\\Administrator"))
    assert prov.create(props(sim, NDES1, member="NDES1\\Administrator", adopt=True)).id


def test_changing_the_member_replaces(sim):
    prov = LocalGroupMemberProvider()
    p = props(sim, NDES1, member="NDES1\\Administrator")
    created = prov.create(p)
    d = prov.diff(created.id, created.outs, checked(prov, props(sim, NDES1, member="NDES1\\Guest")))
    assert d.changes and d.replaces == ["member"]


def test_unknown_principals_and_groups_are_refused(sim):
    prov = LocalGroupMemberProvider()
    with pytest.raises(ScriptFailed) as info:
        prov.create(props(sim, NDES1, member="NDES1\\nobody"))
    assert info.value.category == "ObjectNotFound" and "Principal NDES1\\nobody was not found" in info.value.message
    with pytest.raises(ScriptFailed, match="Group No_Such_Group was not found"):
        prov.create(props(sim, NDES1, group="No_Such_Group", member="NDES1\\Administrator"))


def test_check_wants_domain_backslash_account(sim):
    res = LocalGroupMemberProvider().check({}, props(sim, NDES1, member="svc-ndes@lab.contoso.test"))
    assert res.failures and "DOMAIN\\account" in res.failures[0].reason


def test_a_domain_account_from_the_lab_dc(sim, samba_dc, samba_ldap):
    """The NDES service account case: LAB\\<account> resolves through the real Samba DC."""
    from ldap3 import MODIFY_REPLACE  # noqa: F401  (ldap3 is the DC's client here)
    dn = f"CN=svc-ndes-wintest,CN=Users,{samba_dc.domain_dn}"
    samba_ldap.delete(dn)
    assert samba_ldap.add(dn, ["top", "person", "organizationalPerson", "user"],
                          {"sAMAccountName": "svc-ndes-wintest", "userAccountControl": 514}), samba_ldap.result
    try:
        prov = LocalGroupMemberProvider()
        created = prov.create(props(sim, NDES1, member="LAB\\svc-ndes-wintest"))
        assert created.outs["principalSource"] == "ActiveDirectory"
        assert members(sim) == ["LAB\\svc-ndes-wintest"]
        with pytest.raises(ScriptFailed, match="was not found"):
            prov.create(props(sim, NDES1, member="LAB\\no-such-account-x"))
        prov.delete(created.id, created.outs)
        assert members(sim) == []
    finally:
        samba_ldap.delete(dn)


def test_an_orphaned_sid_in_the_group_breaks_nothing(sim):
    """IIS_IUSRS holds a SID that no longer resolves (Get-LocalGroupMember would fail: PowerShell#2996): the
    membership is still read, added and removed by SID, and the orphan is left alone."""
    from lab.winrm_sim import hostmodel
    orphan = [m for m in sim.read_state(NDES1)["localGroups"]["IIS_IUSRS"]["members"] if not m["name"]]
    assert [m["sid"] for m in orphan] == [hostmodel.ORPHANED_SID]
    prov = LocalGroupMemberProvider()
    created = prov.create(props(sim, NDES1, member="NDES1\\Administrator"))
    assert created.outs["memberName"] == "NDES1\\Administrator"
    prov.delete(created.id, created.outs)
    left = sim.read_state(NDES1)["localGroups"]["IIS_IUSRS"]["members"]
    assert [m["sid"] for m in left] == [hostmodel.ORPHANED_SID]


def test_the_same_account_spelled_another_way_is_the_same_member(sim):
    """Compared by SID: ndes1\\administrator is NDES1\\Administrator; adding it again is MemberExists, no change."""
    prov = LocalGroupMemberProvider()
    created = prov.create(props(sim, NDES1, member="NDES1\\Administrator"))
    other = prov.create(props(sim, NDES1, member="ndes1\\ADMINISTRATOR", owner="ndes/test/other", adopt=True))
    assert other.outs["memberName"] == "NDES1\\Administrator" and members(sim) == ["NDES1\\Administrator"]
    assert prov.read(created.id, created.outs).id == created.id
