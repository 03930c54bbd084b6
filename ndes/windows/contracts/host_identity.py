"""HostIdentity.ps1: who the host is and who the caller is, as Windows reports them (read only).

Facts: the boot (the prelude's Get-BootId), Win32_ComputerSystem's Name, DNSHostName, Domain, PartOfDomain and
Workgroup, and the caller's logon name as Windows spells it ([WindowsIdentity]::GetCurrent().Name,
DOMAIN\\user). Whether that is "the domain identity" the readiness step waits for is decided here, in Python.
"""
from __future__ import annotations

from typing import Literal

from . import Contract

SCRIPT = "HostIdentity"


class HostIdentityParams(Contract):
    mode: Literal["get"] = "get"


class HostIdentityState(Contract):
    boot_id: str
    computer_name: str
    """Win32_ComputerSystem.Name (NetBIOS name, upper case)."""
    dns_host_name: str = ""
    domain: str = ""
    """Win32_ComputerSystem.Domain: the DNS domain when PartOfDomain, else the workgroup's name."""
    part_of_domain: bool = False
    user: str = ""
    """The caller's logon, DOMAIN\\user (a local account reads COMPUTER\\user)."""

    def domain_identity_problem(self, fqdn: str, domain: str) -> str | None:
        """Why this answer is not yet the joined host `fqdn` of `domain` reached with a domain logon, or None.

        A domain join takes effect at the restart that follows it: until then Win32_ComputerSystem reports the
        workgroup and a domain account cannot log on (Learn: Add-Computer, "-Restart ... the changes take
        effect after the restart")."""
        want_domain = domain.lower().rstrip(".")
        if not self.part_of_domain:
            return f"it is not a domain member yet (workgroup '{self.domain}')"
        if self.domain.lower().rstrip(".") != want_domain:
            return f"it is a member of '{self.domain}', not of '{domain}'"
        name = f"{self.dns_host_name or self.computer_name}.{self.domain}".lower()
        if name != fqdn.lower().rstrip("."):
            return f"it calls itself {name}, not {fqdn}"
        logon_domain = self.user.split("\\", 1)[0].lower() if "\\" in self.user else ""
        if not logon_domain or logon_domain == self.computer_name.lower():
            return f"the WinRM logon is '{self.user}', a local account, not a domain account"
        return None
