"""LogonRights.ps1 against the simulator: secedit's [Privilege Rights] lines in their real shape (principals as
*SID, a name where secedit keeps one), the account's SID as Windows resolves it, rights granted in the local policy
read back, and an export that fails."""
from __future__ import annotations

import pytest

from ndes.windows import WindowsHost
from ndes.windows.contracts import logon_rights as LR

from .conftest import NDES1, make_endpoint

pytestmark = pytest.mark.slow
ACCOUNT = "NDES1\\Administrator"


def read(sim) -> LR.LogonRightsState:
    doc = WindowsHost(make_endpoint(sim)).run_script(LR.SCRIPT, LR.LogonRightsParams(account=ACCOUNT).wire())
    return LR.LogonRightsState.model_validate(doc["state"])


def grant(sim, rights: dict[str, list[str]]) -> None:
    with sim.edit_state(NDES1) as st:
        st.setdefault("localPolicy", {})["privilegeRights"] = rights


def test_local_policy_rights_read_back_by_sid(sim):
    st = read(sim)
    assert st.exit_code == 0 and st.account_sid.startswith("S-1-5-21-")
    parsed = LR.parse(st.privilege_rights)
    assert parsed["SeServiceLogonRight"] == ["*S-1-5-80-0"] and "Guest" in parsed["SeDenyNetworkLogonRight"]
    assert all(" = " in line for line in st.privilege_rights)
    assert LR.rights_of(st.privilege_rights, ACCOUNT, st.account_sid) == set()  # defaults: groups only

    me = f"*{st.account_sid}"
    grant(sim, {"SeInteractiveLogonRight": ["*S-1-5-32-544", me], "SeBatchLogonRight": ["*S-1-5-32-544", me],
                "SeServiceLogonRight": ["*S-1-5-80-0", me]})
    st = read(sim)
    assert LR.rights_of(st.privilege_rights, ACCOUNT, st.account_sid) == set(LR.LOGON_RIGHTS)

    grant(sim, {"SeServiceLogonRight": []})  # nobody holds it: secedit leaves the line out
    st = read(sim)
    assert not any(line.startswith("SeServiceLogonRight") for line in st.privilege_rights)
    assert "SeServiceLogonRight" not in LR.rights_of(st.privilege_rights, ACCOUNT, st.account_sid)


def test_a_failed_export_reports_its_exit_code_and_no_lines(sim):
    with sim.edit_state(NDES1) as st:
        st["localPolicy"] = {"exportExitCode": 1}
    st = read(sim)
    assert st.exit_code == 1 and st.privilege_rights == []


def test_verify_accepts_local_policy_rights_instead_of_iis_iusrs(sim):
    """`ndes verify`'s IIS_IUSRS check through the real WinRM client against the simulated host: not a member and
    no rights -> fail; the three rights granted in the local policy only -> pass; one taken away -> fail naming
    it."""
    from ndes.verify import Context
    from ndes.verify import hosts as w
    from tests.unit.verify_fakes import config
    cfg = config()
    cfg = cfg.model_copy(update={"domain": cfg.domain.model_copy(update={"netbios_name": "NDES1"}),
                                 "service_account": cfg.service_account.model_copy(update={"name": "Administrator"})})

    def check():
        ctx = Context(cfg, windows_factory=lambda name, own: WindowsHost(make_endpoint(sim)))
        return w.iis_iusrs(cfg, ctx, cfg.ndes_hosts[0])[0]

    r = check()
    assert r.status == "fail" and "SeInteractiveLogonRight, SeBatchLogonRight, SeServiceLogonRight missing" in r.detail
    me = f"*{read(sim).account_sid}"
    grant(sim, {right: ["*S-1-5-32-544", me] for right in LR.LOGON_RIGHTS})
    r = check()
    assert r.status == "pass" and "by local policy" in r.detail, r
    grant(sim, {"SeInteractiveLogonRight": ["*S-1-5-32-544", me], "SeBatchLogonRight": [me]})
    r = check()
    assert r.status == "fail" and "SeServiceLogonRight missing" in r.detail, r
