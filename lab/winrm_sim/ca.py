"""The simulated Enterprise CA ("Lab Issuing CA" on ca1) and what it reads from the real lab Samba.

It issues real X.509 certificates (``cryptography``) signed with ``lab.pki.ensure_enterprise_ca()``, and it is
honest about what a Windows Enterprise CA refuses:

- the CA service must be running on the CA host (its simulated state), else "The RPC server is unavailable";
- the requester must hold Enroll (0x200, "Request Certificates") in the CA's own security descriptor;
- the template must be listed in ``certificateTemplates`` of the CA's pKIEnrollmentService object in Samba,
  else "The requested certificate template is not supported by this CA" (CERTSRV_E_UNSUPPORTED_CERT_TYPE);
- the template's DACL (``nTSecurityDescriptor`` read with the SD-flags control) must grant the requester's
  token (its SID, its tokenGroups, Everyone, Authenticated Users) the Enroll extended right, else
  "Denied by Policy Module ... permissions" (CERTSRV_E_TEMPLATE_DENIED);
- the key must meet ``msPKI-Minimal-Key-Size``; the validity comes from ``pKIExpirationPeriod``; the subject
  comes from the request only when the template says "Supply in the request" (msPKI-Certificate-Name-Flag 1),
  otherwise from the requester's AD object (dNSHostName), as a Windows CA builds it.

The NDES RA certificates (EnrollmentAgentOffline, CEPEncryption: shipped v1 templates the NDES installer
publishes on the CA as an Enterprise Admin) are issued without the Samba check: a fresh Samba forest holds no
shipped templates. Their validity is the shipped two years.
"""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import ssl
import struct
import uuid
from dataclasses import dataclass
from typing import Any, Iterable

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID, ObjectIdentifier

from lab import pki

from . import clock

ENROLL_GUID = uuid.UUID("0e10c968-78fb-11d2-90d4-00c04f79dc55")
CA_ENROLL = 0x200
CA_READ = 0x100
ADS_RIGHT_DS_CONTROL_ACCESS = 0x100
GENERIC_ALL = 0x10000000
EVERYONE = "S-1-1-0"
AUTHENTICATED_USERS = "S-1-5-11"
ADMINISTRATORS = "S-1-5-32-544"
TEMPLATE_NAME_V1_OID = ObjectIdentifier("1.3.6.1.4.1.311.20.2")   # szOID_ENROLL_CERTTYPE_EXTENSION (BMPString)
TEMPLATE_INFO_V2_OID = ObjectIdentifier("1.3.6.1.4.1.311.21.7")   # szOID_CERTIFICATE_TEMPLATE
RA_TEMPLATES = ("EnrollmentAgentOffline", "CEPEncryption")
RA_VALIDITY = dt.timedelta(days=730)


class CaRefused(Exception):
    """The CA refused the request; `message` is what certreq / Get-Certificate would print."""

    def __init__(self, message: str, category: str = "PermissionDenied"):
        super().__init__(message)
        self.message = message
        self.category = category


# ---------------------------------------------------------------------------------------- security descriptors
@dataclass(frozen=True)
class Ace:
    type: int          # 0 allow, 1 deny, 5 allow-object, 6 deny-object
    flags: int
    mask: int
    sid: str
    object_type: uuid.UUID | None = None


def sid_from_bytes(raw: bytes, offset: int = 0) -> tuple[str, int]:
    rev, count = raw[offset], raw[offset + 1]
    auth = int.from_bytes(raw[offset + 2:offset + 8], "big")
    subs = struct.unpack_from(f"<{count}I", raw, offset + 8)
    return f"S-{rev}-{auth}" + "".join(f"-{s}" for s in subs), 8 + 4 * count


def parse_dacl(sd: bytes) -> list[Ace]:
    """The DACL entries of a self-relative security descriptor (MS-DTYP 2.4.6)."""
    if len(sd) < 20:
        return []
    dacl_off = struct.unpack_from("<I", sd, 16)[0]
    if not dacl_off:
        return []
    count = struct.unpack_from("<H", sd, dacl_off + 4)[0]
    pos, aces = dacl_off + 8, []
    for _ in range(count):
        a_type, a_flags, a_size = struct.unpack_from("<BBH", sd, pos)
        body = pos + 4
        mask = struct.unpack_from("<I", sd, body)[0]
        obj = None
        if a_type in (5, 6):
            oflags = struct.unpack_from("<I", sd, body + 4)[0]
            p = body + 8
            if oflags & 1:
                obj = uuid.UUID(bytes_le=bytes(sd[p:p + 16]))
                p += 16
            if oflags & 2:
                p += 16
            sid, _ = sid_from_bytes(sd, p)
        elif a_type in (0, 1):
            sid, _ = sid_from_bytes(sd, body + 4)
        else:
            pos += a_size
            continue
        aces.append(Ace(a_type, a_flags, mask, sid, obj))
        pos += a_size
    return aces


def may_enroll(aces: Iterable[Ace], token: set[str]) -> bool | None:
    """True/False from the first ACE that decides the Enroll extended right for `token`; None when none does."""
    for ace in aces:
        if ace.flags & 0x08 or ace.sid not in token:  # INHERIT_ONLY ACEs do not apply to the object itself
            continue
        if ace.type in (0, 1):
            hit = bool(ace.mask & (ADS_RIGHT_DS_CONTROL_ACCESS | GENERIC_ALL))
        else:
            hit = bool(ace.mask & ADS_RIGHT_DS_CONTROL_ACCESS) and ace.object_type in (None, ENROLL_GUID)
        if hit:
            return ace.type in (0, 5)
    return None


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


# ---------------------------------------------------------------------------------------- issuing
def issuing_ca() -> tuple[x509.Certificate, rsa.RSAPrivateKey]:
    cert_path, key_path = pki.ensure_enterprise_ca()
    cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    key = serialization.load_pem_private_key(key_path.read_bytes(), password=None,
                                             unsafe_skip_rsa_key_validation=True)
    return cert, key  # type: ignore[return-value]


def root_ca() -> x509.Certificate:
    cert_path, _ = pki.ensure_ca()
    return x509.load_pem_x509_certificate(cert_path.read_bytes())


def new_key(bits: int) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def key_pem(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def cert_pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def thumbprint(cert: x509.Certificate) -> str:
    return hashlib.sha1(cert.public_bytes(serialization.Encoding.DER)).hexdigest().upper()


def cert_facts(cert: x509.Certificate) -> dict[str, Any]:
    """What the scripts report for a certificate (the same keys the PowerShell side builds)."""
    der = cert.public_bytes(serialization.Encoding.DER)
    try:
        sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        dns = [n.lower() for n in sans.get_values_for_type(x509.DNSName)]
    except x509.ExtensionNotFound:
        dns = []
    cns = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return {
        "thumbprint": thumbprint(cert),
        "subject": windows_subject(cert.subject),
        "commonName": str(cns[0].value) if cns else "",
        "issuer": windows_subject(cert.issuer),
        "dnsNames": dns,
        "notBefore": cert.not_valid_before_utc.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "notAfter": cert.not_valid_after_utc.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "derBase64": base64.b64encode(der).decode(),
        "pem": cert_pem(cert),
    }


_WIN_NAMES = {NameOID.COMMON_NAME: "CN", NameOID.ORGANIZATION_NAME: "O", NameOID.ORGANIZATIONAL_UNIT_NAME: "OU",
              NameOID.LOCALITY_NAME: "L", NameOID.STATE_OR_PROVINCE_NAME: "S", NameOID.COUNTRY_NAME: "C",
              NameOID.EMAIL_ADDRESS: "E"}


def windows_subject(name: x509.Name) -> str:
    """X509Certificate2.Subject order: most specific first ("CN=x, O=y, C=US")."""
    parts = []
    for rdn in reversed(list(name.rdns)):
        for a in rdn:
            parts.append(f"{_WIN_NAMES.get(a.oid, a.oid.dotted_string)}={a.value}")
    return ", ".join(parts)


def _bmp(text: str) -> bytes:
    body = text.encode("utf-16-be")
    return b"\x1e" + _der_len(len(body)) + body


def _der_len(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(raw)]) + raw


def _der_int(v: int) -> bytes:
    raw = v.to_bytes(max(1, (v.bit_length() + 8) // 8), "big")
    return b"\x02" + _der_len(len(raw)) + raw


def _template_v2_ext(oid: str, major: int, minor: int) -> bytes:
    """szOID_CERTIFICATE_TEMPLATE: SEQUENCE { templateID OID, majorVersion INTEGER, minorVersion INTEGER }."""
    body = _oid_der(oid) + _der_int(major) + _der_int(minor)
    return b"\x30" + _der_len(len(body)) + body


def _oid_der(dotted: str) -> bytes:
    nums = [int(x) for x in dotted.split(".")]
    out = bytes([40 * nums[0] + nums[1]])
    for n in nums[2:]:
        chunk = [n & 0x7F]
        n >>= 7
        while n:
            chunk.append(0x80 | (n & 0x7F))
            n >>= 7
        out += bytes(reversed(chunk))
    return b"\x06" + _der_len(len(out)) + out


def _ku(raw: bytes) -> x509.KeyUsage:
    b0 = raw[0] if raw else 0xA0
    b1 = raw[1] if len(raw) > 1 else 0
    return x509.KeyUsage(
        digital_signature=bool(b0 & 0x80), content_commitment=bool(b0 & 0x40), key_encipherment=bool(b0 & 0x20),
        data_encipherment=bool(b0 & 0x10), key_agreement=bool(b0 & 0x08), key_cert_sign=bool(b0 & 0x04),
        crl_sign=bool(b0 & 0x02), encipher_only=bool(b0 & 0x01) and bool(b0 & 0x08),
        decipher_only=bool(b1 & 0x80) and bool(b0 & 0x08))


def _sign(subject: x509.Name, public_key, validity: dt.timedelta, *, sans: list[str], ku: bytes, ekus: list[str],
          extra: list[x509.Extension]) -> x509.Certificate:
    ca_cert, ca_key = issuing_ca()
    now = clock.now()  # the CA's clock: the lab clock (clock.py)
    not_after = min(now + validity, ca_cert.not_valid_after_utc)
    b = (x509.CertificateBuilder().subject_name(subject).issuer_name(ca_cert.subject).public_key(public_key)
         .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=10))
         .not_valid_after(not_after)
         .add_extension(_ku(ku), critical=True)
         .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
         .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False))
    if ekus:
        b = b.add_extension(x509.ExtendedKeyUsage([ObjectIdentifier(o) for o in ekus]), critical=False)
    if sans:
        b = b.add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in sans]), critical=False)
    for ext in extra:
        b = b.add_extension(ext.value, critical=ext.critical)
    return b.sign(ca_key, hashes.SHA256())


def _unrecognized(oid: ObjectIdentifier, value: bytes) -> x509.Extension:
    return x509.Extension(oid, False, x509.UnrecognizedExtension(oid, value))


def _cn_subject(cn: str, extra: list[tuple[ObjectIdentifier, str]] = ()) -> x509.Name:  # type: ignore[assignment]
    attrs = [x509.NameAttribute(o, v) for o, v in extra if v] + [x509.NameAttribute(NameOID.COMMON_NAME, cn)]
    return x509.Name(attrs)


def ca_security_allows(ca_state: dict[str, Any], token: set[str]) -> bool:
    """The CA's own security descriptor (the simulated CertSvc\\Configuration\\<CA>\\Security value)."""
    allowed = False
    for ace in ca_state.get("security", []):
        if ace["sid"] in token and ace["mask"] & CA_ENROLL:
            if ace["type"] == "deny":
                return False
            allowed = True
    return allowed


def _check_service(ca_state: dict[str, Any] | None) -> None:
    """CertSvc must run: a stopped CA answers RPC_S_SERVER_UNAVAILABLE."""
    if ca_state is None or ca_state.get("service", {}).get("status") != "Running":
        raise CaRefused("The RPC server is unavailable. 0x800706ba (WIN32: 1722 RPC_S_SERVER_UNAVAILABLE): the "
                        "certification authority service (CertSvc) is not running on the CA", "ConnectionError")


_FIRST_SEEN: dict[str, float] = {}
"""When the simulated CA first saw each template issued (its template cache picks it up `pickup_delay` later)."""


def _authorize(view: "SambaView", conn: Any, ca_state: dict[str, Any] | None, requester_sam: str,
               template_name: str, pickup_delay: float = 0.0) -> tuple[dict[str, Any], "Template"]:
    """The checks a Windows Enterprise CA makes before it reads a request: the requester exists, may request
    certificates on the CA, the template is issued here, exists, and grants the requester Enroll."""
    acct = view.account(conn, requester_sam)
    if acct is None:
        raise CaRefused(f"The requester {requester_sam} is not a security principal in the domain",
                        "ObjectNotFound")
    token = {acct["sid"], *acct["groups"], EVERYONE, AUTHENTICATED_USERS}
    if not ca_security_allows(ca_state, token):
        raise CaRefused("The permissions on this certification authority do not allow the current user to "
                        "enroll for certificates. 0x80094011 (-2146877423 CERTSRV_E_ENROLL_DENIED)")
    if template_name not in view.issued_templates(conn):
        _FIRST_SEEN.pop(template_name.lower(), None)
        raise CaRefused(f"The requested certificate template is not supported by this CA. 0x80094800 "
                        f"(-2146875392 CERTSRV_E_UNSUPPORTED_CERT_TYPE): template {template_name}",
                        "InvalidArgument")
    import time as _time
    seen = _FIRST_SEEN.setdefault(template_name.lower(), _time.monotonic())
    if _time.monotonic() - seen < pickup_delay:  # issued in AD, not yet in the CA's template cache
        raise CaRefused(f"The requested certificate template is not supported by this CA. 0x80094800 "
                        f"(-2146875392 CERTSRV_E_UNSUPPORTED_CERT_TYPE): template {template_name} (not yet "
                        f"in the CA's template cache)", "InvalidArgument")
    tpl = view.template(conn, template_name)
    if tpl is None:
        raise CaRefused(f"The requested certificate template is not supported by this CA. 0x80094800 "
                        f"(CERTSRV_E_UNSUPPORTED_CERT_TYPE): no template named {template_name} in the forest",
                        "InvalidArgument")
    if may_enroll(tpl.dacl, token) is not True:
        raise CaRefused(f"Denied by Policy Module 0x80094012, The permissions on the certificate template do "
                        f"not allow the current user to enroll for this type of certificate "
                        f"(CERTSRV_E_TEMPLATE_DENIED): {requester_sam} has no Enroll on {template_name}")
    return acct, tpl


def publish_shipped(ca_service: dict[str, Any], templates: Iterable[str], pickup_delay: float = 0.0) -> list[str]:
    """The NDES installer publishes shipped templates (EnrollmentAgentOffline, CEPEncryption) on the CA when its
    list lacks them (CA host state certsvc["shippedTemplates"]: name -> when published, wall clock); returns those
    the CA does not offer yet: published less than `pickup_delay` ago (its template cache has not picked them up).
    An admin who unpublishes them (certutil -SetCATemplates -Name) removes them from that list."""
    import time as _time
    published = ca_service.setdefault("shippedTemplates", {})
    now = _time.time()
    for name in templates:
        published.setdefault(name, now)
    return [name for name in templates if now - float(published[name]) < pickup_delay]


def request_from_template(view: SambaView, ca_state: dict[str, Any] | None, requester_sam: str, template_name: str,
                          subject_cn: str, dns_names: list[str], key_size: int | None = None,
                          pickup_delay: float = 0.0) -> tuple[x509.Certificate, rsa.RSAPrivateKey, Template]:
    """Enroll `requester_sam` (e.g. NDES1$) for `template_name` as a Windows Enterprise CA would; raises CaRefused."""
    _check_service(ca_state)
    conn = view.connect()
    try:
        acct, tpl = _authorize(view, conn, ca_state, requester_sam, template_name, pickup_delay)
        if key_size is None:  # the client takes the template's minimum (and at least 2048)
            key_size = max(2048, tpl.min_key_size)
        if key_size < tpl.min_key_size:
            raise CaRefused(f"Denied by Policy Module 0x80094811, The public key does not meet the minimum size "
                            f"required by the specified certificate template ({tpl.min_key_size} bits)",
                            "InvalidArgument")
        if not tpl.supply_in_request:  # the CA builds the subject from AD, ignoring the request's names
            host = acct["dnsHostName"] or requester_sam.rstrip("$").lower()
            subject_cn, dns_names = host, [host]
    finally:
        conn.unbind()
    key = new_key(key_size)
    extra = []
    if tpl.oid:
        extra.append(_unrecognized(TEMPLATE_INFO_V2_OID, _template_v2_ext(tpl.oid, tpl.major, tpl.minor)))
    cert = _sign(_cn_subject(subject_cn), key.public_key(), tpl.validity, sans=dns_names, ku=tpl.key_usage,
                 ekus=tpl.ekus, extra=extra)
    return cert, key, tpl


RA_PROFILE = {  # shipped v1 templates (MS-CRTD): key usage, EKU
    "EnrollmentAgentOffline": (b"\x80\x00", ["1.3.6.1.4.1.311.20.2.1"]),
    "CEPEncryption": (b"\x20\x00", ["1.3.6.1.4.1.311.20.2.1"]),
}


def issue_ra(template: str, ra: dict[str, str | None], key_size: int) -> tuple[x509.Certificate, rsa.RSAPrivateKey]:
    """An NDES RA certificate (EnrollmentAgentOffline or CEPEncryption) with the RA details as its subject."""
    ku, ekus = RA_PROFILE[template]
    extra_names = [(NameOID.COUNTRY_NAME, ra.get("country") or ""), (NameOID.STATE_OR_PROVINCE_NAME, ra.get("state") or ""),
                   (NameOID.LOCALITY_NAME, ra.get("city") or ""), (NameOID.ORGANIZATION_NAME, ra.get("company") or ""),
                   (NameOID.ORGANIZATIONAL_UNIT_NAME, ra.get("department") or ""),
                   (NameOID.EMAIL_ADDRESS, ra.get("email") or "")]
    return issue_ra_as(template, _cn_subject(str(ra["name"]), extra_names), key_size)


def issue_ra_as(template: str, subject: x509.Name, key_size: int) -> tuple[x509.Certificate, rsa.RSAPrivateKey]:
    """An RA certificate from `template` with exactly `subject` (a renewal copies the old certificate's)."""
    ku, ekus = RA_PROFILE[template]
    key = new_key(key_size)
    cert = _sign(subject, key.public_key(), RA_VALIDITY, sans=[], ku=ku, ekus=ekus,
                 extra=[_unrecognized(TEMPLATE_NAME_V1_OID, _bmp(template))])
    return cert, key


def template_name_v1(cert: x509.Certificate) -> str | None:
    try:
        raw = cert.extensions.get_extension_for_oid(TEMPLATE_NAME_V1_OID).value.value  # type: ignore[attr-defined]
    except x509.ExtensionNotFound:
        return None
    return raw[2:].decode("utf-16-be") if raw[:1] == b"\x1e" and raw[1] < 0x80 else None


def issue_from_csr(view: SambaView, ca_state: dict[str, Any] | None, requester_sam: str, template_name: str,
                   csr: x509.CertificateSigningRequest) -> tuple[x509.Certificate, Template]:
    """Submit a PKCS #10 request for `template_name` as `requester_sam` (e.g. NDES's service account), as a
    Windows Enterprise CA decides it: CertSvc running, Request Certificates on the CA, the template issued in AD
    and granting the requester Enroll, the request's key at least msPKI-Minimal-Key-Size. The certificate is the
    template's (validity, key usage, EKUs, template extension); subject and SANs come from the request when the
    template says "Supply in the request", else from the requester's AD object. Raises CaRefused."""
    _check_service(ca_state)
    if not csr.is_signature_valid:
        raise CaRefused("The request signature is invalid. 0x80094809 (CERTSRV_E_BAD_REQUEST_SIGNATURE)",
                        "InvalidData")
    conn = view.connect()
    try:
        acct, tpl = _authorize(view, conn, ca_state, requester_sam, template_name)
        public_key = csr.public_key()
        size = getattr(public_key, "key_size", 0)
        if size < tpl.min_key_size:
            raise CaRefused(f"Denied by Policy Module 0x80094811, The public key does not meet the minimum size "
                            f"required by the specified certificate template ({tpl.min_key_size} bits; the "
                            f"request's key has {size})", "InvalidArgument")
    finally:
        conn.unbind()
    if tpl.supply_in_request:
        subject = csr.subject
        try:
            sans = list(csr.extensions.get_extension_for_class(x509.SubjectAlternativeName).value)
        except x509.ExtensionNotFound:
            sans = []
    else:  # the CA builds the subject from the requester's directory object
        subject, sans = x509.Name.from_rfc4514_string(acct["dn"]), []
    ca_cert, ca_key = issuing_ca()
    now = clock.now()  # the CA's clock: the lab clock (clock.py)
    b = (x509.CertificateBuilder().subject_name(subject).issuer_name(ca_cert.subject).public_key(public_key)
         .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=10))
         .not_valid_after(min(now + tpl.validity, ca_cert.not_valid_after_utc))
         .add_extension(_ku(tpl.key_usage), critical=True)
         .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
         .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False))
    if tpl.ekus:
        b = b.add_extension(x509.ExtendedKeyUsage([ObjectIdentifier(o) for o in tpl.ekus]), critical=False)
    if sans:
        b = b.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    if tpl.oid:
        ext = _unrecognized(TEMPLATE_INFO_V2_OID, _template_v2_ext(tpl.oid, tpl.major, tpl.minor))
        b = b.add_extension(ext.value, critical=False)
    return b.sign(ca_key, hashes.SHA256()), tpl
