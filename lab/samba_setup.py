"""Installing Samba (Debian packages), provisioning the lab domain once, and pointing smb.conf at the lab CA."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Callable

from lab import pki
from lab.samba_layout import (APT_PACKAGES, DC_HOSTNAME, NETBIOS_DOMAIN, REALM, TLS_CERT_NAME, TLS_DNS_NAMES,
                              TLS_IPS, _PROVISION_FORMAT, _PROVISION_MARKER, _REQUIRED_BINARIES, DcError, _noop,
                              _tail, admin_password, samba_dir, smb_conf_path)

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
        # the loopback address only, not all of lo: the lab's second DC (lab.samba_replica) owns 127.0.0.2
        "interfaces": "127.0.0.1 ::1",
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

