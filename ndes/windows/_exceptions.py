"""The Windows client's one exception tree (mapped from pywinrm/requests at the transport boundary).

    WindowsHostError                 any failure talking to a Windows host or running a script there
    ├── AuthenticationFailed         the host refused the credentials (HTTP 401)
    ├── Unreachable                  no answer, connection refused or dropped, HTTP errors outside WS-Man
    ├── TlsFailure                   the host's certificate did not verify (unknown CA, name mismatch)
    ├── ScriptFailed                 the script ran and reported an error (its JSON error, exit code 1)
    └── OperationTimeout             the script did not finish in time (it may still be running)
        └── StillRunning             a set-mode script outlasted the client's wait and was left running there

Messages read "failed to <verb> <kind> '<id>' on <host>: <cause>". None ever holds the password: the client
builds every message itself from the script name, the host name and the cause's text (pywinrm's own texts do
not carry credentials, and the client scrubs the password from any text it passes on anyway).
"""
from __future__ import annotations

__all__ = ["WindowsHostError", "AuthenticationFailed", "Unreachable", "TlsFailure", "ScriptFailed",
           "OperationTimeout", "StillRunning"]


class WindowsHostError(Exception):
    """Base of every error of the Windows client. `host` is the host's FQDN (for messages)."""

    def __init__(self, message: str, *, host: str = "") -> None:
        super().__init__(message)
        self.host = host


class AuthenticationFailed(WindowsHostError):
    """The host answered 401: wrong user name or password, or an auth method the host does not offer."""


class Unreachable(WindowsHostError):
    """The host did not answer, refused the connection, dropped it, or answered outside WS-Management."""


class TlsFailure(WindowsHostError):
    """The TLS handshake failed: the certificate is not trusted by the CA bundle or lacks the name used."""


class OperationTimeout(WindowsHostError):
    """The script did not finish within its timeout; it may still be running on the host."""


class StillRunning(OperationTimeout):
    """A set-mode script did not finish within the client's wait and was NOT terminated: it goes on on the host (a
    terminated install leaves a half-finished configuration). The caller polls the host's state to see it end."""


class ScriptFailed(WindowsHostError):
    """A script reported an error: `script`, `host`, `message` (its text) and `category` (PowerShell's
    ErrorCategory name, e.g. ObjectNotFound, InvalidArgument, PermissionDenied)."""

    def __init__(self, script: str, host: str, message: str, category: str = "NotSpecified") -> None:
        super().__init__(f"failed to run script '{script}' on {host}: {message} ({category})", host=host)
        self.script = script
        self.message = message
        self.category = category
