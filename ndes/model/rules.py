"""The seed guide's cross-checks as pure rules, written once.

Each rule takes plain values (host names, key usage names, group ids, numbers) and answers what is wrong, so
the two places that enforce it apply the same rule: the preview checks on the configuration (checks.py,
profile_checks.py: an error that names the config key) and the policy pack on the resources' inputs
(policies/ndes_policies: a violation at `pulumi preview --policy-pack`). The eight:

1. key usage <-> MSCEP registry value <-> template purpose: `template_serves`;
2. SCEP URL format (https://<external FQDN>/certsrv/mscep/mscep.dll): `scep_url_problem` (the model builds the
   URLs with urls.scep_url; the policy checks what reaches Intune);
3. the SSL certificate's SANs hold both FQDNs: `missing_names`;
4. the CA and NDES on different servers: `same_server`;
5. keys of at least 2048 bits: `key_too_small`;
6. no nonRepudiation for iOS/macOS: `apple_refuses`;
7. the trusted root assigned to every group its SCEP profile is: `uncovered`;
8. TLS verification off only on the lab stack: `tls_off_allowed`.
"""
from __future__ import annotations

from typing import Iterable
from urllib.parse import urlsplit

from .graph_enums import APPLE
from .keyusage import PURPOSES, template_purpose
from .urls import MSCEP_PATH

MIN_KEY_SIZE = 2048
"""The guide's minimum RSA key size (templates, SCEP profiles, the SSL certificate)."""
INSECURE_TLS_STACKS = ("lab",)
"""The stacks whose config may turn TLS verification off; the policy pack's allowInsecureTlsStacks default is the
same list. The stack name is fixed by the pipeline; `ndes:lab` is config, which a pull request can change, so it
does not count."""


def template_serves(mscep_value: str, template_key_usage: Iterable[str]) -> bool:
    """Whether a template with this key usage has the purpose the MSCEP value needs (the Intune connector reads
    the value `keyusage.mscep_value_for` gives for a SCEP profile's key usage, and NDES requests that template)."""
    return template_purpose(list(template_key_usage)) == PURPOSES[mscep_value]


def scep_url_problem(url: str) -> str | None:
    """Why a SCEP server URL is wrong, or None when it is https://<host>/certsrv/mscep/mscep.dll."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return "is not a URL"
    if parts.scheme.lower() != "https":
        return "does not use https"
    if not parts.hostname:
        return "has no host name"
    if parts.query or parts.fragment:
        return "carries a query or fragment"
    if not parts.path.lower().endswith("/" + MSCEP_PATH) or parts.path.endswith("/"):
        return f"does not end in /{MSCEP_PATH}"
    return None


def _name(n: str) -> str:
    return str(n).strip().lower().rstrip(".")


def missing_names(names: Iterable[str], wanted: Iterable[str]) -> list[str]:
    """The wanted DNS names a certificate's names lack (DNS names compare without case or a final dot)."""
    have = {_name(n) for n in names}
    return [w for w in wanted if _name(w) not in have]


def same_server(a: str, b: str) -> bool:
    """Whether two host names are one server (the CA and NDES must not be)."""
    return bool(a) and bool(b) and _name(a) == _name(b)


def key_too_small(bits: int, minimum: int = MIN_KEY_SIZE) -> bool:
    return bits < minimum


def apple_refuses(platform: str, key_usage: Iterable[str]) -> bool:
    """iOS and macOS refuse a SCEP certificate whose key usage includes nonRepudiation."""
    return platform in APPLE and "nonRepudiation" in key_usage


def uncovered(profile_targets: Iterable[str], root_targets: Iterable[str]) -> list[str]:
    """The targets a SCEP profile is assigned to that its trusted root is not (devices there would get the
    profile without the root and refuse the chain), in the profile's order."""
    roots = set(root_targets)
    return [t for t in profile_targets if t not in roots]


def tls_off_allowed(stack: str | None, allowed: Iterable[str] = INSECURE_TLS_STACKS) -> bool:
    """Whether TLS verification may be off on this stack (None: a stack whose name is not known: never)."""
    return stack is not None and stack in set(allowed)
