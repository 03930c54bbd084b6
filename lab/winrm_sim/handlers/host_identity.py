"""HostIdentity.ps1: the boot, Win32_ComputerSystem's names and domain membership, and the caller's logon
(ndes/windows/contracts/host_identity.py). Every simulated host is a member of the lab domain, named by its
FQDN; the caller is the principal the WinRM connection authenticated as (DOMAIN\\user)."""
from __future__ import annotations

from ndes.windows.contracts.host_identity import HostIdentityParams, HostIdentityState

from .. import hostmodel as hm
from . import HostContext, handler, result, validated


@handler("HostIdentity")
def host_identity(ctx: HostContext, params: dict) -> dict:
    validated(HostIdentityParams, params)
    short, _, domain = ctx.name.partition(".")
    st = HostIdentityState(boot_id=ctx.state["boot"]["bootId"], computer_name=hm.short_name(ctx.name),
                           dns_host_name=short.lower(), domain=domain.lower(), part_of_domain=True,
                           user=str(ctx.user))
    return result(st.wire())
