"""The lab's PKI: one root CA, TLS server certificates, and a simulated Enterprise (issuing) CA.

Everything lives under ``<lab_dir>/pki`` (``lab_dir()`` is ``<repo>/.lab`` or ``$NDES_LAB_DIR``) and is
created once, then reused:

- ``ca.pem`` / ``ca.key``            "Lab Root CA" (self-signed). The trust anchor of the whole lab.
- ``ca-bundle.pem``                  what every lab client trusts: the root certificate only.
- ``<name>.pem`` / ``<name>.key``    TLS server certificates signed directly by the root (Samba's LDAPS,
                                     the simulators' HTTPS endpoints).
- ``issuing-ca.pem`` / ``.key``      "Lab Issuing CA", signed by the root: the certificate a Windows
                                     Enterprise CA would hold; the Windows simulator's CA issues with it.
- ``issuing-ca-chain.pem``           issuing CA + root, for a server that presents a certificate issued by
                                     the issuing CA (send leaf + this chain; clients trust the root only).

Private keys are RSA 2048 and written 0600. Several processes may call these functions at once: every
creation happens under an exclusive ``flock`` on ``pki/.lock`` and files are replaced atomically.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import fcntl
import ipaddress
import os
import re
import tempfile
from pathlib import Path
from typing import Iterable, Iterator, Sequence

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

__all__ = [
    "lab_dir",
    "pki_dir",
    "ensure_ca",
    "ca_bundle_path",
    "issue_server_cert",
    "ensure_enterprise_ca",
    "enterprise_ca_chain_path",
    "ROOT_CA_NAME",
    "ISSUING_CA_NAME",
]

ROOT_CA_NAME = "Lab Root CA"
ISSUING_CA_NAME = "Lab Issuing CA"
_ORG = "NDES lab"

_KEY_SIZE = 2048
_ROOT_DAYS = 3650
_ISSUING_DAYS = 1825
_SERVER_DAYS = 397
# Re-issue a server certificate when less than this is left (so a long test run never sees one expire).
_RENEW_BEFORE = _dt.timedelta(days=7)
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_RESERVED = {"ca", "ca-bundle", "issuing-ca", "issuing-ca-chain"}

_REPO_ROOT = Path(__file__).resolve().parent.parent


# --------------------------------------------------------------------------------------------- paths
def lab_dir() -> Path:
    """The root of the lab's state: ``$NDES_LAB_DIR`` if set, else ``<repo>/.lab``. Created if missing."""
    env = os.environ.get("NDES_LAB_DIR")
    path = Path(env).expanduser().resolve() if env else _REPO_ROOT / ".lab"
    path.mkdir(parents=True, exist_ok=True)
    return path


def pki_dir() -> Path:
    path = lab_dir() / "pki"
    path.mkdir(parents=True, exist_ok=True)
    return path


def ca_bundle_path() -> Path:
    """The PEM file every lab client trusts (the lab root CA). Creates the CA on first use."""
    ensure_ca()
    return pki_dir() / "ca-bundle.pem"


def enterprise_ca_chain_path() -> Path:
    """PEM of the issuing CA followed by the root (what a server sends after its leaf)."""
    ensure_enterprise_ca()
    return pki_dir() / "issuing-ca-chain.pem"


# --------------------------------------------------------------------------------------------- helpers
@contextlib.contextmanager
def _locked() -> Iterator[Path]:
    d = pki_dir()
    with open(d / ".lock", "a+") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield d
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def _write_atomic(path: Path, data: bytes, mode: int) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=_KEY_SIZE)


def _key_pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,  # "BEGIN RSA PRIVATE KEY": GnuTLS (Samba) reads it
        serialization.NoEncryption(),
    )


def _cert_pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _load_cert(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def _load_key(path: Path) -> rsa.RSAPrivateKey:
    # Our own files: skip the slow RSA consistency check (the pair is still matched against its cert).
    key = serialization.load_pem_private_key(path.read_bytes(), password=None, unsafe_skip_rsa_key_validation=True)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError(f"{path}: not an RSA key")
    return key


def _now() -> _dt.datetime:
    return _dt.datetime.now(_dt.timezone.utc)


def _name(cn: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, _ORG),
            x509.NameAttribute(NameOID.COMMON_NAME, cn),
        ]
    )


def _signed_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    if cert.issuer != issuer.subject:
        return False
    try:
        issuer.public_key().verify(  # type: ignore[union-attr]
            cert.signature,
            cert.tbs_certificate_bytes,
            padding.PKCS1v15(),
            cert.signature_hash_algorithm,  # type: ignore[arg-type]
        )
    except Exception:
        return False
    return True


def _key_matches(cert: x509.Certificate, key: rsa.RSAPrivateKey) -> bool:
    return cert.public_key().public_numbers() == key.public_key().public_numbers()  # type: ignore[union-attr]


def _fresh(cert: x509.Certificate, margin: _dt.timedelta = _dt.timedelta(0)) -> bool:
    now = _now()
    return cert.not_valid_before_utc <= now and cert.not_valid_after_utc - margin > now


def _pair_ok(cert_path: Path, key_path: Path) -> tuple[x509.Certificate, rsa.RSAPrivateKey] | None:
    if not (cert_path.is_file() and key_path.is_file()):
        return None
    try:
        cert, key = _load_cert(cert_path), _load_key(key_path)
    except Exception:
        return None
    if not _key_matches(cert, key):
        return None
    return cert, key


def _ca_extensions(builder: x509.CertificateBuilder, key, issuer_key, path_length: int | None):
    builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
    builder = builder.add_extension(
        x509.KeyUsage(
            digital_signature=True,
            content_commitment=False,
            key_encipherment=False,
            data_encipherment=False,
            key_agreement=False,
            key_cert_sign=True,
            crl_sign=True,
            encipher_only=False,
            decipher_only=False,
        ),
        critical=True,
    )
    builder = builder.add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    builder = builder.add_extension(
        x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False
    )
    return builder


# --------------------------------------------------------------------------------------------- root CA
def _ensure_ca_locked(d: Path) -> tuple[x509.Certificate, rsa.RSAPrivateKey]:
    cert_path, key_path, bundle = d / "ca.pem", d / "ca.key", d / "ca-bundle.pem"
    pair = _pair_ok(cert_path, key_path)
    if pair is None or not _fresh(pair[0]):
        key = _new_key()
        now = _now()
        name = _name(ROOT_CA_NAME)
        builder = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - _dt.timedelta(hours=1))
            .not_valid_after(now + _dt.timedelta(days=_ROOT_DAYS))
        )
        builder = _ca_extensions(builder, key, key, path_length=1)
        cert = builder.sign(key, hashes.SHA256())
        _write_atomic(key_path, _key_pem(key), 0o600)
        _write_atomic(cert_path, _cert_pem(cert), 0o644)
        _write_atomic(bundle, _cert_pem(cert), 0o644)
        pair = (cert, key)
    elif not bundle.is_file() or bundle.read_bytes() != _cert_pem(pair[0]):
        _write_atomic(bundle, _cert_pem(pair[0]), 0o644)
    return pair


def ensure_ca() -> tuple[Path, Path]:
    """Create the lab root CA once ("Lab Root CA", RSA 2048, 10 years); return (cert PEM, key PEM)."""
    with _locked() as d:
        _ensure_ca_locked(d)
        return d / "ca.pem", d / "ca.key"


# --------------------------------------------------------------------------------------------- server certs
def _sans(cert: x509.Certificate) -> tuple[set[str], set[str]]:
    try:
        ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return set(), set()
    dns = {n.lower() for n in ext.get_values_for_type(x509.DNSName)}
    ips = {str(ip) for ip in ext.get_values_for_type(x509.IPAddress)}
    return dns, ips


def issue_server_cert(
    name: str,
    dns_names: Sequence[str],
    ip_addresses: Iterable[str] = ("127.0.0.1",),
) -> tuple[Path, Path]:
    """A TLS server certificate + key signed by the lab root CA: ``pki/<name>.pem``, ``pki/<name>.key``.

    SANs are ``dns_names`` + ``ip_addresses``; the subject CN is the first DNS name. An existing pair is
    reused when it is signed by the current root, valid for at least 7 more days, and carries exactly
    these SANs; otherwise it is re-issued (new key).
    """
    if not _NAME_RE.match(name) or name.lower() in _RESERVED:
        raise ValueError(f"bad certificate name {name!r}: use letters, digits, '.', '_', '-' (not {sorted(_RESERVED)})")
    dns_list = [d.strip().lower().rstrip(".") for d in dns_names if d and d.strip()]
    ip_list = [str(ipaddress.ip_address(ip)) for ip in ip_addresses]
    if not dns_list and not ip_list:
        raise ValueError("issue_server_cert needs at least one DNS name or IP address")
    want_dns, want_ips = set(dns_list), set(ip_list)

    with _locked() as d:
        ca_cert, ca_key = _ensure_ca_locked(d)
        cert_path, key_path = d / f"{name}.pem", d / f"{name}.key"
        pair = _pair_ok(cert_path, key_path)
        if pair is not None:
            cert = pair[0]
            if _signed_by(cert, ca_cert) and _fresh(cert, _RENEW_BEFORE) and _sans(cert) == (want_dns, want_ips):
                return cert_path, key_path

        key = _new_key()
        now = _now()
        cn = dns_list[0] if dns_list else ip_list[0]
        san: list[x509.GeneralName] = [x509.DNSName(n) for n in dict.fromkeys(dns_list)]
        san += [x509.IPAddress(ipaddress.ip_address(ip)) for ip in dict.fromkeys(ip_list)]
        builder = (
            x509.CertificateBuilder()
            .subject_name(_name(cn))
            .issuer_name(ca_cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - _dt.timedelta(hours=1))
            .not_valid_after(min(now + _dt.timedelta(days=_SERVER_DAYS), ca_cert.not_valid_after_utc))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=True,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=False,
                    crl_sign=False,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.SubjectAlternativeName(san), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        )
        cert = builder.sign(ca_key, hashes.SHA256())
        _write_atomic(key_path, _key_pem(key), 0o600)
        _write_atomic(cert_path, _cert_pem(cert), 0o644)
        return cert_path, key_path


# --------------------------------------------------------------------------------------------- issuing CA
def ensure_enterprise_ca() -> tuple[Path, Path]:
    """The simulated Enterprise CA's certificate + key: "Lab Issuing CA", signed by "Lab Root CA".

    This is the certificate an Enterprise CA install publishes in AD (``cACertificate`` of its
    pKIEnrollmentService object); the Windows simulator's CA signs what it issues with this key.
    """
    with _locked() as d:
        root_cert, root_key = _ensure_ca_locked(d)
        cert_path, key_path, chain = d / "issuing-ca.pem", d / "issuing-ca.key", d / "issuing-ca-chain.pem"
        pair = _pair_ok(cert_path, key_path)
        if pair is None or not _signed_by(pair[0], root_cert) or not _fresh(pair[0], _RENEW_BEFORE):
            key = _new_key()
            now = _now()
            builder = (
                x509.CertificateBuilder()
                .subject_name(_name(ISSUING_CA_NAME))
                .issuer_name(root_cert.subject)
                .public_key(key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(now - _dt.timedelta(hours=1))
                .not_valid_after(min(now + _dt.timedelta(days=_ISSUING_DAYS), root_cert.not_valid_after_utc))
            )
            builder = _ca_extensions(builder, key, root_key, path_length=0)
            cert = builder.sign(root_key, hashes.SHA256())
            _write_atomic(key_path, _key_pem(key), 0o600)
            _write_atomic(cert_path, _cert_pem(cert), 0o644)
            pair = (cert, key)
        want_chain = _cert_pem(pair[0]) + _cert_pem(root_cert)
        if not chain.is_file() or chain.read_bytes() != want_chain:
            _write_atomic(chain, want_chain, 0o644)
        return cert_path, key_path
