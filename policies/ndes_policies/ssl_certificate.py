"""The NDES host's SSL certificate (MachineCertificate) and its IIS https binding (IisHttpsBinding).

- ssl-certificate-names (stack): the certificate's SANs hold the external FQDN (the App Proxy external URL of
  that host) and the internal FQDN (the host itself), and its CN is one of them;
- iis-binding-empty-host-name: the https binding on 443 has an empty host name (IIS proposes the machine name).
"""
from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationPolicy, StackValidationPolicy

from ndes.model.rules import missing_names

from ._common import (as_list, config_key, deployment, host_of, is_unknown, kind_of, known_str, message,
                      props_of, resources_of)

KEY = "ndes:sslCertificate"


def _host(url: Any) -> str | None:
    if not isinstance(url, str):
        return None
    try:
        return (urlsplit(url).hostname or "").lower().rstrip(".") or None
    except ValueError:
        return None


def external_fqdns(args: Any, internal: str, names: set[str]) -> set[str]:
    """External FQDNs published for a host: App Proxy applications whose internal URL reaches it, and the
    stack config's ndes:ndesHosts[].externalUrl of that host (when the stack has no App Proxy plane)."""
    out = set()
    for _, p in resources_of(args, "AppProxyApplication"):
        target = _host(p.get("internalUrl"))
        ext = _host(p.get("externalUrl"))
        if ext and target and (target == internal or target in names):
            out.add(ext)
    cfg = deployment()
    for h in cfg.ndes_hosts if cfg is not None else []:
        ext = _host(h.external_url)
        if ext and h.fqdn == internal:
            out.add(ext)
    return out


def validate_names(args: Any, report_violation: ReportViolation) -> None:
    for r, p in resources_of(args, "MachineCertificate"):
        names_list = as_list(p.get("dnsNames"))
        if names_list is None:
            continue
        names = {str(n).lower().rstrip(".") for n in names_list}
        internal = host_of(p)
        cn = known_str(p.get("commonName"))
        label = f"the SSL certificate of {internal or r.name}"
        why = ("App Proxy reaches NDES by its internal FQDN while devices and the Intune connector check the "
               "external one; a name missing from the SANs fails the TLS handshake and SCEP enrollment stops "
               "(the seed guide's SAN step)")
        wanted = ([internal] if internal else []) + sorted(external_fqdns(args, internal or "", names))
        missing = missing_names(names, wanted)
        if missing:
            report_violation(message(
                f"{label} lacks {', '.join(missing)} in its subject alternative names ({', '.join(sorted(names))})",
                why, config_key(p, KEY, "subjectAlternativeNames"),
                "keep both the external and the internal FQDN (ndes:ndesHosts[].externalUrl and .fqdn); "
                "extra names go to subjectAlternativeNames"), r.urn)
        if cn is not None and cn.lower().rstrip(".") not in names:
            report_violation(message(
                f"{label} has CN '{cn}', which is not one of its DNS names ({', '.join(sorted(names))})",
                "Microsoft's SCEP troubleshooting checks that the CN is the external (or internal) FQDN; a CN "
                "outside the SANs is a name clients do not match", config_key(p, KEY, "commonName"),
                "choose external or internal"), r.urn)


def validate_binding_host(args: Any, report_violation: ReportViolation) -> None:
    if kind_of(args.resource_type) != "IisHttpsBinding":
        return
    props = props_of(args)
    host_name = props.get("hostName")
    if isinstance(host_name, str) and host_name.strip() and not is_unknown(host_name):
        report_violation(message(
            f"the https binding of '{props.get('siteName') or 'Default Web Site'}' on {host_of(props) or '?'} has "
            f"host name '{host_name}'",
            "with a host name IIS answers only requests for that name (SNI); App Proxy and devices reach NDES by "
            "other names and get no certificate or the wrong site (a reader comment on the seed guide: the "
            "console fills in the machine name)",
            config_key(props, "ndes:sslCertificate"),
            "leave the binding's host name empty (it is not a setting: a value here comes from an adopted or "
            "hand-edited binding)"), None)


names = StackValidationPolicy(
    name="ssl-certificate-names",
    description="The NDES SSL certificate's SANs hold the external and internal FQDNs and its CN is one of them.",
    validate=validate_names,
    enforcement_level=EnforcementLevel.MANDATORY,
)
binding_host = ResourceValidationPolicy(
    name="iis-binding-empty-host-name",
    description="The NDES https binding has an empty host name.",
    validate=validate_binding_host,
    enforcement_level=EnforcementLevel.MANDATORY,
)

POLICIES = [names, binding_host]
