"""Issue 19 item 6: explicit logon rights accepted instead of IIS_IUSRS membership, including rights granted only
in the LOCAL security policy (secedit's [Privilege Rights] lines, principals as *SID), parsed in Python from a
real-shaped export."""
from __future__ import annotations

from ndes.verify import hosts as w
from ndes.windows.contracts import logon_rights as LR

from .test_verify_hosts import ctx_with, one
from .verify_fakes import SIDS, config

SID = SIDS["svc-ndes"]
# The [Privilege Rights] section of `secedit /export /areas USER_RIGHTS` on a Windows Server member, as the script
# returns its lines (a principal secedit cannot map to a SID stays a name: Guest).
EXPORT = [
    "SeNetworkLogonRight = *S-1-1-0,*S-1-5-32-544,*S-1-5-32-545,*S-1-5-32-551",
    "SeBackupPrivilege = *S-1-5-32-544,*S-1-5-32-551",
    "SeChangeNotifyPrivilege = *S-1-1-0,*S-1-5-19,*S-1-5-20,*S-1-5-32-544,*S-1-5-32-545,*S-1-5-32-551",
    "SeBatchLogonRight = *S-1-5-32-544,*S-1-5-32-551,*S-1-5-32-559",
    "SeServiceLogonRight = *S-1-5-80-0",
    "SeInteractiveLogonRight = Guest,*S-1-5-32-544,*S-1-5-32-545,*S-1-5-32-551",
    "SeDenyNetworkLogonRight = Guest",
    "SeImpersonatePrivilege = *S-1-5-19,*S-1-5-20,*S-1-5-32-544,*S-1-5-6",
]


def granted(*rights: str, who: str = f"*{SID}") -> list[str]:
    out = []
    for line in EXPORT:
        right = line.split(" = ")[0]
        out.append(f"{line},{who}" if right in rights else line)
    return out


def test_the_export_is_parsed_as_secedit_writes_it():
    parsed = LR.parse(["\ufeffSeBatchLogonRight = *S-1-5-32-544, *S-1-5-32-551", "; a comment", "",
                       "not a right", *EXPORT[4:6]])
    assert parsed["SeBatchLogonRight"] == ["*S-1-5-32-544", "*S-1-5-32-551"]
    assert parsed["SeInteractiveLogonRight"][0] == "Guest" and parsed["SeServiceLogonRight"] == ["*S-1-5-80-0"]
    assert "not a right" not in parsed


def test_the_account_is_recognised_by_sid_or_name_only():
    assert LR.rights_of(EXPORT, "CONTOSO\\svc-ndes", SID) == set()  # the defaults: groups, not the account
    assert LR.rights_of(granted(*LR.LOGON_RIGHTS), "CONTOSO\\svc-ndes", SID) == set(LR.LOGON_RIGHTS)
    assert LR.rights_of(granted("SeBatchLogonRight", who="CONTOSO\\SVC-NDES"), "CONTOSO\\svc-ndes", SID) == \
        {"SeBatchLogonRight"}
    other = granted(*LR.LOGON_RIGHTS, who="*S-1-5-21-1-2-3-11050")  # a SID that merely starts like ours
    assert LR.rights_of(other, "CONTOSO\\svc-ndes", SID) == set()
    assert LR.rights_of(granted(*LR.LOGON_RIGHTS), "CONTOSO\\svc-ndes", "") == set()  # unresolved: no SID match


ALONE = {"memberSid": "", "members": []}


def check(**states):
    cfg = config()
    return one(w.iis_iusrs(cfg, ctx_with(cfg, LocalGroupMember=ALONE, **states), cfg.ndes_hosts[0]))


def test_rights_granted_only_in_the_local_policy_are_accepted():
    r = check(LogonRights={"privilegeRights": granted(*LR.LOGON_RIGHTS)})
    assert r.status == "pass" and "local policy" in r.detail, r


def test_rights_split_between_group_and_local_policy_count_together():
    rsop = {"SeInteractiveLogonRight": ["CONTOSO\\svc-ndes"]}
    r = check(HostDiagnostics={"userRights": rsop},
              LogonRights={"privilegeRights": granted("SeBatchLogonRight", "SeServiceLogonRight")})
    assert r.status == "pass" and "group policy and local policy" in r.detail, r


def test_a_missing_right_fails_naming_it_and_the_fix():
    r = check(LogonRights={"privilegeRights": granted("SeBatchLogonRight", "SeInteractiveLogonRight")})
    assert r.status == "fail" and "SeServiceLogonRight missing" in r.detail
    assert "IIS_IUSRS" in r.fix and "secpol.msc" in r.fix


def test_an_export_that_failed_grants_nothing():
    r = check(LogonRights={"exitCode": 1, "privilegeRights": granted(*LR.LOGON_RIGHTS)})
    assert r.status == "fail", r
    r = check(LogonRights=RuntimeError("secedit failed"))
    assert r.status == "fail", r
