"""HostLogs.ps1 against the simulator: Get-WinEvent's records and query errors in their real shapes, IIS's W3C log
with its #Fields header, and the bundle's scrubbed files made from them (ndes/verify/logs.py)."""
from __future__ import annotations

import json

import pytest

from lab.winrm_sim import hostmodel
from lab.winrm_sim.handlers.intune_connector import DISPLAY_NAME, UNINSTALL_KEY
from ndes.verify import logs as L
from ndes.windows import WindowsHost
from ndes.windows.contracts import host_logs as HL

from .conftest import NDES1, make_endpoint

pytestmark = pytest.mark.slow
BLOB = "MIAGCSqGSIb3DQEHAqCAMIACAQExDzANBglghkgBZQMEAgEFADCABgkqhkiG9w0BBwGggCSABIIF" * 2


def read(sim, **params) -> HL.HostLogsState:
    doc = WindowsHost(make_endpoint(sim)).run_script(HL.SCRIPT, HL.HostLogsParams(**params).wire())
    return HL.HostLogsState.model_validate(doc["state"])


def test_nothing_logged_reads_as_get_winevent_says(sim):
    st = read(sim)
    assert st.events == [] and st.iis_log.file == ""
    assert [(e.log_name, e.error_id.split(",")[0]) for e in st.event_errors] == [
        ("Application", "NoMatchingEventsFound"), (HL.CONNECTOR_LOG, "NoMatchingLogsFound")]


def test_errors_and_mscep_lines_read_back_and_scrubbed(sim):
    with sim.edit_state(NDES1) as st:
        hostmodel.ensure_key(st, UNINSTALL_KEY)
        hostmodel.set_value(st, UNINSTALL_KEY, "DisplayName", "String", DISPLAY_NAME)
        st["eventLog"] = {"Application": [
            {"timeCreated": f"2026-11-30T10:00:0{i}.000000Z", "level": lvl, "source": src, "message": msg}
            for i, (lvl, src, msg) in enumerate([
                ("Error", "Microsoft-Windows-NetworkDeviceEnrollmentService", "cannot decode the request " + BLOB),
                ("Information", "Microsoft-Windows-NetworkDeviceEnrollmentService", "issued a certificate"),
                ("Error", "Some-Other-Service", "not NDES"),
                ("Error", "NDESConnector", "challenge=0123ABCD rejected")])],
            HL.CONNECTOR_LOG: [{"timeCreated": "2026-11-30T09:00:00.000000Z", "level": "Critical", "id": 1001,
                                "source": "Microsoft-Intune-CertificateConnectors", "message": "sign-in failed"}]}
        st["iisLog"] = [
            "2026-11-30 10:00:00 10.0.0.5 GET /certsrv/mscep/mscep.dll operation=GetCACaps&message=default 443 - "
            "10.0.0.9 Mozilla/5.0 - 200 0 0 15",
            "2026-11-30 10:00:01 10.0.0.5 GET /iisstart.htm - 443 - 10.0.0.9 Mozilla/5.0 - 200 0 0 1",
            f"2026-11-30 10:00:02 10.0.0.5 GET /certsrv/mscep/mscep.dll operation=PKIOperation&message={BLOB} 443 - "
            "10.0.0.9 Dalvik/2.1.0 - 500 0 0 30"]
    st = read(sim, max_events=5)
    assert [(e.provider_name, e.level_display_name) for e in st.events] == [
        ("NDESConnector", "Error"), ("Microsoft-Windows-NetworkDeviceEnrollmentService", "Error"),
        ("Microsoft-Intune-CertificateConnectors", "Critical")]  # errors only, NDES's providers only, newest first
    assert st.events[2].id == 1001 and st.events[0].time_created == "2026-11-30T10:00:03Z"
    assert st.iis_log.header[-1].startswith("#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query")
    assert len(st.iis_log.lines) == 2 and all("mscep.dll" in line for line in st.iis_log.lines)
    assert read(sim, max_events=1, max_lines=1).iis_log.lines == st.iis_log.lines[-1:]

    files = L.files_of(NDES1, st)
    text = "".join(files.values())
    assert BLOB[:30] not in text and "0123ABCD" not in text
    assert "operation=PKIOperation&message=<removed:" in files[f"logs/{NDES1}/mscep-iis.log"]
    assert json.loads(files[f"logs/{NDES1}/events.json"])["events"][2]["message"] == "sign-in failed"
