"""Intune SCEP profiles (ScepProfile): their server URLs, Apple key usage, validity and renewal threshold, and
the trusted root each is linked to (a stack policy: the root must be assigned to every group the profile is).
"""
from __future__ import annotations

from typing import Any

from pulumi_policy import (EnforcementLevel, PolicyConfigSchema, ReportViolation, ResourceValidationPolicy,
                           StackValidationPolicy)

from ndes.model.graph_enums import APPLE
from ndes.model.rules import apple_refuses, scep_url_problem, uncovered
from ndes.model.urls import MSCEP_PATH as MODEL_MSCEP_PATH

from ._common import (as_int, as_list, config_key, is_unknown, kind_of, message, props_of,
                      resources_of, setting)

KIND = "ScepProfile"
ROOT_KIND = "TrustedCertificateProfile"
TEMPLATE_KIND = "CertificateTemplate"
KEY = "ndes:intune.scep"
MSCEP_PATH = "/" + MODEL_MSCEP_PATH
UNIT_DAYS = {"day": 1, "week": 7, "month": 30, "year": 365}
DEFAULTS = {"minValidityDays": 30, "maxValidityDays": 730, "minRenewalThresholdPercent": 10,
            "maxRenewalThresholdPercent": 50}


def _scep(args: Any) -> dict[str, Any] | None:
    return props_of(args) if kind_of(args.resource_type) == KIND else None


def _label(props: dict[str, Any]) -> str:
    return f"SCEP profile '{props.get('displayName') or props.get('platform') or '?'}'"


def validate_urls(args: Any, report_violation: ReportViolation) -> None:
    props = _scep(args)
    if props is None or "scepServerUrls" not in props:
        return
    urls = as_list(props.get("scepServerUrls"))
    if urls is None:
        return
    why = ("devices fetch their certificate from exactly these URLs; NDES answers SCEP only at "
           f"https://<external FQDN>{MSCEP_PATH}, and over plain http the one-time challenge travels in clear")
    fix = f"give each NDES host an https externalUrl (the SCEP URL is <externalUrl>{MSCEP_PATH[1:]})"
    if not urls:
        report_violation(message(f"{_label(props)} lists no SCEP server URL", why, "ndes:ndesHosts[].externalUrl",
                                 fix), None)
    for url in urls:
        if not isinstance(url, str):
            continue
        problem = scep_url_problem(url)
        if problem:
            report_violation(message(f"{_label(props)}: SCEP server URL '{url}' {problem}", why,
                                     "ndes:ndesHosts[].externalUrl", fix), None)


def period_days(text: Any) -> int | None:
    """'1 year' -> 365, '6 months' -> 180, '14 days' -> 14 (a month counted as 30 days); None if unreadable."""
    if not isinstance(text, str):
        return None
    parts = text.strip().lower().split()
    if len(parts) != 2 or not parts[0].isdigit():
        return None
    unit = parts[1][:-1] if parts[1].endswith("s") else parts[1]
    return int(parts[0]) * UNIT_DAYS[unit] if unit in UNIT_DAYS else None


def validate_lifetime(args: Any, report_violation: ReportViolation) -> None:
    props = _scep(args)
    if props is None:
        return
    b = {k: int(setting(args, k, v)) for k, v in DEFAULTS.items()}
    days = period_days(props.get("validity"))
    if days is not None and not b["minValidityDays"] <= days <= b["maxValidityDays"]:
        report_violation(message(
            f"{_label(props)} issues certificates valid for {props.get('validity')} ({days} days), outside "
            f"{b['minValidityDays']}-{b['maxValidityDays']} days",
            "a long-lived device certificate keeps working on a lost or retired device long after Intune drops it, "
            "a very short one makes every device renew through NDES and the CA over and over",
            config_key(props, KEY, "validity"),
            f"choose a validity between {b['minValidityDays']} and {b['maxValidityDays']} days (and keep "
            "templates.client.validity at least as long)"), None)
    pct = as_int(props.get("renewalThresholdPercent"))
    if pct is not None and not b["minRenewalThresholdPercent"] <= pct <= b["maxRenewalThresholdPercent"]:
        report_violation(message(
            f"{_label(props)} renews when {pct}% of the lifetime is left, outside "
            f"{b['minRenewalThresholdPercent']}-{b['maxRenewalThresholdPercent']}%",
            "too low and a device that checks in rarely loses Wi-Fi/VPN when its certificate expires before "
            "renewal; too high and devices re-enroll through NDES long before they need to",
            config_key(props, KEY, "renewalThresholdPercent"),
            f"set it between {b['minRenewalThresholdPercent']} and {b['maxRenewalThresholdPercent']} (Intune's "
            "default is 20)"), None)


def validate_apple_key_usage(args: Any, report_violation: ReportViolation) -> None:
    """Stack: iOS/macOS SCEP profiles, and the client template they enroll from, without nonRepudiation."""
    apple = [(r, p) for r, p in resources_of(args, KIND) if p.get("platform") in APPLE]
    if not apple:
        return
    why = ("iOS and macOS refuse a SCEP certificate whose key usage includes nonRepudiation ('Signature is proof "
           "of origin'): enrollment fails on every Apple device")
    for r, p in apple:
        if apple_refuses(str(p.get("platform")), as_list(p.get("keyUsage")) or []):
            report_violation(message(f"{_label(p)} ({p.get('platform')}) asks for nonRepudiation", why,
                                     config_key(p, KEY, "keyUsage"), "remove nonRepudiation"), r.urn)
    platforms = ", ".join(sorted({str(p.get("platform")) for _, p in apple}))
    for r, p in resources_of(args, TEMPLATE_KIND):
        if p.get("kind") == "client" and "nonRepudiation" in (as_list(p.get("keyUsage")) or []):
            report_violation(message(
                f"client template '{p.get('name')}' sets nonRepudiation while SCEP profiles target {platforms}",
                why, config_key(p, "ndes:templates.client", "keyUsage"), "remove nonRepudiation"), r.urn)


def _root_of(args: Any, scep: Any, props: dict[str, Any]) -> tuple[Any, dict[str, Any]] | None | str:
    """The TrustedCertificateProfile a SCEP profile links to; None: not linked; "?": cannot tell yet."""
    roots = list(resources_of(args, ROOT_KIND))
    root_id = props.get("rootProfileId")
    if isinstance(root_id, str) and root_id:
        for r, p in roots:
            if p.get("profileId") == root_id:
                return r, p
    deps = [d for d in (getattr(scep, "property_dependencies", None) or {}).get("rootProfileId", [])
            if kind_of(d.resource_type) == ROOT_KIND]
    if deps:
        dep = deps[0]
        return next(((r, p) for r, p in roots if r.urn == dep.urn), (dep, props_of(dep)))
    if is_unknown(root_id) or "rootProfileId" not in props:
        return "?"
    if isinstance(root_id, str) and root_id:
        return "?" if not roots else None
    return None


def included_targets(words: list[Any]) -> set[str]:
    """The targets devices get a profile through, from assignment words (ndes.graph.intune.target_word): an
    exclusion ('exclude:<id>') gives none, and a filter (' filter:include:<name>') narrows its target without
    changing it, so a root assigned to the group itself covers the filtered SCEP assignment."""
    return {str(w).split(" filter:", 1)[0].strip().lower() for w in words
            if not str(w).lower().startswith("exclude:")}


def validate_trusted_root(args: Any, report_violation: ReportViolation) -> None:
    """Stack: each SCEP profile links a trusted root profile assigned to all of its groups."""
    for scep, p in resources_of(args, KIND):
        if p.get("rootOutsideStack") is True:
            continue  # an existing root the config links by id (rootProfileIds): its assignments are the admin's
        found = _root_of(args, scep, p)
        if found == "?":
            continue
        if found is None:
            report_violation(message(
                f"{_label(p)} is not linked to a trusted root certificate profile of this stack",
                "a device accepts the SCEP certificate only if it already trusts the issuing chain's root, which "
                "Intune delivers in the linked trusted certificate profile",
                "ndes:intune.trustedRoot", "deploy the root profile with the SCEP profiles (ndes:intune.platforms) "
                "so each SCEP profile links its platform's root"), scep.urn)
            continue
        root, rp = found
        if rp.get("platform") and p.get("platform") and rp.get("platform") != p.get("platform"):
            report_violation(message(
                f"{_label(p)} ({p.get('platform')}) links a {rp.get('platform')} trusted root profile",
                "Intune delivers a root only to its own platform; the device would never receive it",
                "ndes:intune.platforms", "link each SCEP profile to the root profile of the same platform"), scep.urn)
        groups, root_groups = as_list(p.get("groups")), as_list(rp.get("groups"))
        if groups is None or root_groups is None:
            continue
        missing = sorted(uncovered(included_targets(groups), included_targets(root_groups)))
        if missing:
            report_violation(message(
                f"{_label(p)} is assigned to {', '.join(missing)} but its trusted root "
                f"'{rp.get('displayName') or root.name}' is not",
                "devices in those groups get the SCEP profile without the root: they refuse the certificate chain "
                "and the profile fails to install",
                "ndes:intune.trustedRoot.groups", "add those groups (or leave it unset to follow "
                "ndes:intune.scep.groups)"), scep.urn)


urls = ResourceValidationPolicy(
    name="scep-url-format",
    description="SCEP profiles point at https://<external FQDN>/certsrv/mscep/mscep.dll.",
    validate=validate_urls,
    enforcement_level=EnforcementLevel.MANDATORY,
)
lifetime = ResourceValidationPolicy(
    name="scep-validity-and-renewal",
    description="SCEP certificate validity and renewal threshold stay within the configured bounds.",
    validate=validate_lifetime,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=PolicyConfigSchema(properties={
        "minValidityDays": {"type": "integer", "default": DEFAULTS["minValidityDays"], "minimum": 1},
        "maxValidityDays": {"type": "integer", "default": DEFAULTS["maxValidityDays"], "minimum": 1},
        "minRenewalThresholdPercent": {"type": "integer", "default": DEFAULTS["minRenewalThresholdPercent"],
                                       "minimum": 1, "maximum": 99},
        "maxRenewalThresholdPercent": {"type": "integer", "default": DEFAULTS["maxRenewalThresholdPercent"],
                                       "minimum": 1, "maximum": 99},
    }),
)
apple_key_usage = StackValidationPolicy(
    name="scep-apple-no-nonrepudiation",
    description="iOS/macOS SCEP profiles (and the client template) use no nonRepudiation key usage.",
    validate=validate_apple_key_usage,
    enforcement_level=EnforcementLevel.MANDATORY,
)
trusted_root = StackValidationPolicy(
    name="scep-trusted-root-groups",
    description="Each SCEP profile links a trusted root profile assigned to all of its groups.",
    validate=validate_trusted_root,
    enforcement_level=EnforcementLevel.MANDATORY,
)

POLICIES = [urls, lifetime, apple_key_usage, trusted_root]
