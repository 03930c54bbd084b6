"""Who each plane signs in as (docs/identities.md): preview-time refusals of an identity that cannot do the job,
the App Proxy plane's own delegated sign-in beside the app-only Intune identity, the NDES install credential
carried to the script (never compared, never in a get), and the messages that name the identity to use."""
from __future__ import annotations

import pytest

from ndes.graph import AccessDenied, GraphSettings
from ndes.graph.credentials import build_credential, sign_in_fix, who
from ndes.graph.clouds import endpoints
from ndes.model import ConfigError, load_config
from ndes.providers.app_proxy_application import AppProxyApplicationProvider
from ndes.providers.ndes_role import NdesRoleProvider
from ndes.providers.trusted_certificate_profile import TrustedCertificateProfileProvider

from .sample_config import sample


def _problems(raw) -> dict[str, str]:
    with pytest.raises(ConfigError) as info:
        load_config(raw)
    return {p.key: str(p) for p in info.value.problems}


def test_an_ntlm_logon_without_an_install_credential_fails_at_preview_naming_both_fixes():
    raw = sample()
    del raw["ndesRole"]
    found = _problems(raw)
    msg = found["ndesRole.installCredential"]
    assert "NTLM WinRM logon (ndes:winrm.auth)" in msg and "second hop" in msg
    assert "Domain Admins" in msg and "ndesRole.installCredential.username" in msg and "credssp" in msg


def test_a_host_of_its_own_is_named_and_kerberos_is_no_better():
    raw = sample(**{"ndesHosts": [{"fqdn": "ndes01.contoso.com", "externalUrl": "https://ndes01-contoso.msappproxy.net/",
                                   "winrm": {"auth": "kerberos"}}]})
    del raw["ndesRole"]
    assert "KERBEROS WinRM logon (ndes:ndesHosts[0].winrm.auth)" in _problems(raw)["ndesRole.installCredential"]


def test_credssp_or_adopting_a_hand_built_ndes_needs_no_install_credential():
    credssp, adopt = sample(**{"winrm.auth": "credssp"}), sample(**{"ndesRole.adopt": True})
    for raw in (credssp, adopt):
        del raw["ndesRole"]["installCredential"]
        assert load_config(raw).ndes_role.install_credential is None


def test_the_install_account_must_be_a_domain_account_and_its_password_stays_secret():
    found = _problems(sample(**{"ndesRole.installCredential": {"username": "ndes-install", "password": "Pw-123456!"}}))
    assert "not a domain account" in found["ndesRole.installCredential.username"]
    cfg = load_config(sample())
    assert "Install-Pa55!" not in repr(cfg) and "Install-Pa55!" not in repr(cfg.ndes_role)


def test_the_intune_identity_must_be_app_only():
    msg = _problems(sample(**{"graph.credential": "azureCli", "graph.clientSecret": None}))["graph.credential"]
    assert "no DeviceManagementConfiguration" in msg and "ndes:graph.appProxy" in msg


def test_a_host_account_of_its_own_needs_its_own_password():
    msg = _problems(sample(**{"ca.winrm": {"username": "CONTOSO\\pulumi-ca"}}))["ca.winrm.password"]
    assert "CONTOSO\\pulumi-ca" in msg and "--secret --path 'ca.winrm.password'" in msg
    load_config(sample(**{"ca.winrm": {"username": "CONTOSO\\pulumi-ca", "password": "Ca-Pa55!"}}))


def test_app_proxy_signs_in_as_a_user_and_intune_keeps_the_app():
    from ndes.components.app_proxy import app_proxy_connection
    from ndes.components.connection import graph as graph_connection
    from ndes.providers.connections import resolve
    cfg = load_config(sample())
    assert graph_connection(cfg, {})["connection"]["ref"] == "graph"
    assert app_proxy_connection(cfg)["connection"]["ref"] == "graph:appProxy"
    intune = resolve(cfg, "graph")  # what the providers resolve from the stack config
    assert intune["credential"] == "clientSecret" and intune["clientSecret"] == cfg.graph.client_secret.get_secret_value()
    ap = resolve(cfg, "graph:appProxy")  # default: azureCli
    assert ap["credential"] == "azureCli" and ap["clientSecret"] is None and ap["clientId"] is None
    assert ap["tenantId"] == intune["tenantId"]
    dc = resolve(load_config(sample(**{"graph.appProxy": {"credential": "deviceCode"}})), "graph:appProxy")
    assert dc["credential"] == "deviceCode"
    pipeline = resolve(load_config(sample(**{"graph.appProxy": {"credential": "none"}})), "graph:appProxy")
    assert pipeline == intune  # nobody signs in: the app-only identity reads and verifies


def test_delegated_credentials_build_and_name_their_user():
    dc = GraphSettings(tenant_id="t", credential="deviceCode")
    assert dc.delegated and not GraphSettings(tenant_id="t", client_id="c", client_secret="s").delegated
    assert type(build_credential(dc, endpoints("global"))).__name__ == "DeviceCodeCredential"
    assert "device code" in who(dc) and "az login" in who(GraphSettings(tenant_id="t", credential="azureCli"))
    assert "az login --tenant t" in sign_in_fix(GraphSettings(tenant_id="t", credential="azureCli"))


def _hint(provider, credential: str) -> str:
    exc = AccessDenied("failed to list connector groups: 403 Authorization_RequestDenied", status=403)
    return str(provider._annotated(exc, {"credential": credential, "configKey": "ndes:appProxy"}))


def test_a_refusal_names_the_identity_to_use_not_a_permission_that_cannot_help():
    ap = AppProxyApplicationProvider()
    app_only = _hint(ap, "workloadIdentity")
    assert "do not accept application permissions" in app_only and "ndes:graph.appProxy.credential" in app_only
    assert "application permission, admin consent" not in app_only
    user = _hint(ap, "azureCli")
    assert "Application Administrator" in user and "Cloud Application Administrator cannot" in user
    intune = _hint(TrustedCertificateProfileProvider(), "azureCli")
    assert "DeviceManagementConfiguration.ReadWrite.All" in intune and "app's own identity" in intune


def test_the_install_credential_travels_in_set_mode_only_and_is_never_diffed():
    p = NdesRoleProvider()
    props = {"endpoint": {"host": "ndes01.contoso.com", "url": "https://ndes01.contoso.com:5986/wsman",
                          "username": "CONTOSO\\pulumi", "password": "WinRM-Pa55!"},
             "serviceAccount": "CONTOSO\\svc-ndes", "serviceAccountPassword": "Svc-Pa55!", "caConfig": "ca\\CA",
             "raName": "NDES01-MSCEP-RA",
             "installCredential": {"username": "CONTOSO\\ndes-install", "password": "Install-Pa55!"}}
    inp = p.parse(props)
    assert p._params(inp, "set").wire()["installCredential"] == {"username": "CONTOSO\\ndes-install",
                                                                 "password": "Install-Pa55!"}
    assert p._params(inp, "get").wire()["installCredential"] is None
    assert "installCredential" not in p.compared_fields() and "installCredential" in p.secret_fields
    rotated = {**props, "installCredential": {"username": "CONTOSO\\other", "password": "Other-Pa55!"}}
    assert not p.diff("x", props, rotated).changes
    assert "Install-Pa55!" not in repr(inp)
    older = {k: v for k, v in props.items() if k != "installCredential"}  # state written before the input existed
    assert not p.diff("x", older, props).changes
