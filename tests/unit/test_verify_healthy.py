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
    for expected in ("service account exists", "service account enabled", "SPN http/ndes01.contoso.com",
                     "ssl template NDES-SSL settings", "client template NDES-Intune ACL", "ssl template issued",
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
    assert "directory: service account and SPNs ... pass" in err
    assert "SCEP through the external URL ... pass" in err


def test_an_unreachable_directory_is_tried_once_and_each_step_fails_with_the_cause():
    from ndes.verify import Context
    from .verify_fakes import CA_CERT, ENC_CERT, SIGN_CERT, FakeFetcher, FakeGraph, FakeHost, healthy_states, pkcs7_of
    cfg = config()
    attempts = []

    def unreachable():
        attempts.append(1)
        raise ConnectionError("failed to connect to dc01.contoso.com:636: timed out")
    ctx = Context(cfg, directory_factory=unreachable, windows_factory=lambda n, o: FakeHost(healthy_states(cfg)),
                  graph_factory=lambda: FakeGraph(cfg),
                  scep_fetcher=FakeFetcher(pkcs7_of([CA_CERT, SIGN_CERT, ENC_CERT])))
    results = run(ctx)
    directory = [r for r in results if r.area == "directory"]
    assert len(attempts) == 1
    assert len(directory) == 4 and all(r.status == "fail" and "timed out" in r.detail for r in directory)
    assert all("credentials" in r.fix for r in directory)
    assert any(r.area == "ndes01.contoso.com" and r.status == "pass" for r in results)
