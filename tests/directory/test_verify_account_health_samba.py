"""`ndes verify`'s service-account health read from the real lab DC: pwdLastSet and accountExpires as dates,
msDS-User-Account-Control-Computed as the DC computes it; an account set to expire yesterday fails the check
(the lab's way to fail it)."""
from __future__ import annotations

import datetime as dt
import uuid

import ldap3
import pytest

from ndes.directory import DirectoryClient, DirectorySettings
from ndes.directory import accounts as acc
from ndes.verify.directory import DirectoryReader, account_health

pytestmark = pytest.mark.slow


def test_expiry_and_password_age_from_samba(samba_dc):
    dc = samba_dc
    c = DirectoryClient.connect(DirectorySettings(dc.ldap_url, dc.bind_user, dc.bind_password, ca_bundle=dc.ca_bundle))
    sam = f"svch{uuid.uuid4().hex[:8]}"
    dn = acc.create_user(c, f"CN=Users,{dc.domain_dn}", sam, f"{sam}@{dc.dns_domain}", "health", "Pw-H3alth-Xx!9",
                         acc.UF_NORMAL_ACCOUNT | acc.UF_DONT_EXPIRE_PASSWD, None)
    try:
        r = DirectoryReader(c)
        a = r.account(sam)
        assert a is not None and not a.locked_out and not a.password_expired and a.expires is None
        assert a.password_set is not None and abs((dt.datetime.now(dt.timezone.utc) - a.password_set).days) <= 1
        assert {x.status for x in account_health(a, sam)} == {"pass"}

        yesterday = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=1)
        ft = int((yesterday - dt.datetime(1601, 1, 1, tzinfo=dt.timezone.utc)).total_seconds() * 10_000_000)
        c.modify(dn, {"accountExpires": [(ldap3.MODIFY_REPLACE, [str(ft)])]}, kind="account")
        res = {x.check: x for x in account_health(r.account(sam), sam)}
        assert res["service account not expired"].status == "fail"
    finally:
        c.delete(dn, kind="account")
        c.close()
