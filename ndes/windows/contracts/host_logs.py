"""HostLogs.ps1: the raw logs a support ticket needs from an NDES host, read only, bounded by the caller.

events   Get-WinEvent -LogName <log> -FilterXPath <query>, newest first, -MaxEvents per query:
           Application, "*[System[(Level=1 or Level=2) and Provider[@Name='Microsoft-Windows-
              NetworkDeviceEnrollmentService' or @Name='NDESConnector']]]"          (NDES errors)
           Microsoft-Intune-CertificateConnectors/Admin, '*[System[(Level=1 or Level=2)]]'   (connector errors)
         (XPath: a -FilterHashtable ProviderName that is not registered on the host fails the whole query)
         each as Get-WinEvent's EventLogRecord names it (LogName, Id, ProviderName, LevelDisplayName, TimeCreated
         in UTC, Message); a query that fails (no matching event, or the log does not exist: the connector is not
         installed) is reported with its FullyQualifiedErrorId and message, never thrown
iisLog   the newest u_ex*.log of W3SVC<siteId> (C:\\inetpub\\logs\\LogFiles): its `#` header lines (the #Fields
         line names the columns) and its last `maxLines` lines that request mscep.dll, as IIS wrote them

(https://learn.microsoft.com/powershell/module/microsoft.powershell.diagnostics/get-winevent?view=powershell-5.1;
https://learn.microsoft.com/windows/win32/http/w3c-logging). Nothing is scrubbed here: the lines hold what IIS and
the services wrote (an mscep.dll query carries the device's whole SCEP message); ndes/verify/logs.py scrubs and
bounds them before anything is written.
"""
from __future__ import annotations

from typing import Literal

from pydantic import Field

from . import Contract

SCRIPT = "HostLogs"
NDES_PROVIDERS = ("Microsoft-Windows-NetworkDeviceEnrollmentService", "NDESConnector")
CONNECTOR_LOG = "Microsoft-Intune-CertificateConnectors/Admin"
NO_EVENTS = "NoMatchingEventsFound"


class HostLogsParams(Contract):
    mode: Literal["get"] = "get"
    max_events: int = Field(25, ge=1, le=100)
    max_lines: int = Field(100, ge=1, le=500)
    site_id: int = Field(1, ge=1, le=100000)


class WinEvent(Contract):
    log_name: str = ""
    id: int = 0
    provider_name: str = ""
    level_display_name: str = ""
    time_created: str = ""
    message: str = ""


class QueryError(Contract):
    log_name: str
    error_id: str = ""
    """FullyQualifiedErrorId, e.g. NoMatchingEventsFound,Microsoft.PowerShell.Commands.GetWinEventCommand."""
    message: str = ""


class IisLog(Contract):
    file: str = ""
    """The log file read ('' when there is none)."""
    header: list[str] = []
    lines: list[str] = []


class HostLogsState(Contract):
    events: list[WinEvent] = []
    event_errors: list[QueryError] = []
    iis_log: IisLog = IisLog()
