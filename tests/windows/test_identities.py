"""Who calls a simulated Windows host (lab/winrm_sim/identity.py): each connection's logon (NTLM or CredSSP) and
account; the NDES install's second hop to the CA refused without delegation or -Credential; a non-admin
installer refused; per-host WinRM accounts (the CA's own account is no admin on the NDES host)."""
from __future__ import annotations

import pytest

from lab import topology
from lab.secrets import lab_secret
from lab.winrm_sim.identity import CA_WINRM_USER, DOMAIN_ADMIN
from ndes.providers.ndes_role import NdesRoleProvider
from ndes.windows import ScriptFailed, WindowsHost, WindowsHostError

from .conftest import CA1, NDES1, make_endpoint
from .part2_lab import endpoint_props, ndes_role_props, prepare_ndes_host, service_account

pytestmark = pytest.mark.slow
P = NdesRoleProvider()


def role_inputs(sim, dc, account, password, endpoint=None, **over) -> dict:
    res = P.check({}, {"endpoint": endpoint or endpoint_props(sim, NDES1), "owner": "tests/identities/ndes-role",
                       "configKey": "ndes:ndesRole", **ndes_role_props(dc, account, password, **over)})
    assert not res.failures, res.failures
    return res.inputs


def test_an_ntlm_logon_cannot_install_ndes_without_a_credential(sim, samba_dc):
    with service_account(samba_dc) as (account, password, _sid):
        prepare_ndes_host(sim, NDES1, account)
        with pytest.raises(ScriptFailed) as info:
            P.create(role_inputs(sim, samba_dc, account, password, installCredential=None))
        msg = str(info.value)
        assert "Access is denied. 0x80070005" in msg and "NTLM logon of LAB\\pulumi-winrm" in msg
        assert "ANONYMOUS LOGON" in msg and "Fix: the NTLM WinRM logon of LAB\\pulumi-winrm" in msg
        assert "set ndes:ndesRole.installCredential to a Domain Admins member" in msg
        assert P.find(P.parse(role_inputs(sim, samba_dc, account, password))) is None  # nothing half-installed


def test_the_installer_must_be_a_domain_admin_with_the_right_password(sim, samba_dc):
    with service_account(samba_dc) as (account, password, _sid):
        prepare_ndes_host(sim, NDES1, account)
        with pytest.raises(ScriptFailed) as info:  # a domain user, not in Domain Admins / Enterprise Admins
            P.create(role_inputs(sim, samba_dc, account, password,
                                 installCredential={"username": account, "password": password}))
        assert f"Insufficient privileges: {account} is not a member of Domain Admins or Enterprise Admins" \
            in str(info.value)
        assert "Fix: install as a member of Domain Admins" in str(info.value)
        with pytest.raises(ScriptFailed, match="user name or password is incorrect") as info:
            P.create(role_inputs(sim, samba_dc, account, password,
                                 installCredential={"username": DOMAIN_ADMIN, "password": "Not-the-Passw0rd!"}))
        assert "Not-the-Passw0rd!" not in str(info.value)
        assert P.find(P.parse(role_inputs(sim, samba_dc, account, password))) is None
        out = P.create(role_inputs(sim, samba_dc, account, password)).outs  # LAB\Administrator: Domain Admins
        assert {c["template"] for c in out["raCertificates"]} == {"EnrollmentAgentOffline", "CEPEncryption"}


def test_each_host_has_its_own_account(sim):
    ca_account = make_endpoint(sim, CA1, username=CA_WINRM_USER, password=lab_secret("ca-winrm-password"))
    assert WindowsHost(ca_account).run_script("CaCertificate", {"mode": "get", "caName": topology.CA["common_name"]})
    on_ndes = make_endpoint(sim, NDES1, username=CA_WINRM_USER, password=lab_secret("ca-winrm-password"))
    with pytest.raises(WindowsHostError) as info:  # authenticated, but no admin there: WinRM's Access is denied
        WindowsHost(on_ndes).run_script("WindowsFeatures", {"mode": "get", "features": ["Web-Server"]})
    assert "WS-Management fault 5" in str(info.value) and "Access is denied" in str(info.value)
    assert f"{CA_WINRM_USER} is not in {NDES1}'s local Administrators" in str(info.value)
    assert "ndes:ndesHosts[i].winrm" in str(info.value)


def _credssp(sim, host, user, password):
    pytest.importorskip("requests_credssp")
    return make_endpoint(sim, host, auth="credssp", username=user, password=password)


def test_credssp_is_refused_until_the_host_allows_it(sim, samba_dc):
    ep = _credssp(sim, NDES1, DOMAIN_ADMIN, samba_dc.bind_password)
    with pytest.raises(WindowsHostError) as info:
        WindowsHost(ep).run_script("WindowsFeatures", {"mode": "get", "features": ["Web-Server"]})
    msg = str(info.value)  # requests-credssp: the server did not offer CredSSP, only Negotiate
    assert "CredSSP" in msg and "'Negotiate'" in msg and samba_dc.bind_password not in msg


def test_a_delegating_credssp_logon_installs_as_the_caller(sim, samba_dc):
    with sim.edit_state(NDES1) as st:
        st["winrmService"] = {"credSSP": True}  # Enable-WSManCredSSP -Role Server
    admin = _credssp(sim, NDES1, DOMAIN_ADMIN, samba_dc.bind_password)
    assert WindowsHost(make_endpoint(sim, NDES1)).run_script("HostBoot", {"mode": "get"})  # NTLM still offered
    as_admin = {"host": NDES1, "url": admin.url, "username": admin.username, "password": admin.password,
                "auth": "credssp", "caBundlePem": admin.ca_bundle_pem, "operationTimeout": 60}
    with service_account(samba_dc) as (account, password, _sid):
        prepare_ndes_host(sim, NDES1, account)
        winrm_user = {**as_admin, "username": topology.WINRM_USER, "password": lab_secret("winrm-password")}
        with pytest.raises(ScriptFailed, match="LAB\\\\pulumi-winrm is not a member of Domain Admins"):
            P.create(role_inputs(sim, samba_dc, account, password, endpoint=winrm_user, installCredential=None))
        out = P.create(role_inputs(sim, samba_dc, account, password, endpoint=as_admin, installCredential=None)).outs
        assert len(out["raCertificates"]) == 2
