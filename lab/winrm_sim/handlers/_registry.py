"""Registry data as PowerShell converts it (shared by the registry-backed handlers)."""
from __future__ import annotations

import re
from typing import Any

from .. import hostmodel as hm
from . import ScriptError


def _cannot_convert(value: Any, target: str, why: str) -> ScriptError:
    return ScriptError(f'Cannot convert value "{value}" to type "{target}". Error: "{why}"', "InvalidArgument")


def to_data(kind: str, value: Any) -> Any:
    """What New-ItemProperty -PropertyType <kind> stores for `value`, or the conversion error PowerShell
    raises ([uint32] "abc" and the like)."""
    if kind == "DWord":
        return _integer(value, 0, 0xFFFFFFFF, "System.UInt32")
    if kind == "QWord":
        return _integer(value, -(2 ** 63), 2 ** 63 - 1, "System.Int64")
    if kind == "MultiString":
        items = value if isinstance(value, list) else [value]
        return ["" if v is None else v if isinstance(v, str) else str(v) for v in items]
    if kind == "Binary":
        text = "" if value is None else str(value)
        if len(text) % 2 or not re.fullmatch(r"[0-9a-fA-F]*", text):
            raise ScriptError(f"binary value '{text}' is not hex text", "OperationStopped")
        return text.lower()
    if kind in ("String", "ExpandString"):
        if isinstance(value, (dict, list)):
            raise _cannot_convert(value, "System.String", "Specified cast is not valid.")
        return "" if value is None else value if isinstance(value, str) else _ps_string(value)
    raise ScriptError(f"registry type '{kind}' is not one of {', '.join(hm.REG_TYPES)}", "OperationStopped")


def _ps_string(value: Any) -> str:
    if isinstance(value, bool):
        return "True" if value else "False"
    return str(value)


def _integer(value: Any, lo: int, hi: int, target: str) -> int:
    if isinstance(value, bool):
        value = int(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str) and re.fullmatch(r"\s*[+-]?\d+\s*", value):
        value = int(value)
    if not isinstance(value, int):
        raise _cannot_convert(value, target, "Input string was not in a correct format.")
    if not lo <= value <= hi:
        raise _cannot_convert(value, target, f"Value was either too large or too small for a {target[7:]}.")
    return value


def read(state: dict, path: str, name: str) -> dict:
    """Read-Value of the scripts: {path, name, exists, type, value}."""
    v = hm.get_value(state, path, name)
    if v is None:
        return {"path": path, "name": name, "exists": False, "type": None, "value": None}
    return {"path": path, "name": name, "exists": True, "type": v["type"], "value": v["value"]}


def same(current: dict, kind: str, data: Any) -> bool:
    return current["exists"] and current["type"] == kind and current["value"] == data


def write(state: dict, path: str, name: str, kind: str, data: Any) -> None:
    hm.ensure_key(state, path)
    hm.set_value(state, path, name, kind, data)


def check_path(path: str) -> None:
    if not path.lower().startswith("hklm:\\"):
        raise ScriptError(f"registry path '{path}' must start with HKLM:\\", "OperationStopped")
