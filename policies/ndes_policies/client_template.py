"""The client certificate template (CertificateTemplate with kind: client), the one NDES issues devices from:
at least 2048-bit keys, private key not exportable, Client Authentication among its application policies.
"""
from __future__ import annotations

from typing import Any

from pulumi_policy import EnforcementLevel, PolicyConfigSchema, ReportViolation, ResourceValidationPolicy

from ndes.model.rules import MIN_KEY_SIZE as RULES_MIN_KEY_SIZE, key_too_small

from ._common import as_int, as_list, config_key, kind_of, message, props_of, setting

KIND = "CertificateTemplate"
KEY = "ndes:templates.client"
MIN_KEY_SIZE = RULES_MIN_KEY_SIZE
CLIENT_AUTH = ("clientAuth", "1.3.6.1.5.5.7.3.2", "anyPurpose", "2.5.29.37.0")


def _client_template(args: Any) -> dict[str, Any] | None:
    if kind_of(args.resource_type) != KIND:
        return None
    props = props_of(args)
    return props if props.get("kind") == "client" else None


def validate_key_size(args: Any, report_violation: ReportViolation) -> None:
    props = _client_template(args)
    if props is None:
        return
    size, floor = as_int(props.get("minimumKeySize")), int(setting(args, "minimumKeySize", MIN_KEY_SIZE))
    if size is not None and key_too_small(size, floor):
        report_violation(message(
            f"client template '{props.get('name')}' accepts {size}-bit keys (the policy asks for at least {floor})",
            "every device certificate NDES issues comes from this template; short RSA keys can be factored, and "
            "a stolen device identity opens Wi-Fi, VPN and mail",
            config_key(props, KEY, "minimumKeySize"), f"set it to {floor} or more (and intune.scep.keySize to match)"),
            None)


def validate_not_exportable(args: Any, report_violation: ReportViolation) -> None:
    props = _client_template(args)
    if props is None:
        return
    if props.get("exportable") is True:
        report_violation(message(
            f"client template '{props.get('name')}' lets the private key be exported",
            "an exportable device key can be copied off the device with its certificate, so the certificate "
            "no longer proves which device is connecting (the guide leaves 'Allow private key to be exported' off)",
            config_key(props, KEY, "exportable"), "set it to false"), None)


def validate_client_auth(args: Any, report_violation: ReportViolation) -> None:
    props = _client_template(args)
    if props is None:
        return
    ekus = as_list(props.get("extendedKeyUsage"))
    if ekus is not None and not any(e in CLIENT_AUTH for e in ekus):
        report_violation(message(
            f"client template '{props.get('name')}' has no Client Authentication application policy "
            f"({', '.join(map(str, ekus)) or 'none'})",
            "devices present SCEP certificates to Wi-Fi, VPN and other services as client credentials; without "
            "Client Authentication (1.3.6.1.5.5.7.3.2) those services refuse them",
            config_key(props, KEY, "extendedKeyUsage"), "add clientAuth"), None)


key_size = ResourceValidationPolicy(
    name="client-template-key-size",
    description="The client template requires RSA keys of at least 2048 bits.",
    validate=validate_key_size,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=PolicyConfigSchema(properties={
        "minimumKeySize": {"type": "integer", "default": MIN_KEY_SIZE, "minimum": 2048,
                           "description": "Smallest minimumKeySize the client template may have."}}),
)
not_exportable = ResourceValidationPolicy(
    name="client-template-key-not-exportable",
    description="The client template keeps device private keys non-exportable.",
    validate=validate_not_exportable,
    enforcement_level=EnforcementLevel.MANDATORY,
)
client_auth = ResourceValidationPolicy(
    name="client-template-client-auth",
    description="The client template carries the Client Authentication EKU.",
    validate=validate_client_auth,
    enforcement_level=EnforcementLevel.MANDATORY,
)

POLICIES = [key_size, not_exportable, client_auth]
