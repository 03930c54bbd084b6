"""The lab DC's fixed facts: the domain's names, where its files live, its Administrator password, and a bound
ldap3 connection to it. Shared by lab.samba_dc and the modules it is split into (no process handling here)."""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import os
import secrets
import socket
import ssl
import string
from pathlib import Path
from typing import Iterator

from lab import pki

# ----------------------------------------------------------------------------------------------- the domain
REALM = "LAB.CONTOSO.TEST"
NETBIOS_DOMAIN = "LAB"
DNS_DOMAIN = "lab.contoso.test"
DC_HOSTNAME = "dc1"
DC_FQDN = f"{DC_HOSTNAME}.{DNS_DOMAIN}"
DOMAIN_DN = "DC=lab,DC=contoso,DC=test"
CONFIG_DN = f"CN=Configuration,{DOMAIN_DN}"
PKS_DN = f"CN=Public Key Services,CN=Services,{CONFIG_DN}"
# Clients connect to the loopback address; the DC's certificate carries the 127.0.0.1 IP SAN (and the DC's
# FQDN and "localhost"), so TLS name checks pass without /etc/hosts. ldap3 2.9.1 checks names with
# ssl.match_hostname on Python <= 3.11, which matches IP SANs (its fallback for 3.12+ does not: use
# ldaps://localhost:636 there).
LDAP_HOST = "127.0.0.1"
LDAPS_PORT = 636
LDAP_URL = f"ldaps://{LDAP_HOST}:{LDAPS_PORT}"
BIND_USER = f"Administrator@{DNS_DOMAIN}"
TLS_CERT_NAME = "samba-dc1"
TLS_DNS_NAMES = [DC_FQDN, "localhost"]
TLS_IPS = ["127.0.0.1", "::1"]

# What an Enterprise CA install leaves in AD (the product configures a CA; it never installs one).
ENTERPRISE_CA_NAME = pki.ISSUING_CA_NAME  # "Lab Issuing CA"
ENTERPRISE_CA_HOST = f"ca1.{DNS_DOMAIN}"
ENROLLMENT_SERVICE_DN = f"CN={ENTERPRISE_CA_NAME},CN=Enrollment Services,{PKS_DN}"
# pKIEnrollmentService "flags": 10 is the value seen on Windows Enterprise CAs' objects. UNCONFIRMED against
# a specification; nothing in the product may depend on it.
ENROLLMENT_SERVICE_FLAGS = 10
# Computer accounts a domain join leaves: (sAMAccountName without $, DNS host name).
LAB_COMPUTERS = (
    ("NDES1", f"ndes1.{DNS_DOMAIN}"),
    ("NDES2", f"ndes2.{DNS_DOMAIN}"),
    ("CA1", ENTERPRISE_CA_HOST),
)

APT_PACKAGES = ["samba", "samba-ad-dc", "krb5-user", "winbind", "ldb-tools", "smbclient"]
_REQUIRED_BINARIES = ["samba", "samba-tool", "ldbsearch", "smbclient", "kinit", "winbindd"]
_PROVISION_MARKER = ".lab-provisioned.json"
_PROVISION_FORMAT = 1


class DcError(RuntimeError):
    """The DC could not be installed, provisioned, started or reached; the message says why and what to do."""


@dataclasses.dataclass(frozen=True)
class DcInfo:
    """What a client needs to talk to the lab DC."""

    ldap_url: str
    host: str
    port: int
    ca_bundle: str
    bind_user: str
    bind_password: str = dataclasses.field(repr=False)
    domain_dn: str
    config_dn: str
    realm: str
    netbios_domain: str
    dns_domain: str
    dc_fqdn: str
    enrollment_service_dn: str
    enterprise_ca_name: str
    enterprise_ca_host: str
    lab_dir: str
    started: bool = False  # True when this call to up() started the process
    # the lab stack's least-privilege bind account (lab.samba_delegation): what Pulumi.lab.yaml binds as
    delegated_user: str = ""
    delegated_password: str = dataclasses.field(default="", repr=False)

    def __getitem__(self, key: str):  # dict-style access for fixtures' users
        return getattr(self, key)

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)



# ----------------------------------------------------------------------------------------------- paths
def samba_dir() -> Path:
    return pki.lab_dir() / "samba"


def smb_conf_path() -> Path:
    return samba_dir() / "etc" / "smb.conf"


def password_path() -> Path:
    return pki.lab_dir() / "samba-admin-password"


def pid_path() -> Path:
    return pki.lab_dir() / "samba.pid"


def log_path() -> Path:
    return pki.lab_dir() / "samba.log"


def _lock_path() -> Path:
    return pki.lab_dir() / ".samba.lock"


@contextlib.contextmanager
def _locked() -> Iterator[None]:
    """Serialize up/down across processes (pytest workers, a shell, another session)."""
    with open(_lock_path(), "a+") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def _noop(_msg: str) -> None:
    pass


def _tail(path: Path, lines: int = 40) -> str:
    try:
        data = path.read_text(errors="replace").splitlines()
    except FileNotFoundError:
        return f"(no log at {path})"
    return "\n".join(data[-lines:])


# ----------------------------------------------------------------------------------------------- password
def _generate_password() -> str:
    # Samba's default complexity: at least 3 of upper/lower/digit/symbol, length >= 7. Use all four and
    # symbols that need no quoting in a shell or an LDAP value.
    alphabet = string.ascii_letters + string.digits
    while True:
        body = "".join(secrets.choice(alphabet) for _ in range(20))
        pw = f"{body[:10]}-{body[10:]}_"
        if any(c.islower() for c in pw) and any(c.isupper() for c in pw) and any(c.isdigit() for c in pw):
            return pw


def admin_password(create: bool = False) -> str:
    """The domain Administrator password (generated once, stored 0600 in lab_dir)."""
    path = password_path()
    if path.is_file():
        pw = path.read_text().strip()
        if pw:
            return pw
    if not create:
        raise DcError(f"no lab DC password at {path}: run `python -m lab.samba_dc up` first")
    # Race-safe: write a private temp file, then link it into place; a concurrent creator's file wins.
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(_generate_password() + "\n")
    try:
        os.link(tmp, path)
    except FileExistsError:
        pass
    finally:
        tmp.unlink(missing_ok=True)
    return path.read_text().strip()


# ----------------------------------------------------------------------------------------------- health
def _tls_handshake(ca_bundle: Path, timeout: float = 3.0) -> None:
    ctx = ssl.create_default_context(cafile=str(ca_bundle))  # CERT_REQUIRED + hostname check
    with socket.create_connection((LDAP_HOST, LDAPS_PORT), timeout=timeout) as sock:
        with ctx.wrap_socket(sock, server_hostname=LDAP_HOST):
            pass


def _ldap3_server(ca_bundle: str, host: str = LDAP_HOST, port: int = LDAPS_PORT, get_info=None):
    import ldap3

    tls = ldap3.Tls(validate=ssl.CERT_REQUIRED, ca_certs_file=ca_bundle)
    return ldap3.Server(
        host, port=port, use_ssl=True, tls=tls, connect_timeout=5, get_info=get_info or ldap3.NONE
    )


def connect(dc: DcInfo | None = None, get_info=None):
    """A bound ldap3 Connection (SIMPLE bind over verified LDAPS) as the lab's Administrator."""
    import ldap3

    if dc is None:
        from lab.samba_dc import info

        dc = info()
    server = _ldap3_server(dc.ca_bundle, dc.host, dc.port, get_info=get_info)
    conn = ldap3.Connection(
        server,
        user=dc.bind_user,
        password=dc.bind_password,
        authentication=ldap3.SIMPLE,
        receive_timeout=30,
        raise_exceptions=False,
    )
    if not conn.bind():
        raise DcError(f"LDAP bind as {dc.bind_user} to {dc.ldap_url} failed: {conn.result.get('description')} "
                      f"{conn.result.get('message', '')}".strip())
    return conn
