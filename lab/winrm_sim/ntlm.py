"""NTLM acceptance per HTTP connection (pyspnego), as Windows' WinRM does it: the 3-leg handshake binds the
TCP connection; later requests on it need no Authorization header. Channel binding (tls-server-end-point,
sent by requests-ntlm) is checked against the certificate this listener presents.

Accounts come from the NTLM user file <lab_dir>/winrm_sim/ntlm-users, one `LAB:<user>:<password>` line per lab
account (identity.lab_accounts: pulumi-winrm with <lab_dir>/secrets/winrm-password, pulumi-ca with
<lab_dir>/secrets/ca-winrm-password, Administrator with the lab Samba's password).
"""
from __future__ import annotations

import base64
import os
from pathlib import Path

import spnego
from spnego.channel_bindings import GssChannelBindings

from lab import topology

from .store import sim_dir


def user_file() -> Path:
    """Write (0600) and return the NTLM user file; sets NTLM_USER_FILE for pyspnego in this process."""
    from .identity import lab_accounts
    path = sim_dir() / "ntlm-users"
    line = "".join(f"{topology.NETBIOS}:{user.split(chr(92), 1)[1]}:{password}\n"
                   for user, password in lab_accounts().items())
    if not path.is_file() or path.read_text() != line:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(line)
    os.environ["NTLM_USER_FILE"] = str(path)
    return path


class NtlmAcceptor:
    """State of one connection's NTLM handshake."""

    def __init__(self, cert_hash: bytes) -> None:
        self._cert_hash = cert_hash
        self._ctx = None
        self.user: str | None = None

    def step(self, header: str) -> tuple[str | None, str | None]:
        """Process an Authorization header value ("Negotiate <b64>" / "NTLM <b64>").
        Returns (WWW-Authenticate value to answer with a 401, None) while the handshake goes on,
        (None, user) once it succeeded; raises PermissionError when it failed."""
        scheme, _, token = header.partition(" ")
        if scheme.lower() not in ("negotiate", "ntlm") or not token:
            raise PermissionError("unsupported authorization scheme")
        raw = base64.b64decode(token)
        if raw[8:12] == b"\x01\x00\x00\x00" or self._ctx is None:  # NEGOTIATE_MESSAGE starts a new handshake
            cbt = GssChannelBindings(application_data=b"tls-server-end-point:" + self._cert_hash)
            self._ctx = spnego.server(protocol="ntlm", channel_bindings=cbt)
        try:
            out = self._ctx.step(raw)
        except Exception as exc:  # wrong password, bad bindings, malformed token
            self._ctx = None
            raise PermissionError(str(exc)) from None
        if self._ctx.complete:
            self.user = self._ctx.client_principal or "?"
            self._ctx = None
            return None, self.user
        return f"{scheme} {base64.b64encode(out or b'').decode()}", None
