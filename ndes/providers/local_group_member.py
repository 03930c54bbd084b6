"""LocalGroupMember: one account in a local group of a Windows host (the NDES service account in IIS_IUSRS).

Membership is decided by SID (ndes/windows/contracts/local_group_member.py): the group is listed through ADSI,
so an orphaned SID in IIS_IUSRS (a deleted earlier account) breaks nothing, and the account spelled another way
is the same member. `read` reports the membership as Windows lists it; removed behind Pulumi's back, the
resource reads as gone (refresh drops it, the next `up` adds the account again). Delete removes the member.
"""
from __future__ import annotations

import re
from typing import Any, ClassVar

from pydantic import field_validator

from ..windows import ScriptFailed
from ..windows.contracts import call
from ..windows.contracts import local_group_member as C
from ._windows import host_of, unless_gone, WindowsInputs, WindowsProvider
from .base import Existing



class LocalGroupMemberInputs(WindowsInputs):
    group: str = "IIS_IUSRS"
    member: str
    """DOMAIN\\account (NetBIOS domain name), e.g. CONTOSO\\svc-ndes."""

    @field_validator("member")
    @classmethod
    def _member(cls, v: str) -> str:
        if not re.fullmatch(r"[^\\/\s][^\\/]*\\[^\\/\x00-\x1f]+", v.strip()):
            raise ValueError(f"'{v}' is not DOMAIN\\account (e.g. CONTOSO\\svc-ndes)")
        return v.strip()

    @field_validator("group")
    @classmethod
    def _group(cls, v: str) -> str:
        if not v.strip() or re.search(r"[\\/,\x00-\x1f]", v):
            raise ValueError(f"'{v}' is not a local group name")
        return v.strip()


class LocalGroupMemberProvider(WindowsProvider):
    Inputs = LocalGroupMemberInputs
    replace_on: ClassVar[frozenset[str]] = frozenset({"group", "member"})

    def _run(self, inp: LocalGroupMemberInputs, mode: str, **extra: Any) -> C.LocalGroupMemberState:
        params = C.LocalGroupMemberParams(mode=mode, group=inp.group, member=inp.member, owner=inp.owner, **extra)
        return call(host_of(inp), C.SCRIPT, params, C.LocalGroupMemberState).state

    @staticmethod
    def _id(inp: LocalGroupMemberInputs) -> str:
        return f"{inp.endpoint.host}/{inp.group}/{inp.member}"

    @staticmethod
    def _live(inp: LocalGroupMemberInputs, st: C.LocalGroupMemberState) -> dict[str, Any] | None:
        found = st.found()
        if found is None:
            return None
        name = C.account_name(found.path)
        host = inp.endpoint.host.split(".", 1)[0]
        source = "Local" if name.split("\\", 1)[0].casefold() == host.casefold() else "ActiveDirectory"
        return {"group": inp.group, "member": inp.member, "memberName": name, "principalSource": source}

    def _resolved(self, inp: LocalGroupMemberInputs, st: C.LocalGroupMemberState) -> None:
        if not st.member_sid:
            raise ScriptFailed(C.SCRIPT, inp.endpoint.host, f"Principal {inp.member} was not found "
                               f"({inp.config_key or 'ndes:serviceAccount'}: the account must exist in the domain)",
                               "ObjectNotFound")

    def find(self, inp: LocalGroupMemberInputs) -> Existing | None:
        st = self._run(inp, "get")
        return Existing(self._id(inp), st.owner or None) if st.found() else None

    def apply(self, inp: LocalGroupMemberInputs, existing: Existing | None) -> tuple[str, dict[str, Any]]:
        st = self._run(inp, "get")
        self._resolved(inp, st)
        st = self._run(inp, "set", action="keep" if st.found() else "add")
        live = self._live(inp, st)
        if live is None:
            raise ScriptFailed(C.SCRIPT, inp.endpoint.host, f"{inp.member} is still not a member of {inp.group} "
                               "after Add-LocalGroupMember", "NotSpecified")
        return self._id(inp), live

    def get(self, id_: str, inp: LocalGroupMemberInputs) -> dict[str, Any] | None:
        return self._live(inp, self._run(inp, "get"))

    def remove(self, id_: str, inp: LocalGroupMemberInputs) -> None:
        with unless_gone("ObjectNotFound"):  # the group itself is gone: nothing left to remove
            st = self._run(inp, "get")
            found = st.found()
            self._run(inp, "set", action="remove", sid=found.sid if found else "")
