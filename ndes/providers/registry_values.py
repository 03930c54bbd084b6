"""RegistryValues: values under HKLM on a Windows host; used for HTTP.sys MaxFieldLength / MaxRequestBytes
(HKLM\\SYSTEM\\CurrentControlSet\\Services\\HTTP\\Parameters, 65534 each in the guide).

Inputs list {path, name, type, value} in the admin's words (type String|ExpandString|DWord|QWord|
MultiString|Binary; Binary as hex text). With markRebootPending a change records that the host needs a
restart during this boot (HTTP.sys reads these values only at start; an iisreset is not enough), which the
host's HostReboot resource acts on. `read` reports the live values (a value changed or deleted behind Pulumi's
back shows in `values`); delete removes the values.
"""
from __future__ import annotations

import hashlib
import uuid
import re
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, ValidationInfo, field_validator, model_validator

from ..model.field_rules import as_recorded, declared

from ..windows.contracts import call
from ..windows.contracts import registry_values as C
from ._windows import host_of, WindowsInputs, WindowsProvider
from .base import Existing

SCRIPT = "RegistryValues"
HTTP_SYS_PARAMETERS = r"HKLM:\SYSTEM\CurrentControlSet\Services\HTTP\Parameters"


class RegistryValue(BaseModel):
    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)

    path: str
    """HKLM:\\... (the registry provider's path)."""
    name: str
    type: Literal["String", "ExpandString", "DWord", "QWord", "MultiString", "Binary"]
    value: Any

    @field_validator("path")
    @classmethod
    def _path(cls, v: str) -> str:
        v = v.strip().rstrip("\\")
        if re.match(r"(?i)^HKEY_LOCAL_MACHINE\\", v):
            v = "HKLM:\\" + v.split("\\", 1)[1]
        if not re.match(r"(?i)^HKLM:\\[^\\]", v):
            raise ValueError(f"registry path '{v}' must be under HKLM:\\ (e.g. {HTTP_SYS_PARAMETERS})")
        return "HKLM:" + v[5:]

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not v or "\x00" in v:
            raise ValueError("a registry value needs a name (the default value is not managed here)")
        return v

    # read: a value's type and data as the registry holds them (REG_NONE reads as type None, a QWORD set to
    # 0xFFFFFFFFFFFFFFFF as -1): kept as recorded (field_rules.as_recorded), refused when declared
    _recorded_value = as_recorded("type")

    @model_validator(mode="after")
    def _value(self, info: ValidationInfo) -> "RegistryValue":
        try:
            return self._checked()
        except ValueError:
            if declared(info):
                raise
            return self

    def _checked(self) -> "RegistryValue":
        v = self.value
        if self.type in ("DWord", "QWord") and isinstance(v, float) and v.is_integer():
            self.value = v = int(v)  # numbers cross the Pulumi engine as floats (65534 arrives as 65534.0)
        if self.type == "DWord":
            if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= 0xFFFFFFFF:
                raise ValueError(f"{self.name}: a DWord is a whole number from 0 to 4294967295, not {v!r}")
        elif self.type == "QWord":
            if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v < 2 ** 63:
                raise ValueError(f"{self.name}: a QWord is a whole number from 0 to 2^63-1, not {v!r}")
        elif self.type == "MultiString":
            if not isinstance(v, list) or not all(isinstance(s, str) for s in v):
                raise ValueError(f"{self.name}: a MultiString value is a list of strings")
        elif self.type == "Binary":
            if not isinstance(v, str) or len(v) % 2 or not re.fullmatch(r"[0-9a-fA-F]*", v):
                raise ValueError(f"{self.name}: a Binary value is hex text (e.g. 'a0ff')")
            self.value = v.lower()
        elif not isinstance(v, str):
            raise ValueError(f"{self.name}: a {self.type} value is a string")
        if isinstance(self.value, str) and "\x00" in self.value:
            raise ValueError(f"{self.name}: registry strings cannot hold NUL characters")
        return self


class RegistryValuesInputs(WindowsInputs):
    values: list[RegistryValue]
    mark_reboot_pending: bool = False
    """A change needs a restart of the host to take effect (HTTP.sys parameters)."""

    @field_validator("values")
    @classmethod
    def _unique(cls, v: list[RegistryValue]) -> list[RegistryValue]:
        seen = set()
        for rv in v:
            key = (rv.path.lower(), rv.name.lower())
            if key in seen:
                raise ValueError(f"{rv.path}\\{rv.name} is listed twice")
            seen.add(key)
        if not v:
            raise ValueError("list at least one value")
        return v


def http_sys_values(max_field_length: int = 65534, max_request_bytes: int = 65534) -> list[dict[str, Any]]:
    """The HTTP.sys values the guide sets, as RegistryValues inputs."""
    return [{"path": HTTP_SYS_PARAMETERS, "name": "MaxFieldLength", "type": "DWord", "value": max_field_length},
            {"path": HTTP_SYS_PARAMETERS, "name": "MaxRequestBytes", "type": "DWord", "value": max_request_bytes}]


class RegistryValuesProvider(WindowsProvider):
    Inputs = RegistryValuesInputs

    @staticmethod
    def _id(inp: RegistryValuesInputs) -> str:
        names = sorted(f"{v.path.lower()}\\{v.name.lower()}" for v in inp.values)
        return f"{inp.endpoint.host}/registry/{hashlib.sha256(chr(10).join(names).encode()).hexdigest()[:16]}"

    def _run(self, inp: RegistryValuesInputs, mode: str, **extra: Any) -> dict[str, Any]:
        mark = "RegistryValues:" + self._id(inp).rsplit("/", 1)[1]
        res = call(host_of(inp), C.SCRIPT, C.RegistryValuesParams(
            mode=mode, values=[C.RegistryValueParam(**v.model_dump()) for v in inp.values],
            mark_reboot_pending=inp.mark_reboot_pending, owner=inp.owner, mark=mark, **extra), C.RegistryValuesState)
        return {"state": res.state.wire(), "changed": res.changed, "rebootRequired": res.reboot_required}

    @staticmethod
    def _live(res: dict[str, Any]) -> dict[str, Any]:
        st = res["state"]
        return {"values": [{"path": v["path"], "name": v["name"], "type": v["type"], "value": v["value"]}
                           for v in st["values"] if v["exists"]]}

    def find(self, inp: RegistryValuesInputs) -> Existing | None:
        res = self._run(inp, "get")
        st = res["state"]
        if st.get("owner"):
            return Existing(self._id(inp), st["owner"])
        if all(v["exists"] for v in st["values"]):
            return Existing(self._id(inp), None)  # every value is set already (by hand)
        return None

    def apply(self, inp: RegistryValuesInputs, existing: Existing | None) -> tuple[str, dict[str, Any]]:
        res = self._run(inp, "set", ensure="present")
        # lastChange differs after every write, so what must follow a change (HostReboot's triggers) runs again
        # even when the values come back to what the state last recorded (a repair of drift)
        return self._id(inp), {**self._live(res), "rebootRequired": bool(res.get("rebootRequired")),
                               "lastChange": uuid.uuid4().hex if res.get("changed") else ""}

    def get(self, id_: str, inp: RegistryValuesInputs) -> dict[str, Any] | None:
        live = self._live(self._run(inp, "get"))
        return live if live["values"] else None

    def remove(self, id_: str, inp: RegistryValuesInputs) -> None:
        self._run(inp, "set", ensure="absent")
