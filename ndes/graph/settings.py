"""What a Graph client needs, as plain data (providers rebuild a client from this inside every call)."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

CREDENTIALS = ("clientSecret", "certificate", "workloadIdentity", "azureCli", "deviceCode")
DELEGATED = ("azureCli", "deviceCode")
"""Credentials that sign a user in (delegated tokens: the user's roles and the client's scopes), as App Proxy's
Graph APIs require; the others are the app's own identity (app-only tokens: its application permissions)."""


@dataclass(frozen=True)
class RetryPolicy:
    """Bounds of the client's waiting. Throttling (429/503/504) and replication lag (404 on a new id) each
    get at most `*_attempts` tries and `*_seconds` of waiting; past either bound the client raises."""

    throttle_attempts: int = 8
    throttle_seconds: float = 120.0
    backoff_seconds: float = 1.0
    """First wait when Graph gives no Retry-After; doubles each time, capped at 30 s."""
    not_found_attempts: int = 12
    not_found_seconds: float = 60.0
    request_timeout_seconds: float = 60.0


@dataclass(frozen=True)
class GraphSettings:
    tenant_id: str
    client_id: str | None = None
    credential: str = "clientSecret"
    client_secret: str | None = field(default=None, repr=False)
    certificate_pem: str | None = field(default=None, repr=False)
    """PEM of the app's certificate and private key (credential: certificate)."""
    cloud: str = "global"
    graph_endpoint: str | None = None
    authority: str | None = None
    ca_bundle_pem: str | None = None
    """PEM of the CAs to trust for Graph and the token endpoint; the system store when unset."""
    insecure_skip_tls_verify: bool = False
    retry: RetryPolicy = RetryPolicy()

    def __post_init__(self) -> None:
        if self.credential not in CREDENTIALS:
            raise ValueError(f"unknown credential '{self.credential}'; use one of {', '.join(CREDENTIALS)}")
        if self.credential not in DELEGATED and not self.client_id:
            raise ValueError(f"credential {self.credential} needs a client id")
        if self.credential == "clientSecret" and not self.client_secret:
            raise ValueError("credential clientSecret needs the client secret")
        if self.credential == "certificate" and not self.certificate_pem:
            raise ValueError("credential certificate needs the certificate (PEM with its private key)")

    @property
    def delegated(self) -> bool:
        return self.credential in DELEGATED

    def fingerprint(self) -> str:
        """A cache key that changes with every field (secrets hashed, never kept in the key)."""
        h = hashlib.sha256()
        for part in (self.tenant_id, self.client_id, self.credential, self.client_secret, self.certificate_pem,
                     self.cloud, self.graph_endpoint, self.authority, self.ca_bundle_pem,
                     str(self.insecure_skip_tls_verify), repr(self.retry)):
            h.update((part or "").encode() + b"\0")
        return h.hexdigest()
