"""The hand-built NDES's Active Directory part, made as an administrator makes it and NOT with the product's
directory code (so adoption is tested against objects the product did not write): raw LDAP writes (ldap3, bound as
the lab's Administrator) and Samba's own `samba-tool dsacl set` for the Security tab.

- Active Directory Users and Computers: the service account, "Password never expires"; `setspn -s http/<host>`.
- The Certificate Templates console: "Duplicate Template" of Web Server (SSL) and of User (client) at the
  console's default compatibility (Windows Server 2003: a version 2 template), the guide's changes (name, validity,
  "Supply in the request", minimum key size 2048), Read + Enroll on the Security tab; the CA console's "Certificate
  Template to Issue" (the CA object's certificateTemplates).

A duplicate keeps the shipped template's values (shared/reference/adcs-ndes.md, "WebServer" / "User", from
MS-CRTD section 2) except: `flags` loses CT_FLAG_IS_DEFAULT (0x10000) and gains CT_FLAG_IS_MODIFIED (0x20000) --
real ldifde exports of console duplicates show exactly that (Sleepw4lker/TameMyCerts,
TameMyCerts.IntegrationTests/Tests/GenericWebServer.ldf: 131649 from Web Server's 66113; User_Online.ldf: 131642
from User's 66106) --, `revision` 100, schema version 2 and a version 2 private-key flag. The periods and the key
usage are encoded here from their definitions (MS-CRTD 2.17 pKIExpirationPeriod / 2.16 pKIKeyUsage), and
tests/lab/test_handbuilt_directory.py checks this encoder against those real exports.
"""
from __future__ import annotations

import secrets
import struct
import uuid
from typing import Any, Callable

import ldap3

from .samba_layout import DOMAIN_DN, ENROLLMENT_SERVICE_DN, PKS_DN, DcError, connect

TEMPLATES_DN = f"CN=Certificate Templates,{PKS_DN}"
OID_DN = f"CN=OID,{PKS_DN}"
ENROLL = "0e10c968-78fb-11d2-90d4-00c04f79dc55"
"""The Certificate-Enrollment extended right (MS-CRTD 2.5.2.1, the Security tab's Enroll)."""
READ = "RPLCLORC"
"""The Security tab's Read on a directory object: read property, list, list object, read control."""

DAY_100NS = 24 * 3600 * 10_000_000
PERIOD_DAYS = {"day": 1, "week": 7, "year": 365}
"""The console's units: a year of 365 days (5 years = 1825 days in GenericWebServer.ldf), a week of 7."""
KEY_USAGE_BITS = {"digitalSignature": 0x80, "nonRepudiation": 0x40, "keyEncipherment": 0x20,
                  "dataEncipherment": 0x10, "keyAgreement": 0x08, "keyCertSign": 0x04, "cRLSign": 0x02}
"""The first byte of the KeyUsage BIT STRING (RFC 5280 4.2.1.3: bit 0 is 0x80); the second byte stays 0."""
EKU_OIDS = {"serverAuth": "1.3.6.1.5.5.7.3.1", "clientAuth": "1.3.6.1.5.5.7.3.2"}

SHIPPED = {  # shared/reference/adcs-ndes.md: the shipped templates a duplicate starts from
    "ssl": {"flags": 66113, "name_flag": 1, "enrollment_flag": 0,
            "csps": ["2,Microsoft DH SChannel Cryptographic Provider", "1,Microsoft RSA SChannel Cryptographic Provider"]},
    "client": {"flags": 66106, "name_flag": -1509949440, "enrollment_flag": 41,
               "csps": ["2,Microsoft Base Cryptographic Provider v1.0",
                        "1,Microsoft Enhanced Cryptographic Provider v1.0"]},
}
IS_DEFAULT, IS_MODIFIED = 0x10000, 0x20000
SUPPLIES_SUBJECT, PUBLISH_TO_DS = 0x1, 0x8
PRIVATE_KEY_V2, EXPORTABLE = 0x01010000, 0x10


def period_bytes(value: int, unit: str) -> bytes:
    """A template period as AD stores it: minus the number of 100 ns intervals, 8 bytes little-endian."""
    if unit not in PERIOD_DAYS:
        raise ValueError(f"the lab's hand-build encodes periods in {', '.join(PERIOD_DAYS)}, not {unit}")
    return struct.pack("<q", -value * PERIOD_DAYS[unit] * DAY_100NS)


def key_usage_bytes(names: list[str]) -> bytes:
    first = 0
    for n in names:
        first |= KEY_USAGE_BITS[n]
    return bytes([first, 0])


def duplicate(kind: str, t: Any, oid: str) -> dict[str, Any]:
    """The attributes of a console duplicate of the shipped template with the settings `t` (ndes:templates.<kind>)."""
    base = SHIPPED[kind]
    ekus = [EKU_OIDS[e] for e in t.extended_key_usage]
    validity, renewal = t.validity_period, t.renewal
    enrollment = (base["enrollment_flag"] & ~PUBLISH_TO_DS) | (PUBLISH_TO_DS if t.publish_to_ad else 0)
    return {
        "displayName": t.display, "flags": base["flags"] & ~IS_DEFAULT | IS_MODIFIED, "revision": 100,
        "msPKI-Template-Schema-Version": 2, "msPKI-Template-Minor-Revision": 0, "msPKI-Cert-Template-OID": oid,
        "pKIDefaultKeySpec": 1, "pKIMaxIssuingDepth": 0, "pKICriticalExtensions": ["2.5.29.15"],
        "pKIKeyUsage": key_usage_bytes(list(t.key_usage)), "pKIExtendedKeyUsage": ekus,
        "msPKI-Certificate-Application-Policy": ekus, "pKIDefaultCSPs": base["csps"],
        "pKIExpirationPeriod": period_bytes(validity.value, validity.unit),
        "pKIOverlapPeriod": period_bytes(renewal.value, renewal.unit),
        "msPKI-Certificate-Name-Flag": SUPPLIES_SUBJECT if t.enrollee_supplies_subject else base["name_flag"],
        "msPKI-Enrollment-Flag": enrollment,
        "msPKI-Private-Key-Flag": PRIVATE_KEY_V2 | (EXPORTABLE if t.exportable else 0),
        "msPKI-Minimal-Key-Size": t.minimum_key_size, "msPKI-RA-Signature": 0,
    }


def _ok(conn, done: bool, what: str) -> None:
    if not done:
        raise DcError(f"hand-build: {what} failed: {conn.result.get('description')} {conn.result.get('message', '')}")


def _one(conn, base: str, filt: str, attrs: list[str], scope=ldap3.SUBTREE):
    conn.search(base, filt, scope, attributes=attrs)
    return conn.entries[0] if conn.entries else None


def _sid(conn, sam: str) -> str:
    from ldap3.protocol.formatters.formatters import format_sid
    e = _one(conn, DOMAIN_DN, f"(sAMAccountName={ldap3.utils.conv.escape_filter_chars(sam)})",
             ["objectSid"])
    if e is None:
        raise DcError(f"hand-build: no account {sam} to grant Read + Enroll")
    return format_sid(e.objectSid.raw_values[0])


def build(cfg, ndes_fqdn: str, echo: Callable[[str], None]) -> None:
    from .samba_delegation import _dsacl_set

    sa, d = cfg.service_account, cfg.domain
    domain_dn = DOMAIN_DN
    conn = connect()
    try:
        if _one(conn, domain_dn, f"(sAMAccountName={ldap3.utils.conv.escape_filter_chars(sa.name)})", ["cn"]) is None:
            dn = f"CN={ldap3.utils.dn.escape_rdn(sa.name)},{sa.ou or f'CN=Users,{domain_dn}'}"
            _ok(conn, conn.add(dn, ["top", "person", "organizationalPerson", "user"], {
                "sAMAccountName": sa.name, "userPrincipalName": f"{sa.name}@{d.dns_name}",
                "description": sa.description or "", "userAccountControl": str(0x200 | 0x10000),
                "unicodePwd": f'"{sa.password.get_secret_value()}"'.encode("utf-16-le")}), f"creating {sa.name}")
            _ok(conn, conn.modify(dn, {"servicePrincipalName": [(ldap3.MODIFY_ADD, [f"http/{ndes_fqdn}"])]}),
                f"setspn -s http/{ndes_fqdn}")
            echo(f"account {d.logon_name(sa.name)} with SPN http/{ndes_fqdn}")
        base_oid = _one(conn, OID_DN, "(objectClass=*)", ["msPKI-Cert-Template-OID"], ldap3.BASE)
        if base_oid is None or not base_oid["msPKI-Cert-Template-OID"].value:
            raise DcError(f"hand-build: {OID_DN} has no forest OID (is the lab's AD CS container provisioned?)")
        for kind, t, who in (("ssl", cfg.templates.ssl, f"{ndes_fqdn.split('.')[0].upper()}$"),
                             ("client", cfg.templates.client, sa.name)):
            dn = f"CN={ldap3.utils.dn.escape_rdn(t.name)},{TEMPLATES_DN}"
            if _one(conn, dn, "(objectClass=pKICertificateTemplate)", ["cn"], ldap3.BASE) is None:
                oid = f"{base_oid['msPKI-Cert-Template-OID'].value}.{secrets.randbelow(16_777_215) + 1}." \
                      f"{secrets.randbelow(16_777_215) + 1}"
                _ok(conn, conn.add(dn, ["top", "pKICertificateTemplate"], duplicate(kind, t, oid)),
                    f"creating template {t.name}")
                # the console's OID object: cn '<last arc>.<32 hex>' as exports show (the hex is random here)
                _ok(conn, conn.add(f"CN={oid.rsplit('.', 1)[1]}.{uuid.uuid4().hex.upper()},{OID_DN}",
                                   ["top", "msPKI-Enterprise-Oid"], {"flags": "1", "displayName": t.display,
                                                                    "msPKI-Cert-Template-OID": oid}),
                    f"creating the OID object of {t.name}")
                echo(f"template {t.name} ({'Web Server' if kind == 'ssl' else 'User'} duplicate)")
            sid = _sid(conn, who)
            _dsacl_set(dn, f"(A;;{READ};;;{sid})(OA;;CR;{ENROLL};;{sid})")
            issued = _one(conn, ENROLLMENT_SERVICE_DN, "(objectClass=*)", ["certificateTemplates"], ldap3.BASE)
            if t.name not in (issued["certificateTemplates"].values if issued else []):
                _ok(conn, conn.modify(ENROLLMENT_SERVICE_DN, {"certificateTemplates": [(ldap3.MODIFY_ADD, [t.name])]}),
                    f"issuing {t.name}")
            echo(f"  Read + Enroll for {who}; issued on {cfg.ca.common_name}")
    finally:
        conn.unbind()


def clean(cfg, echo: Callable[[str], None]) -> None:
    domain_dn = DOMAIN_DN
    conn = connect()
    try:
        for t in (cfg.templates.ssl, cfg.templates.client):
            issued = _one(conn, ENROLLMENT_SERVICE_DN, "(objectClass=*)", ["certificateTemplates"], ldap3.BASE)
            if issued is not None and t.name in issued["certificateTemplates"].values:
                _ok(conn, conn.modify(ENROLLMENT_SERVICE_DN, {
                    "certificateTemplates": [(ldap3.MODIFY_DELETE, [t.name])]}), f"un-issuing {t.name}")
            dn = f"CN={ldap3.utils.dn.escape_rdn(t.name)},{TEMPLATES_DN}"
            live = _one(conn, dn, "(objectClass=pKICertificateTemplate)", ["msPKI-Cert-Template-OID"], ldap3.BASE)
            if live is None:
                continue
            oid = live["msPKI-Cert-Template-OID"].value
            _ok(conn, conn.delete(dn), f"deleting template {t.name}")
            if oid:
                conn.search(OID_DN, f"(msPKI-Cert-Template-OID={ldap3.utils.conv.escape_filter_chars(oid)})",
                            ldap3.LEVEL, attributes=["cn"])
                for e in list(conn.entries):
                    _ok(conn, conn.delete(e.entry_dn), f"deleting the OID object of {t.name}")
            echo(f"removed template {t.name}")
        name = cfg.service_account.name
        e = _one(conn, domain_dn, f"(sAMAccountName={ldap3.utils.conv.escape_filter_chars(name)})", ["cn"])
        if e is not None:
            _ok(conn, conn.delete(e.entry_dn), f"deleting {name}")
            echo(f"removed account {name}")
    finally:
        conn.unbind()
