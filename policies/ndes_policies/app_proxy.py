"""App Proxy: the NDES application uses passthrough pre-authentication (advisory by default)."""
from __future__ import annotations

from typing import Any

from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationPolicy

from ._common import config_key, kind_of, known_str, message, props_of


def validate(args: Any, report_violation: ReportViolation) -> None:
    if kind_of(args.resource_type) != "AppProxyApplication":
        return
    props = props_of(args)
    mode = known_str(props.get("preAuthentication"))
    if mode is not None and mode.lower() != "passthrough":
        report_violation(message(
            f"App Proxy application '{props.get('displayName')}' ({props.get('externalUrl')}) uses {mode} "
            "pre-authentication",
            "devices call the SCEP URL without an Entra sign-in, so Entra pre-authentication answers them with a "
            "login page and enrollment fails; NDES authenticates each request itself with the Intune-signed "
            "challenge, which is why Microsoft publishes NDES with passthrough",
            config_key(props, "ndes:appProxy", "preAuthentication"), "set it to passthrough"), None)


passthrough = ResourceValidationPolicy(
    name="app-proxy-passthrough",
    description="The NDES App Proxy application uses passthrough pre-authentication.",
    validate=validate,
    enforcement_level=EnforcementLevel.ADVISORY,
)

POLICIES = [passthrough]
