"""The lab's real Active Directory: a Samba AD DC on loopback, LDAPS verified with the lab CA.

    python -m lab.samba_dc up       install (apt) if missing, provision once, start, wait until healthy
    python -m lab.samba_dc down     stop it (its own process group, by pid)
    python -m lab.samba_dc status   running / healthy?   (exit 0 healthy, 1 unhealthy, 3 stopped)
    python -m lab.samba_dc env      shell exports for clients (the only place the password is printed)

State lives in ``lab_dir()`` (``<repo>/.lab`` or ``$NDES_LAB_DIR``):
``samba/`` (the provisioned domain), ``samba-admin-password`` (0600), ``samba.pid``, ``samba.log``.

After provisioning, ``up`` also leaves in the directory what the rest of the lab's world would have put there:
the pKIEnrollmentService object an Enterprise CA install creates ("Lab Issuing CA" on ca1) and the computer
accounts a domain join creates (NDES1$, NDES2$, CA1$). It does NOT create the forest base OID
(``msPKI-Cert-Template-OID`` on ``CN=OID,...``): the product creates it when missing, as the Windows console does.

Python API: ``up()``, ``down()``, ``status()``, ``info()``, ``connect()``; constants below. No Pulumi here.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import fcntl
import json
import os
import secrets
import shlex
import shutil
import signal
import socket
import ssl
import string
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable, Iterator

from lab import pki

__all__ = [
    "REALM",
    "NETBIOS_DOMAIN",
    "DNS_DOMAIN",
    "DC_HOSTNAME",
    "DC_FQDN",
    "DOMAIN_DN",
    "CONFIG_DN",
    "PKS_DN",
    "LDAP_HOST",
    "LDAPS_PORT",
    "LDAP_URL",
    "BIND_USER",
    "ENTERPRISE_CA_NAME",
    "ENTERPRISE_CA_HOST",
    "ENROLLMENT_SERVICE_DN",
    "LAB_COMPUTERS",
    "DcInfo",
    "DcError",
    "up",
    "down",
    "status",
    "info",
    "connect",
    "env_exports",
    "samba_dir",
    "log_path",
    "pid_path",
    "password_path",
]

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


# ----------------------------------------------------------------------------------------------- install
def _which(name: str) -> str | None:
    path = os.environ.get("PATH", "") + os.pathsep + "/usr/sbin:/sbin:/usr/bin:/bin"
    return shutil.which(name, path=path)


def _missing_binaries() -> list[str]:
    return [b for b in _REQUIRED_BINARIES if _which(b) is None]


def _run_logged(cmd: list[str], log: Path, env: dict | None = None, redact: tuple[str, ...] = ()) -> None:
    shown = " ".join(shlex.quote(c) for c in cmd)
    for secret in redact:
        shown = shown.replace(secret, "********")
    with open(log, "ab") as fh:
        fh.write(f"\n$ {shown}\n".encode())
        fh.flush()
        proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=fh, stderr=subprocess.STDOUT, env=env)
    if proc.returncode != 0:
        tail = _tail(log)
        for secret in redact:
            tail = tail.replace(secret, "********")
        raise DcError(f"command failed (exit {proc.returncode}): {shown}\n--- {log} (tail) ---\n{tail}")


def _apt_candidate_known() -> bool:
    proc = subprocess.run(["apt-cache", "policy", "samba"], capture_output=True, text=True)
    return proc.returncode == 0 and "Candidate:" in proc.stdout and "Candidate: (none)" not in proc.stdout


def ensure_installed(echo: Callable[[str], None] = _noop) -> bool:
    """Install Samba from Debian when a binary is missing. Returns True if it installed something."""
    missing = _missing_binaries()
    if not missing:
        return False
    if os.geteuid() != 0:
        raise DcError(
            f"Samba is not installed (missing: {', '.join(missing)}) and this is not root: run "
            f"`sudo DEBIAN_FRONTEND=noninteractive apt-get install -y {' '.join(APT_PACKAGES)}`"
        )
    log = pki.lab_dir() / "apt.log"
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    apt = ["apt-get", "-o", "DPkg::Lock::Timeout=300"]
    if not _apt_candidate_known():
        echo("apt-get update (package lists have no samba candidate)")
        _run_logged(apt + ["update"], log, env)
    echo(f"apt-get install {' '.join(APT_PACKAGES)} (missing: {', '.join(missing)})")
    _run_logged(apt + ["install", "-y", *APT_PACKAGES], log, env)
    still = _missing_binaries()
    if still:
        raise DcError(f"apt-get install finished but these are still missing: {', '.join(still)} (see {log})")
    return True


# ----------------------------------------------------------------------------------------------- provision
def _provisioned() -> bool:
    marker = samba_dir() / _PROVISION_MARKER
    if not (marker.is_file() and smb_conf_path().is_file() and (samba_dir() / "private" / "sam.ldb").is_file()):
        return False
    try:
        data = json.loads(marker.read_text())
    except ValueError:
        return False
    return data.get("realm") == REALM and data.get("format") == _PROVISION_FORMAT


def ensure_provisioned(echo: Callable[[str], None] = _noop) -> bool:
    """Provision the domain once into samba_dir(). Returns True if it provisioned now."""
    if _provisioned():
        return False
    target = samba_dir()
    if target.exists():
        # A half-done provision (no marker): it is ours, start over.
        echo(f"removing an incomplete provision at {target}")
        shutil.rmtree(target)
    target.mkdir(parents=True)
    password = admin_password(create=True)
    samba_tool = _which("samba-tool") or "samba-tool"
    cmd = [
        samba_tool, "domain", "provision",
        f"--realm={REALM}",
        f"--domain={NETBIOS_DOMAIN}",
        "--server-role=dc",
        "--dns-backend=NONE",
        "--use-rfc2307",
        f"--host-name={DC_HOSTNAME}",
        f"--targetdir={target}",
        f"--adminpass={password}",
        "--option=interfaces=lo",
        "--option=bind interfaces only=yes",
    ]  # fmt: skip
    echo(f"provisioning {REALM} into {target}")
    _run_logged(cmd, pki.lab_dir() / "provision.log", redact=(password,))
    (target / _PROVISION_MARKER).write_text(
        json.dumps({"format": _PROVISION_FORMAT, "realm": REALM, "domain": NETBIOS_DOMAIN, "host": DC_HOSTNAME})
    )
    return True


def _configure_conf() -> tuple[Path, Path, Path]:
    """Point smb.conf's tls certfile/keyfile/cafile at a lab-CA certificate for the DC, and keep pid files,
    sockets and logs inside the lab. Idempotent."""
    cert, key = pki.issue_server_cert(TLS_CERT_NAME, TLS_DNS_NAMES, TLS_IPS)
    ca = pki.ca_bundle_path()
    os.chmod(key, 0o600)  # Samba refuses a key file that is not 0600 and owned by its user
    run = samba_dir() / "run"
    logs = pki.lab_dir() / "samba-logs"
    for d in (run, logs):
        d.mkdir(parents=True, exist_ok=True)
    wanted = {
        # Keep every runtime file of this DC inside the lab (not /run/samba, /var/log/samba).
        "pid directory": str(run),
        "ncalrpc dir": str(run / "ncalrpc"),
        "winbindd socket directory": str(run / "winbindd"),
        "log file": str(logs / "log.%m"),
        "tls enabled": "yes",
        "tls certfile": str(cert),
        "tls keyfile": str(key),
        "tls cafile": str(ca),
    }
    conf = smb_conf_path()
    lines = conf.read_text().splitlines()
    out: list[str] = []
    section = None
    inserted = False
    for line in lines:
        stripped = line.strip()
        if stripped.startswith("[") and stripped.endswith("]"):
            if section == "global" and not inserted:
                out.extend(f"\t{k} = {v}" for k, v in wanted.items())
                inserted = True
            section = stripped[1:-1].strip().lower()
        elif section == "global" and "=" in stripped:
            key_name = " ".join(stripped.split("=", 1)[0].lower().split())
            if key_name in wanted:
                continue
        out.append(line)
    if not inserted:
        if section != "global" and "[global]" not in (line.strip().lower() for line in lines):
            out.append("[global]")
        out.extend(f"\t{k} = {v}" for k, v in wanted.items())
    text = "\n".join(out) + "\n"
    if conf.read_text() != text:
        tmp = conf.with_suffix(".conf.tmp")
        tmp.write_text(text)
        os.replace(tmp, conf)
    return cert, key, ca


# ----------------------------------------------------------------------------------------------- process
def _proc_stat(pid: int) -> tuple[str, int, int] | None:
    """(state, pgid, session) of a process, or None if it does not exist."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    fields = raw[raw.rindex(")") + 2 :].split()
    return fields[0], int(fields[2]), int(fields[3])


def _alive(pid: int) -> bool:
    st = _proc_stat(pid)
    return st is not None and st[0] not in ("Z", "X")


def _is_our_samba(pid: int) -> bool:
    """The samba binary, leading its own process group, started in our samba_dir (it rewrites its cmdline)."""
    try:
        exe = os.readlink(f"/proc/{pid}/exe")
        cwd = os.readlink(f"/proc/{pid}/cwd")
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return False
    st = _proc_stat(pid)
    return (
        os.path.basename(exe.removesuffix(" (deleted)")) == "samba"
        and st is not None
        and st[1] == pid
        and os.path.realpath(cwd) == os.path.realpath(samba_dir())
    )


def _ppid(pid: int) -> int | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    return int(raw[raw.rindex(")") + 2 :].split()[1])


def _descendants(pid: int) -> list[int]:
    """Live descendants of pid (samba's smbd and winbindd start their own sessions, so walk the tree)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            parent = _ppid(int(entry))
            if parent is not None:
                children.setdefault(parent, []).append(int(entry))
    out, todo = [], list(children.get(pid, []))
    while todo:
        child = todo.pop()
        if _alive(child):
            out.append(child)
        todo.extend(children.get(child, []))
    return out


def _read_pid() -> int | None:
    try:
        return int(pid_path().read_text().strip())
    except (FileNotFoundError, ValueError):
        return None


def _running_pid() -> int | None:
    pid = _read_pid()
    if pid is not None and _alive(pid) and _is_our_samba(pid):
        return pid
    # The pid file is gone or stale but our samba may still run (someone removed the file): find it.
    for entry in os.listdir("/proc"):
        if entry.isdigit() and _alive(int(entry)) and _is_our_samba(int(entry)):
            _write_pid(pid_path(), int(entry))
            return int(entry)
    return None


def _reap(pid: int) -> None:
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)


def supervisor_pid_path() -> Path:
    return pki.lab_dir() / "samba-supervisor.pid"


def _write_pid(path: Path, pid: int) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(f"{pid}\n")
    os.replace(tmp, path)


_SUPERVISOR_MARK = "lab.samba_dc:supervise"


def _supervise(argv: list[str]) -> int:
    """Parent of samba for its whole life: reaps it and the smbd/winbindd it leaves (as a child subreaper),
    so no zombie is left behind on a host whose init does not reap. Exits when samba has exited and every
    orphan it left is gone. Signals SIGTERM/SIGINT/SIGHUP go to samba."""
    import ctypes

    with contextlib.suppress(Exception):
        ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
    # stdin is /dev/null (a character device): `samba -i` only exits on EOF when stdin is a pipe or socket.
    child = subprocess.Popen(argv, stdin=subprocess.DEVNULL, close_fds=True)
    _write_pid(pid_path(), child.pid)

    def forward(signum, _frame):
        with contextlib.suppress(ProcessLookupError):
            os.kill(child.pid, signum)

    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, forward)
    rc: int | None = None
    orphans_deadline: float | None = None
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            break
        if pid == 0:
            if rc is not None:
                # samba is gone; whatever is left is an orphan it started (smbd, winbindd): stop it.
                now = time.monotonic()
                if orphans_deadline is None:
                    orphans_deadline = now + 10.0
                sig = signal.SIGTERM if now < orphans_deadline else signal.SIGKILL
                for orphan in _descendants(os.getpid()):
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(orphan, sig)
            time.sleep(0.2)
            continue
        if pid == child.pid:
            rc = os.waitstatus_to_exitcode(status)
            print(f"===== lab.samba_dc: samba (pid {pid}) exited with {rc} =====", flush=True)
            with contextlib.suppress(FileNotFoundError, ValueError):
                if int(pid_path().read_text().strip()) == pid:
                    pid_path().unlink()
    with contextlib.suppress(FileNotFoundError, ValueError):
        if int(supervisor_pid_path().read_text().strip()) == os.getpid():
            supervisor_pid_path().unlink()
    return rc or 0


def _start_samba() -> tuple[int, int]:
    """Start `samba -i -M single` under the supervisor, detached (own session); return (samba pid,
    supervisor pid) once samba's pid file is written."""
    samba = _which("samba") or "samba"
    log = log_path()
    pid_path().unlink(missing_ok=True)
    with open(log, "ab") as fh:
        fh.write(f"\n===== lab.samba_dc: starting samba at {time.strftime('%Y-%m-%d %H:%M:%S')} =====\n".encode())
        fh.flush()
        env = dict(os.environ)
        repo = str(Path(__file__).resolve().parent.parent)
        env["PYTHONPATH"] = repo + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        env["NDES_LAB_DIR"] = str(pki.lab_dir())
        code = "import sys; from lab.samba_dc import _supervise; sys.exit(_supervise(sys.argv[2:]))"
        cmd = [samba, "-s", str(smb_conf_path()), "-i", "-M", "single"]
        level = os.environ.get("NDES_LAB_SAMBA_DEBUGLEVEL", "").strip()
        if level.isdigit():  # e.g. 3 to see why an LDAP operation is refused
            cmd.append(f"--debuglevel={level}")
        sup = subprocess.Popen(
            [sys.executable, "-c", code, _SUPERVISOR_MARK, *cmd],
            stdin=subprocess.DEVNULL,
            stdout=fh,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # detached from the caller's terminal and signals
            close_fds=True,
            cwd=str(samba_dir()),
            env=env,
        )
    _write_pid(supervisor_pid_path(), sup.pid)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        pid = _read_pid()
        if pid is not None:
            return pid, sup.pid
        if sup.poll() is not None:
            break
        time.sleep(0.05)
    rc = sup.poll()
    raise DcError(
        f"the samba supervisor {'exited with ' + str(rc) if rc is not None else 'wrote no pid file'}.\n"
        f"--- {log} (tail) ---\n{_tail(log)}"
    )


def _supervisor_pid() -> int | None:
    try:
        pid = int(supervisor_pid_path().read_text().strip())
    except (FileNotFoundError, ValueError):
        return None
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    return pid if _alive(pid) and _SUPERVISOR_MARK.encode() in cmdline else None


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

    dc = dc or info()
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


def _health_error(dc: DcInfo) -> str | None:
    """None when LDAPS answers a verified handshake and a SIMPLE bind works; else why not."""
    try:
        _tls_handshake(Path(dc.ca_bundle))
    except (OSError, ssl.SSLError) as exc:
        return f"LDAPS handshake to {LDAP_HOST}:{LDAPS_PORT}: {exc}"
    try:
        conn = connect(dc)
    except DcError as exc:
        return str(exc)
    except Exception as exc:  # ldap3 socket/TLS errors
        return f"LDAP bind: {type(exc).__name__}: {exc}"
    conn.unbind()
    return None


def _wait_healthy(pid: int, dc: DcInfo, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    last = "not tried"
    while time.monotonic() < deadline:
        if not _alive(pid):
            _reap(pid)
            raise DcError(
                f"samba (pid {pid}) exited during start-up.\n--- {log_path()} (tail) ---\n{_tail(log_path())}"
            )
        last = _health_error(dc) or ""
        if not last:
            return
        time.sleep(0.5)
    raise DcError(
        f"samba (pid {pid}) did not become healthy within {timeout:.0f}s (last check: {last}).\n"
        f"--- {log_path()} (tail) ---\n{_tail(log_path())}"
    )


# ----------------------------------------------------------------------------------------------- AD content
def _ensure_ad_content(dc: DcInfo, echo: Callable[[str], None] = _noop) -> None:
    """Create, when missing, what an Enterprise CA install and the lab's domain joins leave in AD."""
    import ldap3
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding

    conn = connect(dc)
    try:
        # --- the Enterprise CA's pKIEnrollmentService object
        cert_path, _ = pki.ensure_enterprise_ca()
        ca_cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        der = ca_cert.public_bytes(Encoding.DER)
        # Windows writes cACertificateDN most specific first with ", " separators (e.g. "CN=x, DC=y").
        ca_dn = ", ".join(rdn.rfc4514_string() for rdn in reversed(ca_cert.subject.rdns))
        conn.search(ENROLLMENT_SERVICE_DN, "(objectClass=pKIEnrollmentService)", ldap3.BASE,
                    attributes=["cACertificate", "cACertificateDN"])
        if conn.result["result"] == 32:  # noSuchObject
            ok = conn.add(
                ENROLLMENT_SERVICE_DN,
                ["top", "pKIEnrollmentService"],
                {
                    "cn": ENTERPRISE_CA_NAME,
                    "displayName": ENTERPRISE_CA_NAME,
                    "dNSHostName": ENTERPRISE_CA_HOST,
                    "cACertificate": der,
                    "cACertificateDN": ca_dn,
                    "flags": str(ENROLLMENT_SERVICE_FLAGS),
                },
            )
            if not ok:
                raise DcError(f"creating {ENROLLMENT_SERVICE_DN}: {conn.result}")
            echo(f"created pKIEnrollmentService {ENTERPRISE_CA_NAME!r} (dNSHostName {ENTERPRISE_CA_HOST})")
        elif conn.result["result"] == 0:
            entry = conn.entries[0]
            current = entry.cACertificate.raw_values
            if current != [der]:  # the lab re-issued its issuing CA: publish the new certificate
                conn.modify(ENROLLMENT_SERVICE_DN, {
                    "cACertificate": [(ldap3.MODIFY_REPLACE, [der])],
                    "cACertificateDN": [(ldap3.MODIFY_REPLACE, [ca_dn])],
                })
                if conn.result["result"] != 0:
                    raise DcError(f"updating cACertificate of {ENROLLMENT_SERVICE_DN}: {conn.result}")
                echo("updated cACertificate of the enrollment service")
        else:
            raise DcError(f"reading {ENROLLMENT_SERVICE_DN}: {conn.result}")

        # --- computer accounts a domain join leaves
        for name, fqdn in LAB_COMPUTERS:
            dn = f"CN={name},CN=Computers,{DOMAIN_DN}"
            conn.search(dn, "(objectClass=computer)", ldap3.BASE, attributes=["dNSHostName"])
            if conn.result["result"] == 0:
                continue
            if conn.result["result"] != 32:
                raise DcError(f"reading {dn}: {conn.result}")
            short = fqdn.split(".", 1)[0]
            machine_pw = secrets.token_urlsafe(48)  # as a join would: random, known to nobody here
            ok = conn.add(
                dn,
                ["top", "person", "organizationalPerson", "user", "computer"],
                {
                    "cn": name,
                    "sAMAccountName": f"{name}$",
                    "userAccountControl": "4096",  # WORKSTATION_TRUST_ACCOUNT
                    "dNSHostName": fqdn,
                    "servicePrincipalName": [
                        f"HOST/{short.upper()}",
                        f"HOST/{fqdn}",
                        f"RestrictedKrbHost/{short.upper()}",
                        f"RestrictedKrbHost/{fqdn}",
                    ],
                    "operatingSystem": "Windows Server 2022 Datacenter",
                    "operatingSystemVersion": "10.0 (20348)",
                    "unicodePwd": f'"{machine_pw}"'.encode("utf-16-le"),
                },
            )
            if not ok:
                raise DcError(f"creating computer {name}$: {conn.result}")
            echo(f"created computer account {name}$ ({fqdn})")

        # An Enterprise CA install puts the CA's computer account in "Cert Publishers".
        group = f"CN=Cert Publishers,CN=Users,{DOMAIN_DN}"
        ca_dn_computer = f"CN=CA1,CN=Computers,{DOMAIN_DN}"
        conn.search(group, f"(member={ca_dn_computer})", ldap3.BASE)
        if conn.result["result"] == 0 and not conn.entries:
            conn.modify(group, {"member": [(ldap3.MODIFY_ADD, [ca_dn_computer])]})
            if conn.result["result"] not in (0, 20):  # 20 attributeOrValueExists: a race, fine
                raise DcError(f"adding CA1$ to Cert Publishers: {conn.result}")
    finally:
        conn.unbind()


# ----------------------------------------------------------------------------------------------- API
def info(started: bool = False) -> DcInfo:
    """Connection facts for the lab DC (does not start it; needs the password, i.e. one earlier `up`)."""
    return DcInfo(
        ldap_url=LDAP_URL,
        host=LDAP_HOST,
        port=LDAPS_PORT,
        ca_bundle=str(pki.ca_bundle_path()),
        bind_user=BIND_USER,
        bind_password=admin_password(),
        domain_dn=DOMAIN_DN,
        config_dn=CONFIG_DN,
        realm=REALM,
        netbios_domain=NETBIOS_DOMAIN,
        dns_domain=DNS_DOMAIN,
        dc_fqdn=DC_FQDN,
        enrollment_service_dn=ENROLLMENT_SERVICE_DN,
        enterprise_ca_name=ENTERPRISE_CA_NAME,
        enterprise_ca_host=ENTERPRISE_CA_HOST,
        lab_dir=str(pki.lab_dir()),
        started=started,
    )


def up(timeout: float = 180.0, echo: Callable[[str], None] = _noop) -> DcInfo:
    """Make the lab DC run and answer verified LDAPS; return its DcInfo (``started`` says if we started it)."""
    t0 = time.monotonic()
    with _locked():
        pid = _running_pid()
        if pid is not None:
            dc = info()
            err = _health_error(dc)
            if err is None:
                _ensure_ad_content(dc, echo)
                echo(f"samba DC already running (pid {pid}) and healthy")
                return dc
            # Running but not answering (still starting, or wedged): give it the start-up timeout.
            echo(f"samba DC running (pid {pid}) but not healthy yet ({err}); waiting")
            _wait_healthy(pid, dc, timeout)
            _ensure_ad_content(dc, echo)
            return dc

        stale = _read_pid()
        if stale is not None:
            pid_path().unlink(missing_ok=True)

        if ensure_installed(echo):
            echo(f"  installed in {time.monotonic() - t0:.1f}s")
        t1 = time.monotonic()
        if ensure_provisioned(echo):
            echo(f"  provisioned in {time.monotonic() - t1:.1f}s")
        _configure_conf()
        dc = info(started=True)
        t2 = time.monotonic()
        pid, sup = _start_samba()
        echo(f"started samba (pid {pid}, supervisor {sup}), log {log_path()}")
        try:
            _wait_healthy(pid, dc, timeout)
        except DcError:
            _stop(pid, 10.0)
            _stop_supervisor(5.0)
            pid_path().unlink(missing_ok=True)
            raise
        echo(f"  healthy in {time.monotonic() - t2:.1f}s")
        _ensure_ad_content(dc, echo)
        echo(f"samba DC up in {time.monotonic() - t0:.1f}s: {LDAP_URL} (CA bundle {dc.ca_bundle})")
        return dc


def _stop(pid: int, timeout: float) -> None:
    """SIGTERM samba's process group and every descendant, SIGKILL what is left after `timeout`."""
    # `samba -i` leads its own process group; smbd and winbindd, its children, start sessions of their own,
    # so they are found by walking the process tree from samba's pid.
    known = set(_descendants(pid)) | {pid}
    for sig in (signal.SIGTERM, signal.SIGKILL):
        known |= set(_descendants(pid)) if _alive(pid) else set()
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, sig)
        for member in sorted(known):
            if _alive(member):
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(member, sig)
        deadline = time.monotonic() + (timeout if sig == signal.SIGTERM else 5.0)
        while time.monotonic() < deadline:
            _reap(pid)
            if not any(_alive(m) for m in known):
                return
            time.sleep(0.1)
    _reap(pid)


def _stop_supervisor(timeout: float) -> None:
    """The supervisor exits by itself once samba and its orphans are gone; make sure it did."""
    sup = _supervisor_pid()
    if sup is None:
        supervisor_pid_path().unlink(missing_ok=True)
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and _alive(sup):
        _reap(sup)
        time.sleep(0.1)
    if _alive(sup):
        _stop(sup, 5.0)
    _reap(sup)
    supervisor_pid_path().unlink(missing_ok=True)


def down(timeout: float = 20.0, echo: Callable[[str], None] = _noop) -> bool:
    """Stop the lab DC. Returns True if it was running."""
    with _locked():
        pid = _running_pid()
        if pid is None:
            _stop_supervisor(1.0)
            pid_path().unlink(missing_ok=True)
            echo("samba DC not running")
            return False
        _stop(pid, timeout)
        _stop_supervisor(timeout)
        pid_path().unlink(missing_ok=True)
        echo(f"samba DC stopped (pid {pid})")
        return True


def status() -> dict:
    pid = _running_pid()
    out = {
        "running": pid is not None,
        "pid": pid,
        "provisioned": _provisioned(),
        "installed": not _missing_binaries(),
        "ldap_url": LDAP_URL,
        "ca_bundle": str(pki.pki_dir() / "ca-bundle.pem"),
        "samba_dir": str(samba_dir()),
        "log": str(log_path()),
        "healthy": False,
    }
    if pid is not None:
        err = _health_error(info())
        out["healthy"] = err is None
        if err:
            out["error"] = err
    return out


def env_exports(dc: DcInfo | None = None) -> str:
    dc = dc or info()
    values = {
        "NDES_LAB_DIR": dc.lab_dir,
        "NDES_LAB_LDAP_URL": dc.ldap_url,
        "NDES_LAB_LDAP_HOST": dc.host,
        "NDES_LAB_LDAP_PORT": str(dc.port),
        "NDES_LAB_CA_BUNDLE": dc.ca_bundle,
        "NDES_LAB_BIND_USER": dc.bind_user,
        "NDES_LAB_BIND_PASSWORD": dc.bind_password,
        "NDES_LAB_DOMAIN_DN": dc.domain_dn,
        "NDES_LAB_CONFIG_DN": dc.config_dn,
        "NDES_LAB_REALM": dc.realm,
        "NDES_LAB_NETBIOS_DOMAIN": dc.netbios_domain,
        "NDES_LAB_DNS_DOMAIN": dc.dns_domain,
        "NDES_LAB_DC_FQDN": dc.dc_fqdn,
        "NDES_LAB_CA_NAME": dc.enterprise_ca_name,
        "NDES_LAB_CA_HOST": dc.enterprise_ca_host,
        "NDES_LAB_ENROLLMENT_SERVICE_DN": dc.enrollment_service_dn,
    }
    return "\n".join(f"export {k}={shlex.quote(v)}" for k, v in values.items())


# ----------------------------------------------------------------------------------------------- CLI
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lab.samba_dc", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    p_up = sub.add_parser("up", help="install/provision if needed, start, wait until LDAPS + bind work")
    p_up.add_argument("--timeout", type=float, default=180.0)
    p_down = sub.add_parser("down", help="stop the DC started by `up`")
    p_down.add_argument("--timeout", type=float, default=20.0)
    sub.add_parser("status", help="running / healthy (JSON)")
    sub.add_parser("env", help="shell exports for clients (prints the password)")
    args = parser.parse_args(argv)

    def echo(msg: str) -> None:
        print(f"[samba-dc] {msg}", file=sys.stderr, flush=True)

    try:
        if args.cmd == "up":
            dc = up(timeout=args.timeout, echo=echo)
            print(dc.ca_bundle)
        elif args.cmd == "down":
            down(timeout=args.timeout, echo=echo)
        elif args.cmd == "status":
            st = status()
            print(json.dumps(st, indent=2))
            return 0 if st["healthy"] else (1 if st["running"] else 3)
        elif args.cmd == "env":
            print(env_exports())
    except DcError as exc:
        print(f"[samba-dc] error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
