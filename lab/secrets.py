"""The lab's generated secrets: one file each under <lab_dir>/secrets/, 0600, created once and reused.

Names in use: winrm-password (the simulators' NTLM account), ca-winrm-password (the CA host's own WinRM
account), graph-client-secret (the Graph simulator's app),
service-account-password (what the lab stack sets on svc-ndes). The domain Administrator password belongs to
lab.samba_dc (admin_password()).
"""
from __future__ import annotations

import os
import secrets
import string
from pathlib import Path

from .pki import lab_dir

_ALPHABET = string.ascii_letters + string.digits


def secrets_dir() -> Path:
    d = lab_dir() / "secrets"
    d.mkdir(parents=True, exist_ok=True)
    os.chmod(d, 0o700)
    return d


def _generate() -> str:
    # Meets AD complexity (upper, lower, digit, symbol) and needs no quoting in a shell or a config file.
    while True:
        body = "".join(secrets.choice(_ALPHABET) for _ in range(24))
        pw = f"{body[:12]}-{body[12:]}!"
        if any(c.islower() for c in pw) and any(c.isupper() for c in pw) and any(c.isdigit() for c in pw):
            return pw


def lab_secret(name: str) -> str:
    """The secret called `name`, generated on first use."""
    if not name or "/" in name or name.startswith("."):
        raise ValueError(f"bad secret name {name!r}")
    path = secrets_dir() / name
    if path.is_file():
        value = path.read_text().strip()
        if value:
            return value
    value = _generate()
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(value + "\n")
    try:
        os.link(tmp, path)  # first writer wins when two processes race
    except FileExistsError:
        pass
    finally:
        tmp.unlink(missing_ok=True)
    return path.read_text().strip()
