"""HostReady: the step between a freshly built host (an Azure VM and its domain-join extension) and the Windows
plane. Its create waits, bounded and with progress lines, until WinRM answers with the domain identity in a
boot that lasts (ndes/windows/readiness.py), then hands over `fqdn` and `winrmUrl`: the Windows plane takes its
endpoint from these outputs, so none of its resources starts before the host is ready.

`vmInstance` is the VM's own id (Azure's vmId, new for every VM built): a rebuilt VM (e.g. a WinRM listener
with a renewed certificate, which Azure cannot change in place) replaces this resource, so the wait runs again.
`read` asks the host once (no wait): a host that left the domain shows as drift (`domainMember: false`).
Nothing lives on the host for this resource: delete does nothing.
"""
from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field, field_validator

from ..windows import OperationTimeout, TlsFailure
from ..windows.contracts import call
from ..windows.contracts.host_identity import SCRIPT, HostIdentityParams, HostIdentityState
from ..windows.readiness import wait_for_domain_identity
from . import generation as gen
from ._windows import host_of, WindowsInputs, WindowsProvider
from .base import Existing


class HostReadyInputs(WindowsInputs):
    fqdn: str
    """The name the host must answer as (<computer name>.<domain>)."""
    domain: str
    """The AD domain's DNS name the host must be a member of."""
    vm_instance: str = ""
    """What identifies the machine instance (an Azure VM's vmId); a new one waits again."""
    domain_member: bool = True
    """Desired: the host is a member of `domain` (read reports the live value)."""
    timeout_seconds: int = Field(default=1200, ge=10, le=7200)
    poll_seconds: float = Field(default=15.0, ge=0.1, le=300)
    stable_reads: int = Field(default=2, ge=1, le=10)

    @field_validator("fqdn", "domain")
    @classmethod
    def _name(cls, v: str) -> str:
        v = v.strip().lower().rstrip(".")
        if "." not in v and v != "":
            raise ValueError(f"'{v}' is not a DNS name")
        return v


class HostReadyProvider(WindowsProvider):
    Inputs = HostReadyInputs
    replace_on: ClassVar[frozenset[str]] = frozenset({"vmInstance", "fqdn", "domain"})

    @classmethod
    def compared_fields(cls) -> list[str]:
        """How to wait (timeout, poll, stable reads) matters only while creating: a change of it is no update,
        so a preview never shows the Windows plane's endpoint (winrmUrl) as unknown for it."""
        return [f for f in super().compared_fields() if f not in ("timeoutSeconds", "pollSeconds", "stableReads")]

    def find(self, inp: HostReadyInputs) -> Existing | None:
        return None  # nothing on the host belongs to this resource

    def apply(self, inp: HostReadyInputs, existing: Existing | None) -> tuple[str, dict[str, Any]]:
        try:
            ready = wait_for_domain_identity(
                host_of(inp), inp.fqdn, inp.domain, timeout=inp.timeout_seconds, poll=inp.poll_seconds,
                stable_reads=inp.stable_reads, progress=gen.say)
        except (OperationTimeout, TlsFailure) as exc:
            key = inp.config_key or "ndes:ndesHosts"
            raise type(exc)(f"{exc}. Check {key}: the domain join (domainJoin.*), that managementCidr reaches "
                            "5986, the WinRM certificate against ndes:winrm.caBundle, and the WinRM account "
                            "(ndes:winrm.username) being a local administrator once joined; then run `pulumi up` "
                            "again", host=exc.host) from None
        notes = [f"{inp.fqdn} answered with the domain identity after {ready.waited_seconds:.0f} s "
                 f"({ready.attempts} attempts, {ready.restarts_seen} restart(s) seen)"]
        return f"{inp.fqdn}/ready", {"winrmUrl": inp.endpoint.url, "bootId": ready.state.boot_id,
                                     "domainMember": True, "waitedSeconds": round(ready.waited_seconds, 1),
                                     "notes": notes}

    def get(self, id_: str, inp: HostReadyInputs) -> dict[str, Any] | None:
        st = call(host_of(inp), SCRIPT, HostIdentityParams(), HostIdentityState).state
        return {"bootId": st.boot_id, "domainMember": st.domain_identity_problem(inp.fqdn, inp.domain) is None}

    def remove(self, id_: str, inp: HostReadyInputs) -> None:
        return None
