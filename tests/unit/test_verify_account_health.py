"""`ndes verify`'s service-account health, as Validate-NDESConfiguration checks it: not locked out, password not
expired (the DC's computed msDS-User-Account-Control-Computed bits), account not expired (accountExpires), and
AD's FILETIME values read as dates."""
from __future__ import annotations

import dataclasses
import datetime as dt

from ndes.verify.directory import Account, account_health, filetime

NOW = dt.datetime(2027, 1, 1, tzinfo=dt.timezone.utc)
A = Account("CN=svc-ndes,CN=Users,DC=contoso,DC=com", password_set=NOW - dt.timedelta(days=40))


def by(results):
    return {r.check: r for r in results}


def test_healthy_account():
    r = by(account_health(A, "CONTOSO\\svc-ndes", NOW))
    assert {x.status for x in r.values()} == {"pass"}
    assert "set 40 days ago" in r["service account password not expired"].detail


def test_locked_out_expired_password_and_expired_account_fail_with_the_fix():
    bad = dataclasses.replace(A, locked_out=True, password_expired=True, expires=NOW - dt.timedelta(days=1))
    r = by(account_health(bad, "CONTOSO\\svc-ndes", NOW))
    assert r["service account not locked out"].status == "fail" and "Unlock-ADAccount" in r[
        "service account not locked out"].fix
    assert r["service account password not expired"].status == "fail"
    assert "ndes:serviceAccount.password" in r["service account password not expired"].fix
    assert r["service account not expired"].status == "fail"
    soon = by(account_health(dataclasses.replace(A, expires=NOW + dt.timedelta(days=10)), "x", NOW))
    assert soon["service account not expired"].status == "warn"


def test_filetime():
    assert filetime("0") is None and filetime(str(0x7FFFFFFFFFFFFFFF)) is None and filetime(None) is None
    assert filetime(str(133_000_000_000_000_000)).year == 2022
    assert filetime([dt.datetime(2030, 1, 1, tzinfo=dt.timezone.utc)]).year == 2030
