"""The lab's Samba AD DC, as a client of the product sees it: LDAPS verified with the lab CA, SIMPLE bind."""

from __future__ import annotations

import datetime as dt
import socket
import ssl

import ldap3
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID
from ldap3.core.exceptions import LDAPSocketOpenError
from ldap3.protocol.formatters.formatters import format_sid

from lab import pki

pytestmark = pytest.mark.slow


def _server(dc, ca_file: str) -> ldap3.Server:
    tls = ldap3.Tls(validate=ssl.CERT_REQUIRED, ca_certs_file=ca_file)
    return ldap3.Server(dc.host, port=dc.port, use_ssl=True, tls=tls, connect_timeout=5, get_info=ldap3.NONE)


def _bind(dc, ca_file: str) -> ldap3.Connection:
    conn = ldap3.Connection(
        _server(dc, ca_file), user=dc.bind_user, password=dc.bind_password, authentication=ldap3.SIMPLE
    )
    assert conn.bind(), conn.result
    return conn


def _other_ca(tmp_path) -> str:
    """A CA the DC's certificate does not chain to."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Not The Lab CA")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    path = tmp_path / "other-ca.pem"
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return str(path)


def test_simple_bind_over_verified_ldaps_reads_the_root_dse(samba_dc):
    assert samba_dc.ldap_url == f"ldaps://{samba_dc.host}:{samba_dc.port}"
    conn = _bind(samba_dc, samba_dc.ca_bundle)
    try:
        # The session is TLS and the peer certificate was checked (getpeercert is empty when it was not).
        peer = conn.socket.getpeercert()
        assert peer and ("IP Address", samba_dc.host) in peer["subjectAltName"]
        assert conn.search(
            "", "(objectClass=*)", ldap3.BASE,
            attributes=["defaultNamingContext", "configurationNamingContext", "dnsHostName", "supportedLDAPVersion"],
        )  # fmt: skip
        root = conn.entries[0]
        assert root.defaultNamingContext.value == samba_dc.domain_dn
        assert root.configurationNamingContext.value == samba_dc.config_dn
        assert root.dnsHostName.value.lower() == samba_dc.dc_fqdn
        assert "3" in [str(v) for v in root.supportedLDAPVersion.values]
        # Bound with the implicit UPN of the domain's built-in Administrator (RID 500); Samba has no WhoAmI.
        assert conn.bound
        assert conn.search(samba_dc.domain_dn, "(sAMAccountName=Administrator)", attributes=["objectSid"])
        assert [format_sid(e.objectSid.raw_values[0]).endswith("-500") for e in conn.entries] == [True]
    finally:
        conn.unbind()


def test_verification_is_really_on(samba_dc, tmp_path):
    # A CA bundle that does not hold the lab CA: the TLS handshake fails before any bind.
    conn = ldap3.Connection(
        _server(samba_dc, _other_ca(tmp_path)),
        user=samba_dc.bind_user, password=samba_dc.bind_password, authentication=ldap3.SIMPLE,
    )  # fmt: skip
    with pytest.raises(LDAPSocketOpenError, match="CERTIFICATE_VERIFY_FAILED"):
        conn.bind()
    # An empty bundle: nothing to trust, nothing connects.
    empty = tmp_path / "empty.pem"
    empty.write_text("")
    with pytest.raises(LDAPSocketOpenError):
        ldap3.Connection(_server(samba_dc, str(empty)), user=samba_dc.bind_user,
                         password=samba_dc.bind_password).bind()  # fmt: skip
    # Names are checked too: the right CA but a name the certificate does not carry fails.
    ctx = ssl.create_default_context(cafile=samba_dc.ca_bundle)
    with socket.create_connection((samba_dc.host, samba_dc.port), timeout=5) as sock:
        with pytest.raises(ssl.SSLCertVerificationError, match="mismatch|doesn't match"):
            ctx.wrap_socket(sock, server_hostname="not-the-dc.example.test")
    # ...and the names it does carry pass.
    for name in (samba_dc.host, "localhost", samba_dc.dc_fqdn):
        with socket.create_connection((samba_dc.host, samba_dc.port), timeout=5) as sock:
            with ctx.wrap_socket(sock, server_hostname=name) as tls:
                assert tls.version() in ("TLSv1.2", "TLSv1.3")


def test_a_wrong_password_is_refused(samba_dc):
    conn = ldap3.Connection(
        _server(samba_dc, samba_dc.ca_bundle),
        user=samba_dc.bind_user, password=samba_dc.bind_password + "x", authentication=ldap3.SIMPLE,
    )  # fmt: skip
    assert not conn.bind()
    assert conn.result["description"] == "invalidCredentials"


def test_the_enterprise_ca_enrollment_service_carries_the_issuing_ca_certificate(samba_dc, samba_ldap):
    assert samba_ldap.search(
        samba_dc.enrollment_service_dn, "(objectClass=pKIEnrollmentService)", ldap3.BASE,
        attributes=["cn", "dNSHostName", "cACertificate", "cACertificateDN", "certificateTemplates", "flags"],
    ), samba_ldap.result  # fmt: skip
    entry = samba_ldap.entries[0]
    assert entry.cn.value == samba_dc.enterprise_ca_name == "Lab Issuing CA"
    assert entry.dNSHostName.value == samba_dc.enterprise_ca_host == "ca1.lab.contoso.test"
    [der] = entry.cACertificate.raw_values
    issuing = x509.load_der_x509_certificate(der)
    root = x509.load_pem_x509_certificate(open(samba_dc.ca_bundle, "rb").read())
    assert issuing.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "Lab Issuing CA"
    assert issuing.issuer == root.subject
    root.public_key().verify(issuing.signature, issuing.tbs_certificate_bytes, padding.PKCS1v15(),
                             issuing.signature_hash_algorithm)  # fmt: skip
    assert issuing.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    # The same certificate the simulated CA issues with.
    lab_issuing = x509.load_pem_x509_certificate(pki.ensure_enterprise_ca()[0].read_bytes())
    assert issuing == lab_issuing
    assert entry.cACertificateDN.value == "CN=Lab Issuing CA, O=NDES lab"
    # Issued templates are whatever the tests that share this DC published: only their type is fixed here.
    assert all(isinstance(t, str) for t in entry.certificateTemplates.values)


def test_the_public_key_services_containers_exist(samba_dc, samba_ldap):
    pks = f"CN=Public Key Services,CN=Services,{samba_dc.config_dn}"
    for cn in ("Certificate Templates", "OID", "Enrollment Services", "AIA", "CDP", "KRA", "Certification Authorities"):
        assert samba_ldap.search(f"CN={cn},{pks}", "(objectClass=*)", ldap3.BASE), (cn, samba_ldap.result)
    # The schema knows the classes the product writes.
    schema = f"CN=Schema,{samba_dc.config_dn}"
    for cls in ("pKICertificateTemplate", "msPKI-Enterprise-Oid", "pKIEnrollmentService"):
        assert samba_ldap.search(schema, f"(&(objectClass=classSchema)(lDAPDisplayName={cls}))", ldap3.LEVEL)
        assert len(samba_ldap.entries) == 1, cls


def test_the_lab_hosts_are_joined(samba_dc, samba_ldap):
    for name, fqdn in [("NDES1", "ndes1.lab.contoso.test"), ("NDES2", "ndes2.lab.contoso.test"),
                       ("CA1", "ca1.lab.contoso.test")]:  # fmt: skip
        assert samba_ldap.search(
            f"CN=Computers,{samba_dc.domain_dn}", f"(sAMAccountName={name}$)", ldap3.LEVEL,
            attributes=["dNSHostName", "userAccountControl", "servicePrincipalName"],
        )  # fmt: skip
        [entry] = samba_ldap.entries
        assert entry.dNSHostName.value == fqdn
        assert int(entry.userAccountControl.value) & 0x1000  # WORKSTATION_TRUST_ACCOUNT
        # SPNs compare case-insensitively (setspn, the KDC); Samba rewrites host/ SPNs in lower case when
        # dNSHostName is written again, as Windows' validated write does.
        assert f"host/{fqdn}" in [s.lower() for s in entry.servicePrincipalName.values]
    assert samba_ldap.search(f"CN=Cert Publishers,CN=Users,{samba_dc.domain_dn}", "(objectClass=group)",
                             ldap3.BASE, attributes=["member"])  # fmt: skip
    assert f"CN=CA1,CN=Computers,{samba_dc.domain_dn}" in samba_ldap.entries[0].member.values
