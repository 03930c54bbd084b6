"""lab.pki: the lab's root CA, server certificates and simulated Enterprise (issuing) CA."""

from __future__ import annotations

import ipaddress
import os
import stat
import threading

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from lab import pki


@pytest.fixture(autouse=True)
def _private_lab_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("NDES_LAB_DIR", str(tmp_path / "lab"))
    yield tmp_path / "lab"


def _load(path):
    return x509.load_pem_x509_certificate(path.read_bytes())


def _verify(cert: x509.Certificate, issuer: x509.Certificate) -> None:
    assert cert.issuer == issuer.subject
    issuer.public_key().verify(cert.signature, cert.tbs_certificate_bytes, padding.PKCS1v15(), cert.signature_hash_algorithm)
    cert.verify_directly_issued_by(issuer)


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_lab_dir_follows_env(_private_lab_dir):
    assert pki.lab_dir() == _private_lab_dir.resolve()
    assert _private_lab_dir.is_dir()


def test_ca_is_created_once_and_reused():
    cert_path, key_path = pki.ensure_ca()
    first = cert_path.read_bytes()
    assert pki.ensure_ca() == (cert_path, key_path)
    assert cert_path.read_bytes() == first
    ca = _load(cert_path)
    assert ca.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == pki.ROOT_CA_NAME
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is True
    assert ca.public_key().key_size == 2048
    _verify(ca, ca)
    assert _mode(key_path) == 0o600
    assert pki.ca_bundle_path().read_bytes() == first


def test_server_cert_chains_to_the_ca_with_the_requested_sans():
    cert_path, key_path = pki.issue_server_cert("dc1", ["dc1.lab.contoso.test", "localhost"], ["127.0.0.1", "::1"])
    cert = _load(cert_path)
    ca = _load(pki.ca_bundle_path())
    _verify(cert, ca)
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["dc1.lab.contoso.test", "localhost"]
    assert san.get_values_for_type(x509.IPAddress) == [ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("::1")]
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "dc1.lab.contoso.test"
    eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert ExtendedKeyUsageOID.SERVER_AUTH in eku
    assert cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is False
    assert cert.public_key().key_size == 2048
    assert _mode(key_path) == 0o600


def test_default_ip_san_is_loopback():
    cert = _load(pki.issue_server_cert("svc", ["svc.lab.contoso.test"])[0])
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.IPAddress) == [ipaddress.ip_address("127.0.0.1")]


def test_server_cert_is_reused_when_sans_match_and_reissued_when_they_change():
    cert_path, key_path = pki.issue_server_cert("web", ["web.lab.contoso.test"])
    before = (cert_path.read_bytes(), key_path.read_bytes())
    # Same SANs (order and case do not matter): reused as is.
    pki.issue_server_cert("web", ["WEB.lab.contoso.test"], ["127.0.0.1"])
    assert (cert_path.read_bytes(), key_path.read_bytes()) == before
    # Different SANs: a new certificate and key.
    pki.issue_server_cert("web", ["web.lab.contoso.test", "localhost"])
    assert cert_path.read_bytes() != before[0]
    assert key_path.read_bytes() != before[1]
    san = _load(cert_path).extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sorted(san.get_values_for_type(x509.DNSName)) == ["localhost", "web.lab.contoso.test"]


def test_server_cert_is_reissued_when_the_ca_changed():
    cert_path, _ = pki.issue_server_cert("web", ["web.lab.contoso.test"])
    old = cert_path.read_bytes()
    # A new root (its files removed): the old leaf no longer chains, so it is replaced.
    ca_cert, ca_key = pki.ensure_ca()
    ca_cert.unlink()
    ca_key.unlink()
    pki.issue_server_cert("web", ["web.lab.contoso.test"])
    assert cert_path.read_bytes() != old
    _verify(_load(cert_path), _load(pki.ca_bundle_path()))


def test_bad_names_are_refused():
    for bad in ["../x", "", "a/b", "ca", "issuing-ca"]:
        with pytest.raises(ValueError):
            pki.issue_server_cert(bad, ["x.test"])
    with pytest.raises(ValueError):
        pki.issue_server_cert("x", ["x.test"], ["not-an-ip"])


def test_enterprise_ca_is_an_issuing_ca_under_the_root():
    cert_path, key_path = pki.ensure_enterprise_ca()
    issuing = _load(cert_path)
    root = _load(pki.ca_bundle_path())
    _verify(issuing, root)
    assert issuing.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == pki.ISSUING_CA_NAME
    bc = issuing.extensions.get_extension_for_class(x509.BasicConstraints).value
    assert bc.ca is True and bc.path_length == 0
    ku = issuing.extensions.get_extension_for_class(x509.KeyUsage).value
    assert ku.key_cert_sign and ku.crl_sign
    assert _mode(key_path) == 0o600
    assert pki.ensure_enterprise_ca() == (cert_path, key_path)
    assert _load(cert_path) == issuing
    chain = x509.load_pem_x509_certificates(pki.enterprise_ca_chain_path().read_bytes())
    assert chain == [issuing, root]


def test_concurrent_callers_share_one_ca():
    results, errors = [], []

    def work(i):
        try:
            pki.issue_server_cert(f"c{i}", [f"c{i}.test"])
            results.append(pki.ensure_ca()[0].read_bytes())
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(set(results)) == 1
    ca = _load(pki.ca_bundle_path())
    for i in range(6):
        _verify(_load(pki.pki_dir() / f"c{i}.pem"), ca)
