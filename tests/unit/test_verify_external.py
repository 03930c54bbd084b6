"""Checks through the external URL (fake fetcher) and the App Proxy application (fake Graph client)."""
from __future__ import annotations

from ndes.verify.external import FetchError, Response, external_checks

from .verify_fakes import (CA_CERT, ENC_CERT, RA, SIGN_CERT, FakeFetcher, by_check, config, pkcs7_of)


def run_ext(fetcher, ra=tuple(RA.values())):
    cfg = config()
    return external_checks(cfg, fetcher, cfg.ndes_hosts[0], list(ra) if ra is not None else None)


def test_all_pass_with_the_ra_certificates_in_getcacert():
    res = run_ext(FakeFetcher(pkcs7_of([CA_CERT, SIGN_CERT, ENC_CERT])))
    assert [r.status for r in res] == ["pass", "pass", "pass"]


def test_tls_failure_stops_with_the_reason():
    f = FakeFetcher()
    f.error = FetchError("TLS to x:443 failed verification: Hostname mismatch")
    [r] = run_ext(f)
    assert r.status == "fail" and "Hostname mismatch" in r.detail and "resolves" in r.fix


def test_getcacert_without_the_ra_certificates_fails():
    [r] = by_check(run_ext(FakeFetcher(pkcs7_of([CA_CERT, SIGN_CERT]))), "GetCACert")
    assert r.status == "fail" and RA["CEPEncryption"] in r.detail and "iisreset" in r.fix


def test_getcacert_that_is_not_pkcs7_fails():
    [r] = by_check(run_ext(FakeFetcher(b"<html>App Proxy error</html>")), "GetCACert")
    assert r.status == "fail" and "not a DER PKCS#7" in r.detail


def test_getcacert_without_known_ra_needs_more_than_the_ca():
    [r] = by_check(run_ext(FakeFetcher(pkcs7_of([CA_CERT])), ra=None), "GetCACert")
    assert r.status == "fail"


def test_getcacaps_error_status():
    class Caps(FakeFetcher):
        def get(self, url, params):
            if params["operation"] == "GetCACaps":
                return Response(403, "text/html", b"Forbidden")
            return super().get(url, params)
    [r] = by_check(run_ext(Caps(pkcs7_of([CA_CERT, SIGN_CERT, ENC_CERT]))), "GetCACaps")
    assert r.status == "fail" and "HTTP 403" in r.detail
