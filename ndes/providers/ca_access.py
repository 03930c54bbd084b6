"""CaAccess: "Request Certificates" (Enroll) for one account in the Enterprise CA's own security descriptor.

Runs CaAccess.ps1 on the CA host: read-modify-write of that account's one access-allowed ACE in
CertSvc\\Configuration\\<CA>\\Security, CertSvc restarted only when it changed; delete takes back only the
Enroll right (and the ACE when it held nothing else). An ACE removed behind Pulumi's back reads as gone, so
`pulumi refresh` drops the resource and the next `pulumi up` grants the right again.
"""
from __future__ import annotations

from typing import Any, ClassVar


from ..windows import ScriptFailed
from ..windows.contracts import Result, call
from ..windows.contracts import ca_access as C
from ._windows import host_of, unless_gone, WindowsInputs, WindowsProvider
from .base import Existing

SCRIPT = "CaAccess"


class CaAccessInputs(WindowsInputs):
    ca_name: str
    """The CA's common name, e.g. "Contoso Issuing CA" (the host's active CA must carry it; its registry key is
    the sanitized name, found through CertSvc\\Configuration Active)."""
    account: str
    """DOMAIN\\name of the account (the NDES service account)."""
    account_sid: str | None = None
    """Its SID when known (the directory plane's output); resolved on the CA host from `account` otherwise."""


class CaAccessProvider(WindowsProvider):
    Inputs = CaAccessInputs
    replace_on: ClassVar[frozenset[str]] = frozenset({"caName", "account"})

    @staticmethod
    def _params(inp: CaAccessInputs, mode: str, ensure: str = "present") -> C.CaAccessParams:
        return C.CaAccessParams(mode=mode, ensure=ensure, ca_name=inp.ca_name, account=inp.account,
                                account_sid=inp.account_sid or "", owner=inp.owner)

    def _run(self, inp: CaAccessInputs, mode: str, ensure: str = "present") -> Result[C.CaAccessState]:
        res = call(host_of(inp), C.SCRIPT, self._params(inp, mode, ensure), C.CaAccessState)
        if not C.is_ca(res.state, inp.ca_name):
            there = f"its active CA is '{res.state.common_name}'" if res.state.exists else "it has no CA"
            raise ScriptFailed(SCRIPT, inp.endpoint.host, f"no certification authority named '{inp.ca_name}' is "
                               f"configured on this host ({there}): set {inp.config_key or 'ndes:ca'}.commonName "
                               "to the CA's common name", "ObjectNotFound")
        return res

    @staticmethod
    def _id(inp: CaAccessInputs, sid: str) -> str:
        return f"{inp.ca_name}/{sid}"

    def find(self, inp: CaAccessInputs) -> Existing | None:
        st = self._run(inp, "get").state
        return Existing(self._id(inp, st.account_sid), st.owner or None) if st.present else None

    def apply(self, inp: CaAccessInputs, existing: Existing | None) -> tuple[str, dict[str, Any]]:
        self._run(inp, "get")  # the CA is the one configured (set acts on the host's active CA)
        res = self._run(inp, "set")
        return self._id(inp, res.state.account_sid), self._live(res.state, res.warnings)

    @staticmethod
    def _live(st: C.CaAccessState, warnings: list[str] | None = None) -> dict[str, Any]:
        return {"resolvedSid": st.account_sid, "mask": st.mask, "denied": st.denied, "restarted": st.restarted,
                "notes": list(warnings or [])}

    def get(self, id_: str, inp: CaAccessInputs) -> dict[str, Any] | None:
        st = self._run(inp, "get").state
        if not st.present:
            return None
        live = self._live(st)
        live.pop("restarted")
        return live

    def remove(self, id_: str, inp: CaAccessInputs) -> None:
        with unless_gone("ObjectNotFound"):
            self._run(inp, "get")
            self._run(inp, "set", ensure="absent")
