"""The script protocol: the fixed bootstrap command line and the one JSON line written to its stdin.

The client runs `powershell.exe -NoProfile -NonInteractive -ExecutionPolicy Bypass -EncodedCommand <base64
UTF-16LE of scripts/_bootstrap.ps1>` and writes one line to its stdin:
`{"script": "<Name>", "prelude": "<base64 of scripts/_prelude.ps1>", "source": "<base64 of the bytes of
<Name>.ps1>", "params": "<base64 UTF-8 JSON>"}`. The bootstrap dot-sources the prelude (the functions every
script shares: parameter access, owner marks, the boot identity, the restart mark, the result shape), then runs
the script. Values travel only inside `params`; the code is always files in `scripts/`.
"""
from __future__ import annotations

import base64
import functools
import json
import re
from pathlib import Path
from typing import Any

SCRIPTS_DIR = Path(__file__).resolve().parent / "scripts"
BOOTSTRAP = "_bootstrap.ps1"
PRELUDE = "_prelude.ps1"
POWERSHELL = "powershell.exe"
POWERSHELL_ARGS = ("-NoProfile", "-NonInteractive", "-ExecutionPolicy", "Bypass", "-EncodedCommand")
_NAME = re.compile(r"^[A-Z][A-Za-z0-9]{0,63}$")


def script_path(name: str) -> Path:
    """The file of script `name` (e.g. "WindowsFeatures"); ValueError for a name that is not one of ours."""
    if not _NAME.match(name or ""):
        raise ValueError(f"'{name}' is not a script name (letters and digits, starting with a capital)")
    path = SCRIPTS_DIR / f"{name}.ps1"
    if not path.is_file():
        raise ValueError(f"there is no script '{name}' in {SCRIPTS_DIR}")
    return path


@functools.lru_cache(maxsize=None)
def script_bytes(name: str) -> bytes:
    return script_path(name).read_bytes()


@functools.lru_cache(maxsize=1)
def prelude_bytes() -> bytes:
    return (SCRIPTS_DIR / PRELUDE).read_bytes()


@functools.lru_cache(maxsize=1)
def bootstrap_command() -> tuple[str, tuple[str, ...]]:
    """(command, arguments) of the fixed bootstrap."""
    text = (SCRIPTS_DIR / BOOTSTRAP).read_bytes().decode("utf-8")
    encoded = base64.b64encode(text.encode("utf-16-le")).decode("ascii")
    return POWERSHELL, (*POWERSHELL_ARGS, encoded)


def stdin_line(name: str, params: dict[str, Any]) -> str:
    """The one ASCII line the bootstrap reads: the script's own bytes and the params, both base64."""
    if not isinstance(params, dict):
        raise TypeError("params must be a dict")
    doc = json.dumps(params, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8")
    return json.dumps({
        "script": name,
        "prelude": base64.b64encode(prelude_bytes()).decode("ascii"),
        "source": base64.b64encode(script_bytes(name)).decode("ascii"),
        "params": base64.b64encode(doc).decode("ascii"),
    }, separators=(",", ":")) + "\r\n"
