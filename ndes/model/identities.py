"""Preview-time checks of who each plane signs in as (docs/identities.md): a configuration whose identity cannot
do the job fails here, naming the key and the identity to use, before anything touches a server."""
from __future__ import annotations

from .config import DeploymentConfig
from .errors import Problem


def check_install_identity(c: DeploymentConfig) -> list[Problem]:
    """Install-AdcsNetworkDeviceEnrollmentService reaches the CA and AD as the installing user: over an NTLM or
    Kerberos WinRM logon the NDES host holds no credential for that second hop, so it needs -Credential
    (ndesRole.installCredential) unless the host's logon delegates (CredSSP)."""
    if c.ndes_role.install_credential is not None or c.ndes_role.adopt:
        return []
    out = []
    for i, h in enumerate(c.ndes_hosts):
        auth = c.winrm_for(h.fqdn, h.winrm).auth
        if auth != "credssp":
            key = f"ndesHosts[{i}].winrm.auth" if h.winrm is not None and "auth" in h.winrm.model_fields_set \
                else "winrm.auth"
            out.append(Problem(
                "ndesRole.installCredential",
                f"installing NDES on {h.fqdn} publishes the RA templates in AD and enrolls the RA certificates from "
                f"the CA as the installing user, but the {auth.upper()} WinRM logon (ndes:{key}) leaves the NDES host "
                "no credential for that second hop (Windows answers Access is denied)",
                "give the install its own account, a member of Domain Admins: pulumi config set --path "
                "'ndesRole.installCredential.username' 'CONTOSO\\ndes-install' and pulumi config set --secret "
                f"--path 'ndesRole.installCredential.password' ...; or set ndes:{key} to credssp (the WinRM account "
                "must then be a Domain Admins member, and the host must allow CredSSP: Enable-WSManCredSSP -Role "
                "Server)"))
            break  # one problem names the key; the fix is the same for every host
    return out


def check_graph_identities(c: DeploymentConfig) -> list[Problem]:
    """The Intune profiles need DeviceManagementConfiguration.ReadWrite.All, which an Azure CLI token never carries:
    ndes:graph must be the app's own (app-only) identity; App Proxy has its own delegated one (graph.appProxy)."""
    if c.graph.credential == "azureCli":
        return [Problem(
            "graph.credential",
            "azureCli signs in a user through the Azure CLI, whose Graph token holds no DeviceManagementConfiguration "
            "scope: Intune refuses every profile call with 403 (Application must have one of the following scopes)",
            "use the Intune app registration's own identity (clientSecret, certificate or workloadIdentity, with the "
            "application permission DeviceManagementConfiguration.ReadWrite.All); App Proxy signs in separately "
            "through ndes:graph.appProxy")]
    return []


def check_host_accounts(c: DeploymentConfig) -> list[Problem]:
    """A host's own WinRM account (ca.winrm / ndesHosts[i].winrm) comes with its own password: the stack-wide
    ndes:winrm.password belongs to another account and would only lock this one out."""
    out = []
    blocks = [("ca.winrm", c.ca.winrm)] + [(f"ndesHosts[{i}].winrm", h.winrm) for i, h in enumerate(c.ndes_hosts)]
    for key, w in blocks:
        if w is not None and w.username and w.username != c.winrm.username and w.password is None:
            out.append(Problem(f"{key}.password", f"{key}.username gives this host its own account ({w.username}) "
                               "but no password for it", f"pulumi config set --secret --path '{key}.password' ..."))
    return out


def install_refusal_fix(message: str, auth: str, user: str) -> str:
    """The fix for an NDES install Windows refused for want of an identity ('' when the refusal is another one):
    the message names the identity to use and the config key that gives it."""
    if "not a member of Domain Admins" in message:
        return ("install as a member of Domain Admins (Enterprise Admins in a multi-domain forest): set "
                "ndes:ndesRole.installCredential to such an account")
    if "0x80070005" in message and ("ANONYMOUS LOGON" in message or "second hop" in message):
        return (f"the {auth.upper()} WinRM logon of {user} holds no credential for the CA and AD: set "
                "ndes:ndesRole.installCredential to a Domain Admins member (the install's -Credential), or use "
                "winrm.auth: credssp as such a user on a host that allows CredSSP")
    return ""


IDENTITY_CHECKS = (check_install_identity, check_graph_identities, check_host_accounts)
