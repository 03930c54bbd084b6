"""What the simulated powershell.exe does with a command line and its stdin.

Only the project's bootstrap runs here: the command must be powershell.exe with -EncodedCommand holding
ndes/windows/scripts/_bootstrap.ps1 exactly, and the stdin line's `prelude` and `source` must be byte-identical
to _prelude.ps1 and the named script's file, today's or the golden release's where today's handler models it
(releases.py: the same contract then and now). Then the params are decoded and the script's handler plays its contract against the
host's state (saved after a successful call). Output is what the bootstrap writes: one JSON document on
stdout (non-ASCII escaped), exit code 0, or {"error": {...}} and exit code 1.
"""
from __future__ import annotations

import base64
import binascii
import json
import re
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from . import releases, store
from .handlers import HANDLERS, HostContext, ScriptError, load_all

SCRIPTS_DIR = Path(__file__).resolve().parents[2] / "ndes" / "windows" / "scripts"
_ENCODED_FLAGS = {"-encodedcommand", "-enc", "-e", "-ec", "-encoded"}


@dataclass
class Launch:
    """A command accepted by the shell: the bootstrap, or something this host cannot run (`refusal`)."""
    is_bootstrap: bool
    refusal: str = ""


def launch(command: str, arguments: list[str]) -> Launch:
    """Classify a Command request's command line (already split into words)."""
    words = command.split() + arguments
    exe = words[0].lower().rsplit("\\", 1)[-1] if words else ""
    if exe not in ("powershell", "powershell.exe"):
        return Launch(False, f"'{words[0] if words else ''}' is not recognized as an internal or external "
                             "command,\r\noperable program or batch file.\r\n")
    encoded = None
    for i, w in enumerate(words[1:-1], start=1):
        if w.lower() in _ENCODED_FLAGS:
            encoded = words[i + 1]
    if encoded is None:
        return Launch(False, "the WinRM simulator runs only the project's bootstrap (-EncodedCommand)\r\n")
    try:
        text = base64.b64decode(encoded, validate=True).decode("utf-16-le")
    except (binascii.Error, UnicodeDecodeError):
        return Launch(False, "Cannot process the command because the value specified with -EncodedCommand is "
                             "not properly encoded. The value must be Base64 encoded.\r\n")
    why = releases.current().refusal("_bootstrap", text.encode("utf-8"))
    if why:
        return Launch(False, f"the WinRM simulator runs only the project's bootstrap, unchanged: {why}\r\n")
    return Launch(True)


def _out(doc: dict) -> bytes:
    return json.dumps(doc, ensure_ascii=True, separators=(",", ":")).encode("ascii")


def _error(message: str, category: str) -> tuple[bytes, bytes, int]:
    return _out({"error": {"message": message, "category": category}}), b"", 1


def run_bootstrap(host: str, role: str, user: str, stdin: bytes, lab, request_reboot: Callable[[], None],
                  knobs=None) -> tuple[bytes, bytes, int]:
    """Run the bootstrap with `stdin`; returns (stdout, stderr, exit code)."""
    load_all()
    if not stdin.strip():  # `$input | Out-String` is empty: ConvertFrom-Json has nothing to bind
        return _error("Cannot bind argument to parameter 'InputObject' because it is an empty string.",
                      "InvalidData")
    try:
        request = json.loads(stdin.decode("utf-8"))
        name, source_b64, params_b64 = request["script"], request["source"], request["params"]
        prelude_b64 = request["prelude"]
    except (ValueError, KeyError, TypeError) as exc:
        return _error(f"Invalid JSON primitive or missing property in the request: {exc}", "NotSpecified")
    try:
        prelude = base64.b64decode(prelude_b64, validate=True)
        source = base64.b64decode(source_b64, validate=True)
        params = json.loads(base64.b64decode(params_b64, validate=True).decode("utf-8", errors="strict"))
    except (binascii.Error, ValueError) as exc:
        return _error(f"Exception calling \"FromBase64String\" with \"1\" argument(s): {exc}", "NotSpecified")
    why = releases.current().refusal("_prelude", prelude)
    if why:
        return _error(f"the WinRM simulator runs only the project's scripts, unchanged: the prelude: {why}",
                      "NotImplemented")
    if not isinstance(name, str) or not re.fullmatch(r"[A-Z][A-Za-z0-9]{0,63}", name) \
            or not (SCRIPTS_DIR / f"{name}.ps1").is_file():
        return _error(f"the WinRM simulator runs only the project's scripts, unchanged: there is no "
                      f"ndes/windows/scripts/{name}.ps1", "NotImplemented")
    why = releases.current().refusal(name, source)
    if why:
        return _error(f"the WinRM simulator runs only the project's scripts, unchanged: {why}", "NotImplemented")
    fn = HANDLERS.get(name)
    if fn is None:
        return _error(f"the WinRM simulator has no handler for script '{name}'", "NotImplemented")
    if not isinstance(params, dict):
        return _error("Cannot bind argument to parameter 'Params' because it is not an object.", "InvalidData")
    try:
        with store.edit_state(host) as state:
            ctx = HostContext(name=host, role=role, state=state, user=user, lab=lab, _reboot=request_reboot,
                              knobs=knobs)
            doc = fn(ctx, params)
    except ScriptError as exc:
        return _error(exc.message, exc.category)
    except Exception as exc:  # a bug in a handler: say so as the script would fail, and log the trace
        traceback.print_exc(file=sys.stderr)
        return _error(f"simulator handler for {name} failed: {type(exc).__name__}: {exc}", "NotSpecified")
    return _out(doc), b"", 0
