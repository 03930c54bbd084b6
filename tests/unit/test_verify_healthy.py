"""`ndes verify` on a healthy NDES (fakes at the client boundary): every check passes, the scripts run in get
mode only, the table and the JSON document carry every result."""
from __future__ import annotations

import json

from ndes.verify import document, run, table

from .verify_fakes import config, context


def test_every_check_passes_on_a_healthy_ndes():
    cfg = config()
    ctx, host = context(cfg)
    results = run(ctx)
    bad = [r for r in results if r.status != "pass"]
    assert not bad, bad
    checks = {r.check for r in results}
    # the directory's resources are read through their providers (LDAP): tests/directory/test_verify_directory_samba.py
    for expected in ("service account not locked out", "SPN http/ndes01.contoso.com unique",
                     "Request Certificates for the service account", "service account in IIS_IUSRS",
                     "IIS request limits", "HTTP.sys MaxFieldLength / MaxRequestBytes", "MSCEP template mapping",
                     "https binding host name", "SSL certificate names", "SSL certificate chain",
                     "SSL certificate expiry", "RA certificate signing (EnrollmentAgentOffline)",
                     "Intune connector certificate", "App Proxy application", "TLS names", "GetCACaps", "GetCACert"):
        assert expected in checks, expected


def test_scripts_run_in_get_mode_only():
    ctx, host = context(config())
    run(ctx)
    assert host.calls
    assert {p["mode"] for _, p in host.calls} == {"get"}
    assert all(not p.get("serviceAccountPassword") for _, p in host.calls)


def test_table_and_json_document():
    ctx, _ = context(config())
    results = run(ctx)
    doc = json.loads(document(results))
    assert doc["status"] == "pass"
    assert doc["counts"]["pass"] == len(results) == len(doc["results"])
    text = table(results)
    assert f"{len(results)} passed, 0 warnings, 0 failed" in text


def test_progress_names_each_step(capsys):
    import sys
    ctx, _ = context(config())
    run(ctx, progress=sys.stderr)
    err = capsys.readouterr().err
    assert "directory: service account health and SPN uniqueness ... pass" in err
    assert "SCEP through the external URL ... pass" in err


def test_an_unreachable_directory_is_tried_once_and_each_step_fails_with_the_cause(monkeypatch):
    from ndes.directory import DirectoryClient
    from ndes.verify import Context
    from .verify_fakes import CA_CERT, ENC_CERT, SIGN_CERT, FakeFetcher, FakeGraph, FakeHost, healthy_states, pkcs7_of
    cfg = config()
    attempts = []

    def unreachable(cls, settings):  # the real client (the providers' reads and the reader share it)
        attempts.append(1)
        raise ConnectionError("failed to connect to dc01.contoso.com:636: timed out")
    monkeypatch.setattr(DirectoryClient, "connect", classmethod(unreachable))
    ctx = Context(cfg, windows_factory=lambda n, o: FakeHost(healthy_states(cfg)),
                  graph_factory=lambda: FakeGraph(cfg),
                  scep_fetcher=FakeFetcher(pkcs7_of([CA_CERT, SIGN_CERT, ENC_CERT])))
    results = run(ctx)
    directory = [r for r in results if r.area == "directory"]
    assert len(attempts) == 1
    assert len(directory) == 5 and all(r.status == "fail" and "timed out" in r.detail for r in directory)
    assert all("credentials" in r.fix for r in directory)
    assert any(r.area == "ndes01.contoso.com" and r.status == "pass" for r in results)
