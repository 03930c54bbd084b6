"""IisHttpsBinding.ps1: the https bindings of one IIS site on one port, as raw facts, and three primitive actions
Python decides on, each naming the exact binding element it acts on (its bindingInformation `ip:port:host`):

    remove       RemoveSslCertificate (when it has one), then Remove-WebBinding -BindingInformation <that element>
                 (never the -IPAddress/-Port/-HostHeader filter: an empty host header may match other bindings)
    create       New-WebBinding -IPAddress/-Port/-HostHeader from the element, -SslFlags
    certificate  the element's certificate := `thumbprint` from LocalMachine\\My (AddSslCertificate)

Which binding is ours (the one without a host name first: the IIS dialog fills in the machine name, and NDES then
fails behind App Proxy), and what to do, is decided here.
"""
from __future__ import annotations

from typing import Literal

from . import Contract

SCRIPT = "IisHttpsBinding"


class BindingAction(Contract):
    kind: Literal["remove", "create", "certificate"]
    binding_information: str
    """ip:port:host of the element acted on (created)."""
    ssl_flags: int = 0
    thumbprint: str = ""


class IisHttpsBindingParams(Contract):
    mode: Literal["get", "set"]
    site_name: str = "Default Web Site"
    port: int = 443
    thumbprint: str = ""
    """get: also report whether this certificate is in LocalMachine\\My."""
    actions: list[BindingAction] = []
    """set: done in this order."""
    owner: str = ""
    owner_action: Literal["", "set", "clear"] = ""


class Binding(Contract):
    binding_information: str
    thumbprint: str = ""
    store_name: str = ""
    ssl_flags: int = 0

    @property
    def ip_address(self) -> str:
        return self.binding_information.split(":", 2)[0]

    @property
    def host_name(self) -> str:
        parts = self.binding_information.split(":", 2)
        return parts[2] if len(parts) == 3 else ""


class IisHttpsBindingState(Contract):
    site_exists: bool
    bindings: list[Binding] = []
    """The site's https bindings on the port, as IIS lists them."""
    certificate_present: bool = False
    owner: str = ""


def target(state: IisHttpsBindingState) -> Binding | None:
    """The binding this resource manages: the one without a host name, else the first (a name set by hand is drift)."""
    empty = [b for b in state.bindings if b.host_name == ""]
    return (empty or state.bindings or [None])[0]


def binding_information(ip_address: str, port: int, host_name: str) -> str:
    return f"{ip_address}:{port}:{host_name}"


def plan(state: IisHttpsBindingState, ip_address: str, port: int, host_name: str, ssl_flags: int,
         thumbprint: str) -> list[BindingAction]:
    """The actions that make the site's binding on the port ip:port:host with `ssl_flags` and the certificate."""
    want = binding_information(ip_address, port, host_name)
    cur = target(state)
    actions: list[BindingAction] = []
    if cur is not None and (cur.binding_information != want or cur.ssl_flags != ssl_flags):
        actions.append(BindingAction(kind="remove", binding_information=cur.binding_information))
        cur = None
    if cur is None:
        actions.append(BindingAction(kind="create", binding_information=want, ssl_flags=ssl_flags))
    if cur is None or cur.thumbprint.upper() != thumbprint.upper():
        actions.append(BindingAction(kind="certificate", binding_information=want, thumbprint=thumbprint))
    return actions
