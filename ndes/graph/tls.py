"""TLS verification material for httpx (an SSLContext) and azure-identity/requests (a CA bundle file path)."""
from __future__ import annotations

import hashlib
import os
import ssl
import tempfile
from pathlib import Path

_BUNDLE_FILES: dict[str, str] = {}


def ssl_context(ca_bundle_pem: str | None) -> ssl.SSLContext:
    """Verifying context: the system store, plus `ca_bundle_pem` when given (never verification off)."""
    ctx = ssl.create_default_context()
    if ca_bundle_pem:
        try:
            ctx.load_verify_locations(cadata=ca_bundle_pem)
        except (ssl.SSLError, ValueError) as exc:
            from .errors import TlsFailure
            raise TlsFailure(f"the CA bundle given for Graph holds no usable certificate ({exc.__class__.__name__}: "
                             f"{exc}). Fix ndes:graph.caBundle: a PEM file of the CAs to trust") from None
    return ctx


def bundle_file(ca_bundle_pem: str) -> str:
    """A private file holding the bundle (requests needs a path); one per distinct bundle per process."""
    key = hashlib.sha256(ca_bundle_pem.encode()).hexdigest()
    path = _BUNDLE_FILES.get(key)
    if path and Path(path).is_file():
        return path
    fd, path = tempfile.mkstemp(prefix="ndes-graph-ca-", suffix=".pem")
    with os.fdopen(fd, "w") as fh:
        fh.write(ca_bundle_pem)
    _BUNDLE_FILES[key] = path
    return path


def httpx_verify(ca_bundle_pem: str | None, insecure: bool) -> ssl.SSLContext | bool:
    verify: ssl.SSLContext | bool = not insecure
    if verify:
        verify = ssl_context(ca_bundle_pem)
    return verify


def requests_verify(ca_bundle_pem: str | None, insecure: bool) -> str | bool:
    """`connection_verify` for azure-core's requests transport: a bundle path, True, or (named option) False."""
    if insecure:
        return not insecure
    return bundle_file(ca_bundle_pem) if ca_bundle_pem else True
