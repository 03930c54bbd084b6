"""Strong certificate mapping (KB5014754): a SCEP profile issuing user certificates with client authentication on
iOS/iPadOS, macOS or Windows carries the SID URI SAN `{{OnPremisesSecurityIdentifier}}` (Intune writes it as
tag:microsoft.com,2022-09-14:sid:<SID>; Microsoft, "Create and assign SCEP certificate profiles in Intune").
Without it, domain controllers in Full Enforcement refuse the certificate for Kerberos (or, before that, map it
weakly by UPN, which a certificate naming another user abuses). Advisory: `ndes:intune.scep.strongMapping`."""
from __future__ import annotations

from typing import Any

from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationPolicy

from ._common import as_list, config_key, kind_of, message, props_of

SID_VARIABLE = "{{OnPremisesSecurityIdentifier}}"
PLATFORMS = ("ios", "macos", "windows")
CLIENT_AUTH = ("clientAuth", "1.3.6.1.5.5.7.3.2", "anyPurpose", "2.5.29.37.0")


def validate(args: Any, report_violation: ReportViolation) -> None:
    if kind_of(args.resource_type) != "ScepProfile":
        return
    p = props_of(args)
    if p.get("platform") not in PLATFORMS or p.get("certificateStore", "user") != "user":
        return
    ekus = as_list(p.get("extendedKeyUsage")) or []
    if not any(e in CLIENT_AUTH for e in ekus):
        return
    sans = [s for s in as_list(p.get("subjectAlternativeNames")) or [] if isinstance(s, dict)]
    if any(s.get("type") == "universalResourceIdentifier" and SID_VARIABLE in str(s.get("value") or "")
           for s in sans):
        return
    report_violation(message(
        f"SCEP profile '{p.get('displayName')}' issues user certificates with client authentication but no SID URI "
        f"SAN ({SID_VARIABLE})",
        "since KB5014754's full enforcement domain controllers refuse certificates that do not map strongly to "
        "their account; a UPN alone is a weak mapping",
        config_key(p, "ndes:intune.scep", "strongMapping"),
        "set it to true (the default), or add a universalResourceIdentifier SAN with that value"), None)


strong_mapping = ResourceValidationPolicy(
    name="scep-strong-mapping",
    description="User SCEP certificates with client authentication carry the SID URI SAN (KB5014754).",
    validate=validate,
    enforcement_level=EnforcementLevel.ADVISORY,
)

POLICIES = [strong_mapping]
