"""How to reach one Windows host over WinRM (plain data: safe to build from provider inputs)."""
from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

__all__ = ["Endpoint"]

AUTH_METHODS = ("ntlm", "kerberos", "credssp")


@dataclass(frozen=True)
class Endpoint:
    host: str
    """The host's FQDN, for messages."""
    url: str
    """https://<addr>:5986/wsman"""
    username: str
    password: str = field(repr=False)
    """Never printed: not in repr, never in a message."""
    auth: str = "ntlm"
    """ntlm | kerberos | credssp (passed through to pywinrm)."""
    ca_bundle_pem: str | None = field(default=None, repr=False)
    """PEM text of the CAs to trust; the system store when None."""
    insecure_skip_tls_verify: bool = False
    operation_timeout: int = 120
    """Default time limit of one script run, in seconds."""

    def __post_init__(self) -> None:
        parts = urlsplit(self.url)
        if parts.scheme != "https" or not parts.hostname:
            raise ValueError(f"WinRM URL '{self.url}' of {self.host} must be https://<host>:5986/wsman: "
                             "the client only speaks WinRM over HTTPS")
        if self.auth not in AUTH_METHODS:
            raise ValueError(f"WinRM auth '{self.auth}' of {self.host} is not one of {', '.join(AUTH_METHODS)}")
        if self.operation_timeout < 5:
            raise ValueError(f"operation timeout of {self.host} must be at least 5 seconds")
