"""Checks through each NDES host's external URL, the way a device reaches NDES: TLS (chain and names),
GetCACaps, GetCACert (a certs-only PKCS#7 holding the RA certificates). Names resolve the ordinary way (DNS, or
/etc/hosts in the lab: `python -m lab.hosts add`).

`ScepFetcher` is the seam to the network: a test passes a fake with the same two methods.
"""
from __future__ import annotations

import socket
import ssl
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from ..model.config import DeploymentConfig, NdesHostConfig
from .result import Result, fail, ok


@dataclass(frozen=True)
class Response:
    status: int
    content_type: str
    body: bytes


class FetchError(Exception):
    """The URL could not be reached or TLS failed (the message says which)."""


class ScepFetcher:
    """TLS-verified reads of a SCEP URL (verification always on: `ca_bundle_pem` or the system store)."""

    def __init__(self, ca_bundle_pem: str | None, timeout: float = 15.0):
        self.ca_bundle_pem = ca_bundle_pem
        self.timeout = timeout

    def _context(self) -> ssl.SSLContext:
        ctx = ssl.create_default_context()
        if self.ca_bundle_pem:
            ctx = ssl.create_default_context(cadata=self.ca_bundle_pem)
        return ctx

    def peer_names(self, host: str, port: int) -> dict[str, Any]:
        """Verified handshake with `host` (SNI and name check on); the certificate's CN, DNS names, notAfter."""
        try:
            with socket.create_connection((host, port), timeout=self.timeout) as raw:
                with self._context().wrap_socket(raw, server_hostname=host) as tls:
                    cert = tls.getpeercert() or {}
        except ssl.SSLCertVerificationError as exc:
            raise FetchError(f"TLS to {host}:{port} failed verification: {exc.verify_message}") from None
        except (OSError, ssl.SSLError) as exc:
            raise FetchError(f"cannot reach {host}:{port}: {exc}") from None
        cn = next((v for rdn in cert.get("subject", ()) for k, v in rdn if k == "commonName"), "")
        dns = [v for k, v in cert.get("subjectAltName", ()) if k == "DNS"]
        return {"commonName": cn, "dnsNames": dns, "notAfter": cert.get("notAfter", "")}

    def get(self, url: str, params: dict[str, str]) -> Response:
        import httpx
        try:
            with httpx.Client(verify=self._context(), timeout=self.timeout) as c:
                r = c.get(url, params=params)
        except httpx.HTTPError as exc:
            raise FetchError(f"GET {url} failed: {exc}") from None
        return Response(r.status_code, r.headers.get("content-type", ""), r.content)


def external_checks(cfg: DeploymentConfig, fetch: Any, h: NdesHostConfig,
                    ra_thumbprints: list[str] | None) -> list[Result]:
    url = h.scep_url
    parts = urlsplit(url)
    host, port = parts.hostname or "", parts.port or 443
    area = f"external {host}"
    out: list[Result] = []
    try:
        names = fetch.peer_names(host, port)
    except FetchError as exc:
        return [fail(area, "TLS names", str(exc),
                     f"check that {host} resolves and that its certificate chains to a trusted root and names {host} "
                     "(App Proxy publishes its own certificate for msappproxy.net names)")]
    out.append(ok(area, "TLS names", f"{host} verified (CN {names['commonName']}; "
                  f"DNS {', '.join(names['dnsNames'])})"))
    try:
        caps = fetch.get(url, {"operation": "GetCACaps", "message": "verify"})
    except FetchError as exc:
        return out + [fail(area, "GetCACaps", str(exc), "check App Proxy publishing and the NDES host")]
    text = caps.body.decode("utf-8", "replace")
    if caps.status != 200 or not text.split():
        out.append(fail(area, "GetCACaps", f"HTTP {caps.status}: {text[:120]!r}",
                        "browse the URL on the NDES host; check the https binding, IIS_IUSRS and the SCEP app pool"))
    else:
        out.append(ok(area, "GetCACaps", ", ".join(text.split())))
    try:
        cacert = fetch.get(url, {"operation": "GetCACert", "message": "verify"})
    except FetchError as exc:
        return out + [fail(area, "GetCACert", str(exc), "check App Proxy publishing and the NDES host")]
    out.append(_cacert(area, cacert, ra_thumbprints))
    return out


def _cacert(area: str, r: Response, ra_thumbprints: list[str] | None) -> Result:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.serialization import pkcs7
    if r.status != 200:
        return fail(area, "GetCACert", f"HTTP {r.status}", "check the NDES role and its RA certificates")
    try:
        certs = pkcs7.load_der_pkcs7_certificates(r.body)
    except ValueError:
        return fail(area, "GetCACert", f"the answer ({r.content_type}, {len(r.body)} bytes) is not a DER PKCS#7",
                    "NDES answers application/x-x509-ca-ra-cert: check what App Proxy publishes at this URL")
    thumbs = {c.fingerprint(hashes.SHA1()).hex().upper() for c in certs}
    if ra_thumbprints:
        missing = [t for t in ra_thumbprints if t.upper() not in thumbs]
        if missing:
            return fail(area, "GetCACert", f"{len(certs)} certificates, without the NDES host's RA certificate(s) "
                        f"{', '.join(missing)}", "iisreset on the NDES host (it serves stale RA certificates), then "
                        "check the MSCEP RA certificates")
        return ok(area, "GetCACert", f"PKCS#7 with {len(certs)} certificates, RA certificates included")
    if len(certs) < 2:
        return fail(area, "GetCACert", f"PKCS#7 with {len(certs)} certificate(s): no RA certificates",
                    "check the NDES RA certificates (EnrollmentAgentOffline, CEPEncryption)")
    return ok(area, "GetCACert", f"PKCS#7 with {len(certs)} certificates")
