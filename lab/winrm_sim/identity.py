"""Who is calling a simulated Windows host: each WinRM connection's logon (NTLM, CredSSP), the account, whether
the logon carries credentials the host can use to reach another machine (delegation), which lab accounts
administer which host, and what a step that leaves the host (a second hop) or needs domain rights is allowed.

Windows facts (sources in docs/lab-fidelity.md, "## Identities (who is calling)"):
- An NTLM network logon (WinRM's default) holds no credential the remote host can reuse: anything the script
  does against a third machine (the CA, a DC) runs without the caller's identity and is refused (the "double
  hop"; PSPKI issue 174). Kerberos without delegation is the same. CredSSP hands the user's credentials to the
  host, which then reaches the next machine as the user; the WinRM service refuses CredSSP until
  `Enable-WSManCredSSP -Role Server` turned it on (off by default).
- A cmdlet given -Credential uses that account for its remote work (Install-AdcsNetworkDeviceEnrollmentService).
- Install-AdcsNetworkDeviceEnrollmentService with an Enterprise CA needs a member of Domain Admins (the cmdlet's
  help), and Microsoft's Intune guide says to sign in as an Enterprise Administrator: either group is accepted.
- WinRM lets only members of the host's Administrators (or Remote Management Users) group open a shell.

Lab accounts live in the NTLM user file (ntlm.py); which hosts each administers is ADMINS_OF below.
"""
from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from lab import topology

DOUBLE_HOP = ("Access is denied. 0x80070005 (WIN32: 5 ERROR_ACCESS_DENIED): the {logon} logon of {user} on {host} "
              "holds no credentials for {target}, so {what} reached {target} as ANONYMOUS LOGON (a second hop "
              "without delegation)")
NOT_ADMIN = ("Insufficient privileges: {user} is not a member of Domain Admins or Enterprise Admins in {domain}; "
             "installing the Network Device Enrollment Service with an Enterprise CA needs one of them. "
             "0x80070005 (WIN32: 5 ERROR_ACCESS_DENIED)")
INSTALL_ADMIN_GROUPS = ("Domain Admins", "Enterprise Admins")


class Caller(str):
    """The authenticated principal as Windows spells it (DOMAIN\\user), carrying how it logged on. A str, so every
    place that compares or stores the user keeps working; handlers ask `logon_of(ctx.user)`."""

    auth: str
    delegated: bool

    def __new__(cls, user: str, auth: str = "ntlm", delegated: bool = False) -> "Caller":
        obj = super().__new__(cls, user)
        obj.auth = auth
        obj.delegated = delegated
        return obj


@dataclass(frozen=True)
class Logon:
    user: str
    auth: str
    """ntlm | credssp (what the WinRM connection authenticated with)."""
    delegated: bool
    """The host holds the user's credentials (CredSSP): a second hop runs as the user."""


def logon_of(user: Any) -> Logon:
    """The logon behind a handler's `ctx.user` (a plain str: an NTLM logon, no delegation)."""
    return Logon(str(user), getattr(user, "auth", "ntlm"), bool(getattr(user, "delegated", False)))


# ---- lab accounts: who may open a shell where ----------------------------------------------------------------
CA_WINRM_USER = f"{topology.NETBIOS}\\pulumi-ca"
"""The CA host's own WinRM account in the lab (admin on the CA only: least privilege, per-host credentials)."""


DOMAIN_ADMIN = f"{topology.NETBIOS}\\Administrator"


def lab_accounts() -> dict[str, str]:
    """DOMAIN\\user -> password of every account that can log on to the lab hosts: the WinRM accounts (lab
    secrets) and the domain Administrator (the lab Samba's), who logs on to any domain member."""
    from lab.samba_dc import admin_password
    from lab.secrets import lab_secret
    return {topology.WINRM_USER: lab_secret("winrm-password"), CA_WINRM_USER: lab_secret("ca-winrm-password"),
            DOMAIN_ADMIN: admin_password(create=True)}


def admins_of(role: str) -> set[str]:
    """Accounts in the local Administrators group of a host of this role (lower case). Joining a domain puts
    Domain Admins there; pulumi-winrm is admin everywhere (the stack-wide default account, as many estates run);
    pulumi-ca only on the CA (its own account, per-host credentials)."""
    users = {topology.WINRM_USER.lower(), DOMAIN_ADMIN.lower()}
    if role == "ca":
        users.add(CA_WINRM_USER.lower())
    return users


def may_open_shell(role: str, user: str) -> bool:
    return user.lower() in admins_of(role)


# ---- CredSSP on the server side -------------------------------------------------------------------------------
def credssp_enabled(state: dict[str, Any]) -> bool:
    """WSMan:\\localhost\\Service\\Auth\\CredSSP (false unless Enable-WSManCredSSP -Role Server ran)."""
    return bool((state.get("winrmService") or {}).get("credSSP", False))


class CredSspAcceptor:
    """One connection's CredSSP handshake (pyspnego acceptor; inner NTLM against the lab user file). The TLS
    inside CredSSP uses a certificate of its own, as Windows' WSMan CredSSP listener does."""

    def __init__(self) -> None:
        self._ctx = None

    def step(self, token: str) -> tuple[str | None, Logon | None]:
        import spnego
        raw = base64.b64decode(token)
        if self._ctx is None:
            self._ctx = spnego.server(protocol="credssp")
        try:
            out = self._ctx.step(raw)
        except Exception as exc:  # wrong password, malformed token
            self._ctx = None
            raise PermissionError(str(exc)) from None
        if self._ctx.complete:
            cred = self._ctx.get_extra_info("client_credential")
            ctx, self._ctx = self._ctx, None
            domain = getattr(cred, "domain_name", None) or topology.NETBIOS
            name = getattr(cred, "username", None) or (ctx.client_principal or "?").split("\\")[-1]
            if "\\" in name:
                domain, name = name.split("\\", 1)
            elif "@" in name:
                name = name.split("@", 1)[0]
            return (f"CredSSP {base64.b64encode(out).decode()}" if out else None,
                    Logon(f"{domain.upper()}\\{name}", "credssp", cred is not None))
        return f"CredSSP {base64.b64encode(out or b'').decode()}", None


# ---- what a step that leaves the host may do ---------------------------------------------------------------
def Refused(message: str, category: str) -> Exception:
    """What the refused cmdlet reports (the script's JSON error)."""
    from .handlers import ScriptError
    return ScriptError(message, category)


def second_hop(ctx: Any, target: str, what: str, credential: dict[str, Any] | None) -> str:
    """The account a step reaches `target` as: the -Credential account when given (its password checked by the
    DC), else the caller when the logon delegated; else the step is refused as Windows refuses it."""
    if credential:
        user = str(credential.get("username") or "")
        sam = user.split("\\", 1)[-1].split("@", 1)[0]
        view = _samba(ctx)
        if "\\" not in user and "@" not in user or not view.check_password(sam, str(credential.get("password") or "")):
            raise Refused("The user name or password is incorrect. 0x8007052e (WIN32: 1326 ERROR_LOGON_FAILURE) "
                          f"(-Credential {user or '<empty>'})", "AuthenticationError")
        return f"{topology.NETBIOS}\\{sam}"
    logon = logon_of(ctx.user)
    if logon.delegated:
        return logon.user
    raise Refused(DOUBLE_HOP.format(logon=logon.auth.upper(), user=logon.user, host=ctx.name, target=target,
                                    what=what), "PermissionDenied")


def require_install_admin(ctx: Any, account: str) -> None:
    """Refuse unless `account` (DOMAIN\\user) is a member (nested too: tokenGroups) of Domain Admins or Enterprise
    Admins in the lab Samba."""
    view = _samba(ctx)
    conn = view.connect()
    try:
        acct = view.account(conn, account.split("\\", 1)[-1])
        wanted = {g["sid"] for g in (view.account(conn, name) for name in INSTALL_ADMIN_GROUPS) if g}
    finally:
        conn.unbind()
    groups = set(acct["groups"]) if acct else set()
    if not (groups & wanted):
        raise Refused(NOT_ADMIN.format(user=account, domain=topology.REALM), "PermissionDenied")


def _samba(ctx: Any):
    from .certstore import samba
    return samba(ctx)
