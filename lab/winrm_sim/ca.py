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

The pieces live by concern beside this module (ca_security.py: who may enroll; ca_samba.py: what the CA reads
from Samba; ca_x509.py: keys, certificates and their facts); this module issues, and re-exports them so callers
use `lab.winrm_sim.ca` alone.
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Iterable

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID, ObjectIdentifier

from . import clock
from .ca_security import (ENROLL_GUID, CA_ENROLL, CA_READ, ADS_RIGHT_DS_CONTROL_ACCESS, GENERIC_ALL, EVERYONE,
                          AUTHENTICATED_USERS, ADMINISTRATORS, CaRefused, Ace, sid_from_bytes, parse_dacl, may_enroll,
                          ca_security_allows)
from .ca_samba import SambaView, Template, _sid_value  # noqa: F401 - re-exported
from .ca_x509 import (TEMPLATE_NAME_V1_OID, TEMPLATE_INFO_V2_OID, issuing_ca, root_ca, new_key, key_pem, cert_pem,
                      thumbprint, cert_facts, windows_subject, _bmp, _template_v2_ext, _ku, _sign, _unrecognized,
                      _cn_subject, template_name_v1, _der_int, _der_len, _oid_der, _WIN_NAMES)  # noqa: F401


RA_TEMPLATES = ("EnrollmentAgentOffline", "CEPEncryption")


RA_VALIDITY = dt.timedelta(days=730)


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
