"""Issue 19 item 6: the support bundle holds each NDES host's raw logs (the last NDES and connector event-log
errors, the last mscep.dll lines of IIS's W3C log with its #Fields header), scrubbed of what could hold a secret
and bounded in size."""
from __future__ import annotations

import json

from ndes.verify import logs as L
from ndes.windows.contracts import host_logs as HL

from .verify_fakes import SCEP_MESSAGE, host_logs_state

FIELDS = ("#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) "
          "cs(Referer) sc-status sc-substatus sc-win32-status time-taken")


def test_an_mscep_query_keeps_its_operation_only():
    assert L.scrub_query("operation=PKIOperation&message=" + SCEP_MESSAGE) == \
        f"operation=PKIOperation&message=<removed:{len(SCEP_MESSAGE)}-chars>"
    assert L.scrub_query("-") == "-" and L.scrub_query("operation=GetCACaps") == "operation=GetCACaps"


def test_w3c_lines_are_scrubbed_by_the_fields_line_in_force():
    st = host_logs_state()
    out = L.scrub_w3c(st["iisLog"]["header"] + st["iisLog"]["lines"])
    text = "\n".join(out)
    assert SCEP_MESSAGE[:40] not in text and "session=abc" not in text and "svc-ndes" not in text
    last = out[-1].split(" ")
    assert last[5].startswith("operation=PKIOperation&message=<removed:") and last[7] == "-" and last[10] == "-"
    assert last[11:15] == ["500", "0", "0", "31"]  # the status columns stay: they are the diagnosis
    # another #Fields line (a site logging fewer columns) moves the query column
    moved = L.scrub_w3c(["#Fields: date time cs-uri-stem cs-uri-query sc-status",
                         "2026-11-30 10:00:02 /certsrv/mscep/mscep.dll operation=GetCACert&message=ca 200"])
    assert moved[1].endswith("operation=GetCACert&message=<removed:2-chars> 200")
    odd = L.scrub_w3c([FIELDS, "2026-11-30 truncated line message=" + SCEP_MESSAGE])
    assert SCEP_MESSAGE[:20] not in odd[1] and "message=<removed>" in odd[1]


def test_event_messages_lose_secret_values_and_blobs_and_are_cut():
    assert L.scrub_text("failed challengePassword=7F3A9C0D11E2 x") == "failed challengePassword=<removed> x"
    assert L.scrub_text("password: 'a b'") == "password: <removed>"
    assert SCEP_MESSAGE not in L.scrub_text("req " + SCEP_MESSAGE)
    long = L.scrub_text("word " * 1000)
    assert len(long) < L.MAX_TEXT + 40 and long.endswith("chars>")


def test_a_hosts_files_hold_the_raw_facts_scrubbed():
    files = L.files_of("ndes01.contoso.com", HL.HostLogsState.model_validate(host_logs_state()))
    events = json.loads(files["logs/ndes01.contoso.com/events.json"])
    assert [(e["logName"], e["id"], e["levelDisplayName"]) for e in events["events"]] == [
        ("Application", 29, "Error"), ("Microsoft-Intune-CertificateConnectors/Admin", 1001, "Error")]
    assert "0x80094800" in events["events"][0]["message"] and "7F3A9C0D11E2" not in events["events"][0]["message"]
    log = files["logs/ndes01.contoso.com/mscep-iis.log"]
    assert log.startswith("# u_ex261130.log") and FIELDS in log and "operation=GetCACaps" in log
    assert SCEP_MESSAGE[:40] not in "".join(files.values())


def test_sizes_are_bounded_keeping_the_newest():
    st = host_logs_state()
    line = st["iisLog"]["lines"][0]
    st["iisLog"]["lines"] = [line.replace("10:00:00", f"{i:08d}") for i in range(3000)]
    st["events"] = [dict(st["events"][0], id=i, message="x " * 900) for i in range(200)]
    files = L.files_of("h", HL.HostLogsState.model_validate(st))
    assert all(len(text.encode()) <= L.MAX_BYTES + 200 for text in files.values())
    log = files["logs/h/mscep-iis.log"].splitlines()
    assert log[-1].split(" ")[1] == "00002999"  # the newest line kept
    events = json.loads(files["logs/h/events.json"])["events"]
    assert events[0]["id"] == 0 and 0 < len(events) < 200  # the newest (first) kept


def test_a_host_that_cannot_be_read_gets_a_note():
    from .verify_fakes import config
    cfg = config()

    def script(host, own, name, params):
        raise RuntimeError("WinRM refused: password=hunter2")
    files = L.collect(cfg, script)
    note = files[f"logs/{cfg.ndes_hosts[0].fqdn}/unavailable.txt"]
    assert "WinRM refused" in note and "hunter2" not in note


def test_the_iis_log_check_never_shows_a_scep_message():
    """A failed mscep.dll request is shown in the check's detail (and so in results.json and the terminal): its
    query keeps its operation only."""
    from .test_verify_hosts import one
    from .test_verify_host_checks import run
    line = host_logs_state()["iisLog"]["lines"][1]
    r = one(run(mscepLog=[line]), "mscep.dll requests (IIS log)")
    assert r.status == "warn" and "operation=PKIOperation" in r.detail and SCEP_MESSAGE[:40] not in r.detail


def test_every_bundle_file_loses_scep_messages_and_secret_values():
    text = '{"detail": "GET /certsrv/mscep/mscep.dll operation=PKIOperation&message=' + SCEP_MESSAGE + ' 500"}'
    out = L.scrub_secrets(text + " password=hunter2")
    assert SCEP_MESSAGE[:30] not in out and "hunter2" not in out and "operation=PKIOperation" in out
