"""Which resources Pulumi refuses to delete, set once for the whole chain.

`protect` (Pulumi docs, resource option protect): any deployment that would delete the resource, a replacement
included, fails until the option is removed. `retainOnDelete` (docs, retainOnDelete): a delete or replace drops
the resource from the state and leaves the object on the server.

- `ndes:protect` (default true): the objects whose loss hurts are protected. The forest's templates (with their
  OID objects) and their issuance on the CA: deleting the client template stops all SCEP issuance. The service
  account: a new one is a new SID, and the CA ACE, template ACEs and SPNs are lost. The NDES role: uninstalling
  deletes the RA keys. The App Proxy application: its external URL is what every SCEP profile points to. The
  Intune profiles: deleting a profile removes its certificates from every assigned device.
  Not protected: the SSL certificate, its binding and the reboot (renewal *is* a replace), and host settings
  that a re-run restores.
- `ndes:retainAdopted` (default true): an object taken over with `adopt: true` (built by hand) is left on its
  server by a destroy or a removed config section, as `pulumi import` protects what it imports.

Applied as a transformation on NdesScepDeployment, so each plane's component stays as it is and a plane added
later is covered by its resource kind.
"""
from __future__ import annotations

from typing import Any, Callable

import pulumi

DYNAMIC_PREFIX = "pulumi-python:dynamic/ndes:"
CRITICAL = frozenset({"CertificateTemplate", "TemplateIssuance", "ServiceAccount", "NdesRole", "AppProxyApplication",
                      "TrustedCertificateProfile", "ScepProfile"})
NOTHING_ADOPTED = frozenset({"HostReboot", "CaCertificate"})
"""An action and a read-only export: nothing on a server that adopt takes over."""


def options_for(kind: str, adopted: bool, protect: bool, retain_adopted: bool) -> dict[str, bool]:
    """The resource options a resource of `kind` gets (empty: none)."""
    out: dict[str, bool] = {}
    if protect and kind in CRITICAL:
        out["protect"] = True
    if retain_adopted and adopted and kind not in NOTHING_ADOPTED:
        out["retain_on_delete"] = True
    return out


def protection(protect: bool, retain_adopted: bool) -> Callable[[pulumi.ResourceTransformationArgs],
                                                                 pulumi.ResourceTransformationResult | None]:
    """A transformation that sets protect / retainOnDelete on the chain's resources (see the module doc)."""

    def transform(args: pulumi.ResourceTransformationArgs) -> pulumi.ResourceTransformationResult | None:
        if not args.type_.startswith(DYNAMIC_PREFIX):
            return None
        props: dict[str, Any] = args.props or {}
        extra = options_for(args.type_[len(DYNAMIC_PREFIX):], props.get("adopt") is True, protect, retain_adopted)
        if not extra:
            return None
        return pulumi.ResourceTransformationResult(
            args.props, pulumi.ResourceOptions.merge(args.opts, pulumi.ResourceOptions(**extra)))

    return transform
