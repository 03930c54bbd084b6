"""Certificate templates that cannot be turned against the domain (SpecterOps, "Certified Pre-Owned", 2021):

- template-extra-grants: someone besides the built-in admins and the intended enroll principals can enroll on or
  change a template (ESC1/ESC4). Read from the template's refreshed state (`extraGrants`, which the provider's read
  fills), so it shows on `pulumi preview --refresh` and after any up. Advisory: `removeExtraGrants` is the fix.
- ssl-template-server-auth-only: the SSL template takes its subject from the request, so a logon EKU on it
  (clientAuth, smartcardLogon, anyPurpose) lets whoever controls the NDES host ask for a certificate that logs on
  as any user (ESC1). The Certificate Connector for Microsoft Intune needs no client-authentication certificate on
  NDES (Microsoft's "Configure infrastructure to support SCEP with Intune", Certificates and templates).
"""
from __future__ import annotations

from typing import Any

from pulumi_policy import (EnforcementLevel, ReportViolation, ResourceValidationPolicy, StackValidationPolicy)

from ._common import as_list, config_key, kind_of, message, props_of, resources_of

KIND = "CertificateTemplate"
LOGON_EKUS = ("clientAuth", "1.3.6.1.5.5.7.3.2", "smartcardLogon", "1.3.6.1.4.1.311.20.2.2", "anyPurpose",
              "2.5.29.37.0", "pkinitClientAuth", "1.3.6.1.5.2.3.4")


def validate_extra_grants(args: Any, report_violation: ReportViolation) -> None:
    for r, p in resources_of(args, KIND):
        grants = [g for g in as_list(p.get("extraGrants")) or [] if isinstance(g, str)]
        if not grants:
            continue
        kind = p.get("kind") if p.get("kind") in ("ssl", "client") else "client"
        key = config_key(p, f"ndes:templates.{kind}", "removeExtraGrants")
        report_violation(message(
            f"template '{p.get('name')}' grants {'; '.join(grants)}",
            "whoever may enroll can request a certificate naming any user (ESC1); write, owner or full control lets "
            "them change the template into that shape (ESC4)",
            key, "set it to true and run pulumi up to remove the explicit grants (inherited ones are on the "
                 "Certificate Templates container), or remove them on the template's Security tab"), r.urn)


def validate_ssl_eku(args: Any, report_violation: ReportViolation) -> None:
    if kind_of(args.resource_type) != KIND:
        return
    p = props_of(args)
    if p.get("kind") != "ssl" or p.get("enrolleeSuppliesSubject") is False:
        return
    logon = [e for e in as_list(p.get("extendedKeyUsage")) or [] if e in LOGON_EKUS]
    if logon:
        report_violation(message(
            f"SSL template '{p.get('name')}' takes the subject from the request and allows {', '.join(logon)}",
            "whoever controls the internet-facing NDES host can request a certificate for any user that logs on "
            "to the domain (ESC1); IIS needs Server Authentication only",
            config_key(p, "ndes:templates.ssl", "extendedKeyUsage"), "set it to [serverAuth]"), None)


extra_grants = StackValidationPolicy(
    name="template-extra-grants",
    description="Nobody but the built-in admins and the enroll principals can enroll on or change a template.",
    validate=validate_extra_grants,
    enforcement_level=EnforcementLevel.ADVISORY,
)
ssl_eku = ResourceValidationPolicy(
    name="ssl-template-server-auth-only",
    description="The SSL template (subject supplied in the request) allows no logon EKU.",
    validate=validate_ssl_eku,
    enforcement_level=EnforcementLevel.ADVISORY,
)

POLICIES = [extra_grants, ssl_eku]
