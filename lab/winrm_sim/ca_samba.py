"""What the simulated Enterprise CA reads from the real lab Samba: the templates (their settings and DACL), the
CA's pKIEnrollmentService object (which templates it issues), and the requester's token. Used by
lab/winrm_sim/ca.py.
"""
from __future__ import annotations

import datetime as dt
import ssl
import struct
from dataclasses import dataclass
from typing import Any

from .ca_security import CaRefused, Ace, sid_from_bytes, parse_dacl


# ---------------------------------------------------------------------------------------- the lab's Samba
@dataclass(frozen=True)
class Template:
    name: str
    oid: str | None
    validity: dt.timedelta
    min_key_size: int
    supply_in_request: bool
    ekus: list[str]
    key_usage: bytes
    major: int
    minor: int
    dacl: list[Ace]


class SambaView:
    """Read-only LDAPS view of the lab DC (verified with the lab CA), as a CA and a domain member see it."""

    def __init__(self, dc: Any = None):
        if dc is None:
            from lab import samba_dc
            dc = samba_dc.info()
        self.dc = dc

    def _get(self, key: str) -> Any:
        return self.dc[key] if isinstance(self.dc, dict) else getattr(self.dc, key)

    def connect(self):
        import ldap3

        from lab.samba_replica import ca_reads  # the CA's own DC: the lab's second DC when one is assigned

        tls = ldap3.Tls(validate=ssl.CERT_REQUIRED, ca_certs_file=self._get("ca_bundle"))
        server = ldap3.Server(ca_reads() or self._get("host"), port=int(self._get("port")), use_ssl=True, tls=tls,
                              connect_timeout=5, get_info=ldap3.NONE)
        conn = ldap3.Connection(server, user=self._get("bind_user"), password=self._get("bind_password"),
                                authentication=ldap3.SIMPLE, receive_timeout=30, raise_exceptions=False)
        if not conn.bind():
            raise CaRefused(f"The RPC server is unavailable (the lab DC refused the CA's bind: "
                            f"{conn.result.get('description')})", "ConnectionError")
        return conn

    def account(self, conn, sam: str) -> dict[str, Any] | None:
        """objectSid, tokenGroups, dNSHostName and DN of an account by sAMAccountName (NDES1$, svc-ndes)."""
        from ldap3.utils.conv import escape_filter_chars

        conn.search(self._get("domain_dn"), f"(sAMAccountName={escape_filter_chars(sam)})",
                    attributes=["objectSid", "dNSHostName", "userPrincipalName"])
        if not conn.entries:
            return None
        e = conn.entries[0]
        sid = _sid_value(e["objectSid"].raw_values[0])
        conn.search(e.entry_dn, "(objectClass=*)", search_scope="BASE", attributes=["tokenGroups"])
        groups = [_sid_value(v) for v in (conn.entries[0]["tokenGroups"].raw_values if conn.entries else [])]
        dns = e["dNSHostName"].value if "dNSHostName" in e and e["dNSHostName"].value else None
        return {"dn": e.entry_dn, "sid": sid, "groups": groups, "dnsHostName": dns}

    def lookup_sid(self, name: str) -> str | None:
        """DOMAIN\\name or name -> SID (as NTAccount.Translate does through the DC)."""
        sam = name.split("\\", 1)[-1]
        conn = self.connect()
        try:
            acct = self.account(conn, sam)
        finally:
            conn.unbind()
        return acct["sid"] if acct else None

    def check_password(self, sam: str, password: str) -> bool:
        """Does `password` log `sam` on (a SIMPLE bind as the account's DN over the verified LDAPS)?"""
        import ldap3

        conn = self.connect()
        try:
            acct = self.account(conn, sam)
        finally:
            conn.unbind()
        if acct is None:
            return False
        tls = ldap3.Tls(validate=ssl.CERT_REQUIRED, ca_certs_file=self._get("ca_bundle"))
        server = ldap3.Server(self._get("host"), port=int(self._get("port")), use_ssl=True, tls=tls,
                              connect_timeout=5, get_info=ldap3.NONE)
        user = ldap3.Connection(server, user=acct["dn"], password=password, authentication=ldap3.SIMPLE,
                                receive_timeout=30, raise_exceptions=False)
        ok = bool(user.bind())
        if ok:
            user.unbind()
        return ok

    def enrollment_service(self, conn) -> dict[str, str] | None:
        conn.search(self._get("enrollment_service_dn"), "(objectClass=pKIEnrollmentService)", search_scope="BASE",
                    attributes=["cn", "dNSHostName"])
        if not conn.entries:
            return None
        e = conn.entries[0]
        return {"cn": str(e["cn"].value), "dnsHostName": str(e["dNSHostName"].value or "")}

    def issued_templates(self, conn) -> list[str]:
        conn.search(self._get("enrollment_service_dn"), "(objectClass=pKIEnrollmentService)", search_scope="BASE",
                    attributes=["certificateTemplates"])
        if not conn.entries:
            raise CaRefused("The RPC server is unavailable: no Enterprise CA is registered in Active Directory "
                            "(no pKIEnrollmentService object)", "ConnectionError")
        return [str(v) for v in conn.entries[0]["certificateTemplates"].values]

    def template(self, conn, name: str) -> Template | None:
        from ldap3.protocol.microsoft import security_descriptor_control
        from ldap3.utils.conv import escape_filter_chars

        base = f"CN=Certificate Templates,CN=Public Key Services,CN=Services,{self._get('config_dn')}"
        attrs = ["cn", "msPKI-Cert-Template-OID", "pKIExpirationPeriod", "msPKI-Minimal-Key-Size",
                 "msPKI-Certificate-Name-Flag", "pKIExtendedKeyUsage", "pKIKeyUsage", "revision",
                 "msPKI-Template-Minor-Revision", "nTSecurityDescriptor"]
        conn.search(base, f"(&(objectClass=pKICertificateTemplate)(cn={escape_filter_chars(name)}))",
                    search_scope="LEVEL", attributes=attrs, controls=security_descriptor_control(sdflags=0x04))
        if not conn.entries:
            return None
        e = conn.entries[0]

        def first(attr: str, default: Any = None) -> Any:
            vals = e[attr].raw_values if attr in e else []
            return vals[0] if vals else default

        period = first("pKIExpirationPeriod")
        days = dt.timedelta(days=365)
        if period and len(period) == 8:
            days = dt.timedelta(microseconds=-struct.unpack("<q", period)[0] / 10)
        return Template(
            name=str(e["cn"].value),
            oid=first("msPKI-Cert-Template-OID").decode() if first("msPKI-Cert-Template-OID") else None,
            validity=days,
            min_key_size=int(first("msPKI-Minimal-Key-Size", b"0") or 0),
            supply_in_request=bool(int(first("msPKI-Certificate-Name-Flag", b"0")) & 1),
            ekus=[v.decode() for v in (e["pKIExtendedKeyUsage"].raw_values if "pKIExtendedKeyUsage" in e else [])],
            key_usage=first("pKIKeyUsage", b"\xa0\x00"),
            major=int(first("revision", b"100")),
            minor=int(first("msPKI-Template-Minor-Revision", b"0")),
            dacl=parse_dacl(first("nTSecurityDescriptor", b"")),
        )


def _sid_value(raw: bytes | str) -> str:
    if isinstance(raw, str):
        return raw
    return sid_from_bytes(raw)[0]
