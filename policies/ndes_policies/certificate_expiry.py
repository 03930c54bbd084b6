"""Certificates the chain depends on that expire soon (advisory by default; a stack policy over the outputs).

Read from the providers' outputs (present once a resource exists; absent or unknown in a first preview):
    MachineCertificate  notAfter                           the NDES SSL certificate
    NdesRole            raCertificates[].notAfter          the RA certificates (EnrollmentAgentOffline,
                        (raNotAfter when the list is absent) CEPEncryption: two years, then NDES stops)
    IntuneConnector     certificateNotAfter                the connector's client certificate (403.17)
    CaCertificate       issuingNotAfter, rootNotAfter      the CA certificates devices trust
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Iterator

from pulumi_policy import EnforcementLevel, PolicyConfigSchema, ReportViolation, StackValidationPolicy

from ._common import as_list, host_of, message, now_utc, parse_time, resources_of, setting

DEFAULT_DAYS = 30


def certificates(args: Any) -> Iterator[tuple[Any, str, Any, str, str, str]]:
    """(resource, what, notAfter, why, key, fix) for every certificate whose expiry the stack exposes."""
    for r, p in resources_of(args, "MachineCertificate"):
        yield (r, f"the NDES SSL certificate on {host_of(p) or r.name}", p.get("notAfter"),
               "App Proxy and devices stop reaching the SCEP URL over TLS once it expires",
               "ndes:sslCertificate.renewBeforeDays",
               "run pulumi up: the certificate is replaced when fewer than renewBeforeDays remain (raise it to renew "
               "earlier)")
    for r, p in resources_of(args, "NdesRole"):
        ras = as_list(p.get("raCertificates"))
        entries = [(c.get("template") or "RA", c.get("notAfter")) for c in ras or [] if isinstance(c, dict)]
        if not entries and p.get("raNotAfter") is not None:
            entries = [("RA", p.get("raNotAfter"))]
        for template, not_after in entries:
            yield (r, f"the NDES {template} RA certificate on {host_of(p) or r.name}", not_after,
                   "NDES signs and decrypts every SCEP exchange with its RA certificates; when they expire, "
                   "enrollment stops for every device",
                   "ndes:ndesRole", "renew the EnrollmentAgentOffline and CEPEncryption certificates on the NDES host "
                   "before that date and restart IIS (no config value renews them)")
    for r, p in resources_of(args, "IntuneConnector"):
        yield (r, f"the Intune Certificate Connector certificate on {host_of(p) or r.name}",
               p.get("certificateNotAfter"),
               "the connector authenticates to Intune with it; once expired Intune refuses it (403.17) and no "
               "challenge can be validated", "ndes:connector",
               "re-register the connector (interactive sign-in) to get a new certificate")
    for r, p in resources_of(args, "CaCertificate"):
        for prefix, role in (("issuing", "issuing"), ("root", "root")):
            subject = p.get(f"{prefix}Subject")
            named = f" ({subject})" if isinstance(subject, str) and subject else ""
            yield (r, f"the {role} CA certificate{named} of {p.get('caName') or host_of(p) or r.name}",
                   p.get(f"{prefix}NotAfter"),
                   "no certificate can outlive its CA; devices stop trusting the chain when it expires",
                   "ndes:ca", f"renew the {role} CA certificate and redeploy the trusted certificate profiles")


def validate(args: Any, report_violation: ReportViolation) -> None:
    days = int(setting(args, "expiryWarningDays", DEFAULT_DAYS))
    now = now_utc()
    horizon = now + dt.timedelta(days=days)
    for r, what, not_after, why, key, fix in certificates(args):
        t = parse_time(not_after)
        if t is None or t > horizon:
            continue
        left = (t - now).total_seconds() / 86400
        when = (f"expired on {t:%Y-%m-%d}" if left < 0 else
                f"expires on {t:%Y-%m-%d} ({round(left)} days left, the policy warns {days} days ahead)")
        report_violation(message(f"{what} {when}", why, key, fix), r.urn)


expiry = StackValidationPolicy(
    name="certificate-expiry",
    description="The SSL, RA, connector and CA certificates do not expire within the warning window.",
    validate=validate,
    enforcement_level=EnforcementLevel.ADVISORY,
    config_schema=PolicyConfigSchema(properties={
        "expiryWarningDays": {"type": "integer", "default": DEFAULT_DAYS, "minimum": 1, "maximum": 3650,
                              "description": "Warn when a certificate expires within this many days."}}),
)

POLICIES = [expiry]
