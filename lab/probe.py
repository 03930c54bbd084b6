"""Probe the SCEP endpoint the way a device does: through each App Proxy external URL, with TLS verified.

GetCACaps must answer a capability list; GetCACert must be a certs-only PKCS#7 holding the CA and the NDES RA
certificates. Exit 0 when every published URL answers, 1 otherwise. Names resolve through /etc/hosts (lab/up).
"""
from __future__ import annotations

import ssl
import sys

import httpx
from cryptography.hazmat.primitives.serialization import pkcs7

from .pki import ca_bundle_path
from .topology import NDES_HOSTS
from ndes.model.urls import scep_url


def probe(url: str, timeout: float = 15.0) -> list[str]:
    ctx = ssl.create_default_context(cafile=str(ca_bundle_path()))
    lines = []
    with httpx.Client(verify=ctx, timeout=timeout) as client:
        caps = client.get(url, params={"operation": "GetCACaps", "message": "probe"})
        caps.raise_for_status()
        lines.append(f"GetCACaps {caps.status_code}: {', '.join(caps.text.split())}")
        cacert = client.get(url, params={"operation": "GetCACert", "message": "probe"})
        cacert.raise_for_status()
        certs = pkcs7.load_der_pkcs7_certificates(cacert.content)
        subjects = [c.subject.rfc4514_string() for c in certs]
        lines.append(f"GetCACert {cacert.status_code} ({cacert.headers.get('content-type')}): {len(certs)} "
                     f"certificates: {'; '.join(subjects)}")
    return lines


def main(argv: list[str]) -> int:
    urls = argv or [scep_url(h["external_url"]) for h in NDES_HOSTS[:1]]
    ok = True
    for url in urls:
        print(f"probing {url}")
        try:
            for line in probe(url):
                print(f"  {line}")
        except (httpx.HTTPError, ValueError, ssl.SSLError) as exc:
            ok = False
            print(f"  FAILED: {exc}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
