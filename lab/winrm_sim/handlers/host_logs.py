"""HostLogs on a simulated NDES host (contract: ndes/windows/contracts/host_logs.py), in the shapes Windows gives:

- events: Get-WinEvent's records (LogName, Id, ProviderName, LevelDisplayName, TimeCreated, Message) of the
  host's event logs (`state["eventLog"][<log name>]`: the simulated NDES writes its refusals to Application,
  lab/winrm_sim/scep_pkiop.py; a test may add connector events under Microsoft-Intune-CertificateConnectors/Admin),
  filtered as the script's XPath queries ask (log, providers, Level 1/2 = Critical/Error), newest first, -MaxEvents;
  no match: NoMatchingEventsFound; the connector's log before the connector is installed: NoMatchingLogsFound.
  Events the simulator logs without an id read back Id 0 (it does not invent ids).
- iisLog: W3SVC<siteId>'s log as IIS writes it in W3C format: the `#Software/#Version/#Date/#Fields` header
  (the default field set) and the lines in `state["iisLog"]` (the simulated IIS writes none itself); no lines, no
  file.
"""
from __future__ import annotations

from typing import Any

from ndes.windows.contracts.host_logs import CONNECTOR_LOG, NDES_PROVIDERS, HostLogsParams

from .. import clock
from . import handler, result, validated
from .intune_connector import _live as connector_live

W3C_FIELDS = ("#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) "
              "cs(Referer) sc-status sc-substatus sc-win32-status time-taken")
LEVELS = {"Critical": 1, "Error": 2, "Warning": 3, "Information": 4}


def _records(state: dict[str, Any], log_name: str, providers: tuple[str, ...] | None, limit: int) -> list[dict]:
    log = (state.get("eventLog") or {}).get(log_name) or []
    hits = [e for e in reversed(log) if LEVELS.get(e.get("level", ""), 4) in (1, 2)
            and (providers is None or e.get("source") in providers)]
    return [{"logName": log_name, "id": int(e.get("id") or 0), "providerName": e.get("source", ""),
             "levelDisplayName": e.get("level", ""), "timeCreated": str(e.get("timeCreated", ""))[:19] + "Z",
             "message": e.get("message", "")} for e in hits[:limit]]


@handler("HostLogs")
def host_logs(ctx: Any, raw: dict[str, Any]) -> dict[str, Any]:
    p = validated(HostLogsParams, raw)
    state = ctx.state
    events, errors = [], []
    for log_name, providers in (("Application", NDES_PROVIDERS), (CONNECTOR_LOG, None)):
        if log_name == CONNECTOR_LOG and not connector_live(state)["installed"]:
            errors.append({"logName": log_name,
                           "errorId": "NoMatchingLogsFound,Microsoft.PowerShell.Commands.GetWinEventCommand",
                           "message": f"There is not an event log on the localhost computer that matches "
                                      f"\"{log_name}\"."})
            continue
        found = _records(state, log_name, providers, p.max_events)
        if not found:
            errors.append({"logName": log_name,
                           "errorId": "NoMatchingEventsFound,Microsoft.PowerShell.Commands.GetWinEventCommand",
                           "message": "No events were found that match the specified selection criteria."})
        events += found
    lines = [line for line in state.get("iisLog") or [] if line.startswith("#Fields:") or "mscep.dll" in line]
    iis = {"file": "", "header": [], "lines": []}
    if p.site_id == 1 and state.get("iisLog"):
        now = clock.now()
        iis = {"file": f"u_ex{now:%y%m%d}.log",
               "header": ["#Software: Microsoft Internet Information Services 10.0", "#Version: 1.0",
                          f"#Date: {now:%Y-%m-%d} 00:00:00", W3C_FIELDS],
               "lines": lines[-p.max_lines:]}
    return result({"events": events, "eventErrors": errors, "iisLog": iis})
