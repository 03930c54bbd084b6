"""ScepPoolIdentity: the SCEP app pool runs as the service account with the password the configuration holds.

A service-account password rotation (a new ndes:serviceAccount.password) resets the password in AD
(ServiceAccount) but NDES keeps running under the pool's stored password until its next start, when the logon
fails, the pool stops and NDES answers 503 (and the pool's retries may lock the account). This resource, after
the ServiceAccount and NdesRole, sets the pool's processModel password again and recycles the pool (an
overlapped recycle: the new worker starts with the new password before the old one stops), so no request fails.

Facts from ScepPoolIdentity.ps1 (the pool's stored password is compared with the configured one ON the host, and
never leaves it; no domain logon is tried, so checking never counts towards a lockout); decisions here:
- the stored password differs (or the pool is stopped): update the pool's identity and recycle;
- the pool runs as another account: left alone (NdesRole owns the identity: a change there replaces NDES).
`read` reports a stored password that differs as a (secret) change, so `pulumi refresh` shows it and the next
`pulumi up` sets it again. On a host without IIS (_iis.py) the pool reads as gone.
"""
from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field

from ..windows.contracts import call
from ..windows.contracts import scep_pool_identity as C
from ._iis import needs_iis, none_without_iis
from ._windows import host_of, WindowsInputs, WindowsProvider
from .base import Existing

CHANGED = "(changed outside Pulumi)"


class ScepPoolIdentityInputs(WindowsInputs):
    service_account: str
    """DOMAIN\\name, as NdesRole installed it."""
    password: str = Field(repr=False)


def same_account(a: str, b: str) -> bool:
    return a.casefold() == b.casefold()  # Windows resolves account names without case


class ScepPoolIdentityProvider(WindowsProvider):
    Inputs = ScepPoolIdentityInputs

    def _run(self, inp: ScepPoolIdentityInputs, action: str = "") -> C.ScepPoolIdentityState:
        p = C.ScepPoolIdentityParams(mode="set" if action else "get", action=action, user_name=inp.service_account,
                                     password=inp.password)
        return call(host_of(inp), C.SCRIPT, p, C.ScepPoolIdentityState).state

    def _id(self, inp: ScepPoolIdentityInputs) -> str:
        return f"{inp.endpoint.host}/IIS/AppPools/{C.POOL}"

    def find(self, inp: ScepPoolIdentityInputs) -> Existing | None:
        return None  # the pool is NDES's (NdesRole): nothing to take over

    @needs_iis
    def apply(self, inp: ScepPoolIdentityInputs, existing: Existing | None) -> tuple[str, dict[str, Any]]:
        st = self._run(inp)
        if not st.exists:
            raise RuntimeError(f"{self.what(inp)}: the SCEP application pool does not exist on {inp.endpoint.host}: "
                               "NDES is not installed (NdesRole installs it)")
        notes = []
        if not same_account(st.user_name, inp.service_account):
            notes.append(f"the SCEP app pool runs as {st.user_name}, not {inp.service_account}: NdesRole replaces "
                         "NDES for another service account; the pool's password is left alone")
        elif not st.password_matches or st.state != "Started":
            why = "its password is not ndes:serviceAccount.password" if not st.password_matches else \
                f"it is {st.state}"
            st = self._run(inp, "update")
            notes.append(f"set the SCEP app pool's identity password and recycled it ({why})")
            if st.state != "Started":
                raise RuntimeError(
                    f"{self.what(inp)}: the SCEP app pool on {inp.endpoint.host} does not start with "
                    f"{inp.service_account} and ndes:serviceAccount.password (state {st.state}): the account is "
                    "locked out, disabled or its password is not the configured one; check `ndes verify`")
        return self._id(inp), self._live(st, inp, notes)

    @staticmethod
    def _live(st: C.ScepPoolIdentityState, inp: ScepPoolIdentityInputs, notes: list[str]) -> dict[str, Any]:
        live: dict[str, Any] = {"poolState": st.state, "poolUserName": st.user_name, "notes": notes}
        if not st.password_matches:
            live["password"] = CHANGED  # refresh shows a (secret) change; the next up sets it again
        return live

    @none_without_iis
    def get(self, id_: str, inp: ScepPoolIdentityInputs) -> dict[str, Any] | None:
        st = self._run(inp)
        if not st.exists:
            return None
        return self._live(st, inp, [])

    def remove(self, id_: str, inp: ScepPoolIdentityInputs) -> None:
        return None  # the pool goes with NDES (NdesRole)
