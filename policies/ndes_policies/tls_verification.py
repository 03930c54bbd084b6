"""TLS verification stays on outside the lab: no resource input `insecureSkipTlsVerify: true` (at any depth,
e.g. connection.insecureSkipTlsVerify, or endpoint.insecureSkipTlsVerify in state from before connections) unless the stack's name is listed in the policy
config `allowInsecureTlsStacks` (default ["lab"]).

How the pack knows the stack: the engine gives policy packs PULUMI_STACK (and pulumi.get_stack() reads it). The
stack's own `ndes:lab: true` deliberately does not count: it is a value a pull request can change, the stack
name is fixed by the pipeline (STACK), so a production stack cannot talk its way out of verification.
"""
from __future__ import annotations

from typing import Any, Iterator

from pulumi_policy import EnforcementLevel, PolicyConfigSchema, ReportViolation, ResourceValidationPolicy

from ndes.model.rules import INSECURE_TLS_STACKS, tls_off_allowed

from ._common import config_key, current_stack, message, props_of, setting

FIELD = "insecureSkipTlsVerify"
DEFAULT_ALLOWED = list(INSECURE_TLS_STACKS)


def insecure_paths(value: Any, path: str = "") -> Iterator[str]:
    """Dotted paths of every `insecureSkipTlsVerify: true` inside a property tree."""
    if isinstance(value, dict):
        for k, v in value.items():
            sub = f"{path}.{k}" if path else str(k)
            if k == FIELD and v is True:
                yield sub
            else:
                yield from insecure_paths(v, sub)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from insecure_paths(v, f"{path}[{i}]")


def _key(props: dict[str, Any], path: str) -> str:
    conn = props.get("connection")
    ref = conn.get("ref") if isinstance(conn, dict) and isinstance(conn.get("ref"), str) else ""
    if path.startswith("endpoint.") or ref.startswith("winrm:"):  # the connection a resource names (connections.py)
        return "ndes:winrm.insecureSkipTlsVerify (or ndes:ca.winrm / ndes:ndesHosts[].winrm)"
    if "ldapUrl" in props or ref == "ldap":
        return "ndes:domain.insecureSkipTlsVerify"
    if "tenantId" in props or ref.startswith("graph"):
        return "ndes:graph.insecureSkipTlsVerify"
    return config_key(props, "ndes", path)


def validate(args: Any, report_violation: ReportViolation) -> None:
    props = props_of(args)
    paths = list(insecure_paths(props))
    if not paths:
        return
    stack = current_stack()
    allowed = [str(s) for s in setting(args, "allowInsecureTlsStacks", DEFAULT_ALLOWED)]
    if tls_off_allowed(stack, allowed):
        return
    for path in paths:
        report_violation(message(
            f"{path} is true on stack '{stack}' (TLS verification is allowed off only on: "
            f"{', '.join(allowed) or 'no stack'})",
            "with verification off anyone on the path can pose as the DC, the Windows hosts or Graph and collect "
            "the bind password, the WinRM credentials or the Graph secret that Pulumi sends",
            _key(props, path), "remove it and give caBundle (the CA that issued the server's certificate)"), None)


tls_on = ResourceValidationPolicy(
    name="tls-verification-on",
    description="TLS certificate verification is not turned off outside the lab stack.",
    validate=validate,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=PolicyConfigSchema(properties={
        "allowInsecureTlsStacks": {"type": "array", "items": {"type": "string"}, "default": DEFAULT_ALLOWED,
                                   "description": "Stacks where insecureSkipTlsVerify may be true."}}),
)

POLICIES = [tls_on]
