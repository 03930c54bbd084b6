"""`ndes verify`'s day-two checks: the SCEP app pool (started, its stored password = the configured one: a
rotation that skipped the pool is caught before the next recycle stops NDES) and the RA certificates by the
host's clock (due / expired with the renewal action, served by NDES, leftovers of a renewal)."""
from __future__ import annotations

from ndes.verify import day_two as t

from .test_verify_hosts import ctx_with, one
from .verify_fakes import RA, config, when


def test_a_healthy_pool_and_ra_certificates_pass():
    cfg = config()
    h = cfg.ndes_hosts[0]
    assert {r.status for r in t.scep_pool(cfg, ctx_with(cfg), h)} == {"pass"}
    res = t.ra_by_host_clock(cfg, ctx_with(cfg), h)
    assert {r.status for r in res} == {"pass"}, res
    assert "700 days left" in one(res, "RA certificate CEPEncryption (host clock)").detail


def test_a_pool_whose_password_no_longer_works_fails_with_the_fix():
    cfg = config()
    h = cfg.ndes_hosts[0]
    r = one(t.scep_pool(cfg, ctx_with(cfg, ScepPoolIdentity={"passwordMatches": False}), h), "SCEP app pool password")
    assert r.status == "fail" and "next recycle" in r.detail and "ScepPoolIdentity" in r.fix
    stopped = t.scep_pool(cfg, ctx_with(cfg, ScepPoolIdentity={"state": "Stopped"}), h)
    r = one(stopped, "SCEP app pool started")
    assert r.status == "fail" and "503" in r.detail and "locked out" in r.fix
    other = t.scep_pool(cfg, ctx_with(cfg, ScepPoolIdentity={"userName": "CONTOSO\\other"}), h)
    assert one(other, "SCEP app pool identity").status == "fail"
    spelled = t.scep_pool(cfg, ctx_with(cfg, ScepPoolIdentity={"userName": "contoso\\SVC-NDES"}), h)
    assert {r.status for r in spelled} == {"pass"}  # Windows' spelling of the same account


def test_ra_days_left_count_by_the_hosts_clock():
    cfg = config()
    h = cfg.ndes_hosts[0]
    res = t.ra_by_host_clock(cfg, ctx_with(cfg, NdesRaRenewal={"now": when(670)}), h)  # the host is 670 days on
    r = one(res, "RA certificate EnrollmentAgentOffline (host clock)")
    assert r.status == "warn" and "due for renewal: 30 days left" in r.detail and "RaCertificateRenewal" in r.fix
    res = t.ra_by_host_clock(cfg, ctx_with(cfg, NdesRaRenewal={"now": when(702)}), h)
    assert one(res, "RA certificate CEPEncryption (host clock)").status == "fail"


def test_ra_not_served_and_leftovers():
    cfg = config()
    h = cfg.ndes_hosts[0]
    r = one(t.ra_by_host_clock(cfg, ctx_with(cfg, NdesRaRenewal={"servesNewest": False}), h),
            "RA certificates NDES serves")
    assert r.status == "fail" and "Restart-WebAppPool SCEP" in r.fix
    r = one(t.ra_by_host_clock(cfg, ctx_with(cfg, NdesRaRenewal={"servedError": "(503) Server Unavailable."}), h),
            "RA certificates NDES serves")
    assert r.status == "warn" and "503" in r.detail
    older = [{"template": "CEPEncryption", "thumbprint": "B" * 40, "daysLeft": 20}]
    certs = [{"template": k, "thumbprint": v, "daysLeft": 700} for k, v in RA.items()] + older
    res = t.ra_by_host_clock(cfg, ctx_with(cfg, NdesRaRenewal={"raCertificates": certs}), h)
    r = one(res, "old RA certificates")
    assert r.status == "warn" and "1 older RA certificate" in r.detail


def test_ca_certificates_days_left_by_the_ca_hosts_clock():
    cfg = config()
    res = t.ca_expiry(cfg, ctx_with(cfg))
    assert [r.status for r in res] == ["pass", "pass"] and "Contoso Issuing CA: 1500 days left" in res[0].detail
    res = t.ca_expiry(cfg, ctx_with(cfg, HostClock={"now": when(1300)}))  # the CA host 1300 days on
    assert res[0].status == "warn" and "Renew CA Certificate" in res[0].fix and res[1].status == "pass"
    res = t.ca_expiry(cfg, ctx_with(cfg, HostClock={"now": when(1600)}))
    assert res[0].status == "fail" and "expired" in res[0].detail
