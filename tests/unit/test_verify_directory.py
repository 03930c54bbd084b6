"""Directory checks: the service account, its SPNs, both templates' settings and ACLs, their issuance."""
from __future__ import annotations

import dataclasses

from ndes.verify.directory import issuance_checks, service_account, template_checks

from .verify_fakes import ACCOUNT_DN, HOST, FakeDirectory, by_check, config


def statuses(results):
    return {r.check: r.status for r in results}


def test_missing_account_fails_with_the_fix():
    cfg = config()
    d = FakeDirectory(cfg)
    d.accounts.clear()
    [r] = service_account(cfg, d)
    assert r.status == "fail" and "CONTOSO\\svc-ndes" in r.detail and "ndes:serviceAccount" in r.fix


def test_disabled_account_fails():
    cfg = config()
    d = FakeDirectory(cfg)
    d.accounts["svc-ndes"] = dataclasses.replace(d.accounts["svc-ndes"], enabled=False)
    [r] = by_check(service_account(cfg, d), "service account enabled")
    assert r.status == "fail" and "Enable-ADAccount" in r.fix


def test_password_expiry_warns_only_when_configured_never_to_expire():
    cfg = config(**{"serviceAccount.passwordNeverExpires": True})
    d = FakeDirectory(cfg)
    d.accounts["svc-ndes"] = dataclasses.replace(d.accounts["svc-ndes"], password_never_expires=False)
    [r] = by_check(service_account(cfg, d), "service account password never expires")
    assert r.status == "warn"
    unset = config(**{"serviceAccount.passwordNeverExpires": False})
    assert "service account password never expires" not in statuses(service_account(unset, d))


def test_missing_spn_fails_with_setspn():
    cfg = config()
    d = FakeDirectory(cfg)
    d.accounts["svc-ndes"] = dataclasses.replace(d.accounts["svc-ndes"], spns=[])
    [r] = by_check(service_account(cfg, d), f"SPN http/{HOST}")
    assert r.status == "fail" and r.fix == f"setspn -s http/{HOST} CONTOSO\\svc-ndes"


def test_duplicate_spn_fails_naming_the_other_holder():
    cfg = config()
    d = FakeDirectory(cfg)
    d.holders[f"http/{HOST}"] = [ACCOUNT_DN, "CN=NDES01,CN=Computers,DC=contoso,DC=com"]
    [r] = by_check(service_account(cfg, d), f"SPN http/{HOST}")
    assert r.status == "fail" and "CN=NDES01,CN=Computers" in r.detail and "setspn -D" in r.fix


def test_template_missing_and_settings_drift():
    cfg = config()
    d = FakeDirectory(cfg)
    del d.templates[cfg.templates.ssl.name]
    [r] = template_checks(cfg, d, "ssl")
    assert r.status == "fail" and "Web Server" in r.fix

    d = FakeDirectory(cfg)
    t = d.templates[cfg.templates.client.name]
    d.templates[cfg.templates.client.name] = dataclasses.replace(t, settings=dataclasses.replace(
        t.settings, exportable=True, key_usage=["digitalSignature", "keyEncipherment", "nonRepudiation"]))
    [r] = by_check(template_checks(cfg, d, "client"), "client template NDES-Intune settings")
    assert r.status == "fail"
    assert "private key exportable is True, configured False" in r.detail
    assert "nonRepudiation" in r.detail and "ndes:templates.client" in r.fix


def test_ssl_template_must_enroll_computers():
    cfg = config()
    d = FakeDirectory(cfg)
    t = d.templates[cfg.templates.ssl.name]
    d.templates[cfg.templates.ssl.name] = dataclasses.replace(t, machine=False)
    [r] = by_check(template_checks(cfg, d, "ssl"), "ssl template NDES-SSL settings")
    assert r.status == "fail" and "computers" in r.detail


def test_acl_without_enroll_fails_naming_the_principal():
    cfg = config()
    d = FakeDirectory(cfg)
    d.grants = {k: set() for k in d.grants}
    [r] = by_check(template_checks(cfg, d, "ssl"), "ssl template NDES-SSL ACL")
    assert r.status == "fail" and "NDES01$" in r.detail and "Read and Enroll" in r.fix
    [r] = by_check(template_checks(cfg, d, "client"), "client template NDES-Intune ACL")
    assert r.status == "fail" and "svc-ndes" in r.detail


def test_other_grants_on_a_template_fail_naming_principal_rights_and_fix():
    cfg = config()
    d = FakeDirectory(cfg)
    [r] = by_check(template_checks(cfg, d, "client"), "client template NDES-Intune other grants")
    assert r.status == "pass"
    dn = d.templates["NDES-Intune"].dn
    d.extra[dn] = ["Authenticated Users (S-1-5-11): Enroll"]
    [r] = by_check(template_checks(cfg, d, "client"), "client template NDES-Intune other grants")
    assert r.status == "fail" and "Authenticated Users (S-1-5-11): Enroll" in r.detail and "ESC1" in r.detail
    assert "ndes:templates.client.removeExtraGrants" in r.fix


def test_issuance():
    cfg = config()
    d = FakeDirectory(cfg)
    d.issued_names = [cfg.templates.ssl.name.lower()]  # the CA's list is case-insensitive
    got = statuses(issuance_checks(cfg, d))
    assert got == {"ssl template issued": "pass", "client template issued": "fail"}
