"""`ndes verify --bundle FILE`: a support bundle an admin can attach to a ticket, without secrets.

A zip holding: results.json (every check, its detail and fix), config.json (the configuration as verify read it,
every secret replaced by the model's mask), facts/<host>/<script>.json (what each host script reported, its
`state` only: the parameters, which can carry a password, are never recorded), and README.txt. Before writing,
every secret value of the configuration is searched for in each file and replaced (defence in depth).
logs/<host>/events.json and logs/<host>/mscep-iis.log hold each NDES host's last NDES and connector event-log
errors and mscep.dll IIS log lines, scrubbed and bounded (ndes/verify/logs.py); HostLogs' raw state is never
written. Every file also goes through logs.scrub_secrets (`password=...`; long base64 runs only in
the logs: the facts keep certificates' DER). Validate-NDESConfiguration's bundle also holds gpresult; this one not.
"""
from __future__ import annotations

import datetime as dt
import json
import zipfile
from pathlib import Path
from typing import Any, Callable

from pydantic import BaseModel, SecretStr

from .result import Result, worst

MASK = "**********"


def secrets_of(model: Any) -> list[str]:
    """Every SecretStr value in a (nested) pydantic model."""
    out: list[str] = []

    def walk(v: Any) -> None:
        if isinstance(v, SecretStr):
            if v.get_secret_value():
                out.append(v.get_secret_value())
        elif isinstance(v, BaseModel):
            for name in type(v).model_fields:
                walk(getattr(v, name))
        elif isinstance(v, dict):
            for x in v.values():
                walk(x)
        elif isinstance(v, (list, tuple)):
            for x in v:
                walk(x)

    walk(model)
    return out


class Recorder:
    """Wraps Context.script: keeps each script's state per host (never its parameters)."""

    def __init__(self, script: Callable[..., dict[str, Any]]) -> None:
        self._script = script
        self.facts: dict[tuple[str, str], Any] = {}

    def __call__(self, host: str, own: Any, script: str, params: dict[str, Any]) -> dict[str, Any]:
        state = self._script(host, own, script, params)
        self.facts[(host, script)] = state
        return state


RAW_ONLY = frozenset({"HostLogs"})
"""Scripts whose state is written only in its scrubbed form (logs/), never as facts."""


def write(path: Path, cfg: Any, results: list[Result], facts: dict[tuple[str, str], Any],
          logs: dict[str, str] | None = None) -> Path:
    from .logs import scrub_secrets
    secrets = sorted(set(secrets_of(cfg)), key=len, reverse=True)

    def clean(text: str) -> str:
        for s in secrets:
            text = text.replace(s, MASK)
        return scrub_secrets(text)

    files = {
        "README.txt": (f"ndes verify support bundle, {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M:%SZ}\n"
                       f"overall: {worst(results)}\n"
                       "results.json: every check with its detail and fix\n"
                       "config.json: the configuration verify read (secrets masked)\n"
                       "facts/<host>/<script>.json: what each host script reported (no parameters)\n"
                       "logs/<host>/: the last NDES and connector event-log errors, the last mscep.dll IIS log "
                       "lines (scrubbed: SCEP messages, user names, cookies and secret-looking values removed)\n"),
        "results.json": json.dumps([r.as_dict() for r in results], indent=1),
        "config.json": json.dumps(cfg.model_dump(mode="json", by_alias=True), indent=1, default=str),
    }
    for (host, script), state in sorted(facts.items()):
        if script in RAW_ONLY:
            continue
        if script == "HostDiagnostics" and isinstance(state, dict) and state.get("mscepLog"):
            from .logs import scrub_w3c
            state = dict(state, mscepLog=scrub_w3c(list(state["mscepLog"])))
        files[f"facts/{host}/{script}.json"] = json.dumps(state, indent=1, default=str)
    files.update(logs or {})
    path = Path(path)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for name, text in files.items():
            z.writestr(name, clean(text))
    return path
