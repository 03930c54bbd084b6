"""The NDES/SCEP CrossGuard policies, one module per topic; `ALL_POLICIES` is what the pack runs.

Each module exposes its validate functions (unit tests call them with hand-built arguments) and `POLICIES`.
"""
from __future__ import annotations

from . import (app_proxy, certificate_expiry, client_template, host_separation, mscep_mapping, scep_profile,
               ssl_certificate, strong_mapping, template_security, tls_verification)

ALL_POLICIES = [
    *client_template.POLICIES,
    *scep_profile.POLICIES,
    *mscep_mapping.POLICIES,
    *ssl_certificate.POLICIES,
    *app_proxy.POLICIES,
    *host_separation.POLICIES,
    *tls_verification.POLICIES,
    *certificate_expiry.POLICIES,
    *template_security.POLICIES,
    *strong_mapping.POLICIES,
]

__all__ = ["ALL_POLICIES"]
