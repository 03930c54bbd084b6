"""LocalGroupMember: one account in a local group of a Windows host (the NDES service account in IIS_IUSRS).

`read` reports the membership as Windows lists it; removed behind Pulumi's back, the resource reads as gone
(refresh drops it, the next `up` adds the account again). Delete removes the member.
"""
from __future__ import annotations

import re
from typing import Any, ClassVar

import pulumi
from pydantic import field_validator

from ..windows import ScriptFailed
from ._windows import WindowsInputs, host_of
from .base import Existing, NdesProvider, ResourceInputs

SCRIPT = "LocalGroupMember"


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
        if not v.strip() or re.search(r"[\\/\x00-\x1f]", v):
            raise ValueError(f"'{v}' is not a local group name")
        return v.strip()


class LocalGroupMemberProvider(NdesProvider):
    kind: ClassVar[str] = "LocalGroupMember"
    Inputs: ClassVar[type[ResourceInputs]] = LocalGroupMemberInputs
    replace_on: ClassVar[frozenset[str]] = frozenset({"group", "member"})
    secret_fields: ClassVar[frozenset[str]] = frozenset({"endpoint"})

    def _run(self, inp: LocalGroupMemberInputs, mode: str, **extra: Any) -> dict[str, Any]:
        return host_of(inp).run_script(SCRIPT, {"mode": mode, "group": inp.group, "member": inp.member,
                                                "owner": inp.owner, **extra})["state"]

    @staticmethod
    def _id(inp: LocalGroupMemberInputs) -> str:
        return f"{inp.endpoint.host}/{inp.group}/{inp.member}"

    @staticmethod
    def _live(st: dict[str, Any]) -> dict[str, Any]:
        return {"group": st["group"], "member": st["member"], "memberName": st["memberName"],
                "principalSource": st["principalSource"]}

    def find(self, inp: LocalGroupMemberInputs) -> Existing | None:
        st = self._run(inp, "get")
        return Existing(self._id(inp), st.get("owner") or None) if st["present"] else None

    def apply(self, inp: LocalGroupMemberInputs, existing: Existing | None) -> tuple[str, dict[str, Any]]:
        return self._id(inp), self._live(self._run(inp, "set", ensure="present"))

    def get(self, id_: str, inp: LocalGroupMemberInputs) -> dict[str, Any] | None:
        st = self._run(inp, "get")
        return self._live(st) if st["present"] else None

    def remove(self, id_: str, inp: LocalGroupMemberInputs) -> None:
        try:
            self._run(inp, "set", ensure="absent")
        except ScriptFailed as exc:
            if exc.category != "ObjectNotFound":  # the group itself is gone: nothing left to remove
                raise


class LocalGroupMember(pulumi.dynamic.Resource, module="ndes", name="LocalGroupMember"):
    """A member of a local group. Outputs: memberName (as Windows lists it), principalSource."""

    memberName: pulumi.Output[str]
    principalSource: pulumi.Output[str]

    def __init__(self, name: str, props: dict[str, Any], opts: pulumi.ResourceOptions | None = None):
        opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(additional_secret_outputs=["endpoint"]))
        super().__init__(LocalGroupMemberProvider(), name, {"memberName": None, "principalSource": None, **props},
                         opts)
