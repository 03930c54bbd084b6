"""The raw logs of `ndes verify --bundle`: each NDES host's last NDES and connector event-log errors and the last
mscep.dll lines of its IIS W3C log (HostLogs.ps1), scrubbed of what could hold a secret and bounded in size.

Scrubbing (before anything is written):
- an mscep.dll request's query keeps its `operation` only: `message` carries the device's whole SCEP request
  (its challenge password inside the PKCS#7), so every other query value is replaced by `<removed:N-chars>`
  (no space: a W3C field never holds one);
  the W3C columns that can hold a credential or a session (cs-username, cs(Cookie), cs(Referer)) become `-`
  (the column is found by the #Fields line in force, as W3C logs define it);
- event messages and any other text: `password=`/`pwd=`/`challenge=`-style values and base64 runs of 100+
  characters (a PKCS#7 or key blob) become `<removed>`; the configuration's own secrets are masked by bundle.py.
Bounds: at most MAX_EVENTS events and MAX_LINES log lines per host (the script is asked for that many), each
message or line cut at MAX_TEXT characters, and a host's files at MAX_BYTES each (the newest kept).
"""
from __future__ import annotations

import json
import re
from typing import Any

from ..model.config import DeploymentConfig
from ..windows.contracts import host_logs as HL

MAX_EVENTS = 25
MAX_LINES = 100
MAX_TEXT = 2000
MAX_BYTES = 64 * 1024
REMOVED_COLUMNS = ("cs-username", "cs(cookie)", "cs(referer)")
_SECRET_VALUE = re.compile(r"(?i)\b(password|passwd|pwd|challenge(?:password)?|secret|token)(\s*[=:]\s*)"
                           r"(\"[^\"]*\"|'[^']*'|[^\s&;,]+)")
_SCEP_MESSAGE = re.compile(r"(?i)\b(message=)([A-Za-z0-9+/%=_-]{20,})")
_BLOB = re.compile(r"[A-Za-z0-9+/%_-]{100,}={0,2}")


HL_DEFAULT_FIELDS = ["date", "time", "s-ip", "cs-method", "cs-uri-stem", "cs-uri-query", "s-port", "cs-username",
                     "c-ip", "cs(user-agent)", "cs(referer)", "sc-status", "sc-substatus", "sc-win32-status",
                     "time-taken"]
"""IIS's default W3C fields (https://learn.microsoft.com/iis/configuration/system.applicationhost/sites/site/
logfile/#attributes, logExtFileFlags default)."""


def scrub_secrets(text: str) -> str:
    """`password=...`-style values and SCEP `message=` query values replaced (any bundle file)."""
    text = _SCEP_MESSAGE.sub(lambda m: f"{m.group(1)}<removed:{len(m.group(2))}-chars>", text)
    return _SECRET_VALUE.sub(lambda m: f"{m.group(1)}{m.group(2)}<removed>", text)


def scrub_text(text: str) -> str:
    """Secret-looking values and long base64 runs replaced; cut at MAX_TEXT characters (log text)."""
    text = scrub_secrets(text)
    text = _BLOB.sub(lambda m: f"<removed:{len(m.group(0))}-chars>", text)
    return text if len(text) <= MAX_TEXT else text[:MAX_TEXT] + f"... <cut: {len(text) - MAX_TEXT} chars>"


def scrub_query(query: str) -> str:
    """An mscep.dll query with its `operation` kept and every other value replaced."""
    if query in ("", "-"):
        return query
    out = []
    for part in query.split("&"):
        key, eq, value = part.partition("=")
        out.append(part if key.lower() == "operation" or not eq else f"{key}=<removed:{len(value)}-chars>")
    return "&".join(out)


def scrub_w3c(lines: list[str]) -> list[str]:
    """W3C log lines scrubbed column by column, by the #Fields line in force (IIS's default until one is seen)."""
    fields = HL_DEFAULT_FIELDS
    out = []
    for line in lines:
        if line.startswith("#"):
            if line.startswith("#Fields:"):
                fields = [f.lower() for f in line.split(":", 1)[1].split()]
            out.append(scrub_text(line))
            continue
        values = line.split(" ")
        if len(values) == len(fields):
            for i, name in enumerate(fields):
                if name == "cs-uri-query":
                    values[i] = scrub_query(values[i])
                elif name in REMOVED_COLUMNS and values[i] != "-":
                    values[i] = "-"
            line = " ".join(values)
        else:  # not the shape its #Fields line says: no column is trusted, every query-like value goes
            line = re.sub(r"(?i)\b(message=)[^\s&]*", lambda m: m.group(1) + "<removed>", line)
        out.append(scrub_text(line))
    return out


def _bounded(items: list[str], limit: int = MAX_BYTES) -> list[str]:
    """The newest items (the list's end) whose total size stays within `limit` bytes."""
    kept, size = [], 0
    for item in reversed(items):
        size += len(item.encode("utf-8")) + 1
        if size > limit:
            break
        kept.append(item)
    return list(reversed(kept))


def files_of(host: str, st: HL.HostLogsState) -> dict[str, str]:
    """The bundle files of one host: logs/<host>/events.json and logs/<host>/mscep-iis.log (scrubbed, bounded)."""
    events = [dict(e.wire(), message=scrub_text(e.message)) for e in st.events]
    docs = [json.dumps(e, ensure_ascii=False) for e in events]  # newest first, as read: keep the first ones
    events = [json.loads(d) for d in _bounded(docs[::-1])][::-1]
    errors = [dict(e.wire(), message=scrub_text(e.message)) for e in st.event_errors]
    out = {f"logs/{host}/events.json": json.dumps({"events": events, "queryErrors": errors}, indent=1,
                                                  ensure_ascii=False)}
    if st.iis_log.file:
        body = _bounded(scrub_w3c(st.iis_log.header[-10:] + st.iis_log.lines))
        out[f"logs/{host}/mscep-iis.log"] = f"# {st.iis_log.file} (mscep.dll lines, scrubbed)\n" + "\n".join(body) + "\n"
    return out


def collect(cfg: DeploymentConfig, script: Any) -> dict[str, str]:
    """Every NDES host's log files for the bundle; `script` is Context.script (host, winrm, name, params). A host
    that cannot be read gets a note saying why instead."""
    out: dict[str, str] = {}
    for h in cfg.ndes_hosts:
        try:
            st = HL.HostLogsState.model_validate(script(h.fqdn, h.winrm, HL.SCRIPT, HL.HostLogsParams(
                max_events=MAX_EVENTS, max_lines=MAX_LINES).wire()))
        except Exception as exc:  # noqa: BLE001 - the bundle still holds everything else
            out[f"logs/{h.fqdn}/unavailable.txt"] = scrub_text(f"the logs could not be read: {exc}\n")
            continue
        out.update(files_of(h.fqdn, st))
    return out
