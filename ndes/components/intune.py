"""Intune: the trusted certificate profiles and the SCEP profiles for every configured platform.

Per platform (ndes.model.graph_enums.PLATFORMS):
    TrustedCertificateProfile  the root CA (iOS, macOS, Android, Windows -> computerCertStoreRoot)
    TrustedCertificateProfile  the issuing CA where the platform needs the chain (Android work profile and
                               device owner; Windows -> computerCertStoreIntermediate)
    ScepProfile                linked to the platform's root profile, one URL per NDES server
Groups: by object id, by display name (pulumi-azuread get_group), or created (azuread.Group, create: true).
The trusted root profiles go to every group the SCEP profiles go to (and to intune.trustedRoot.groups): a
device given a SCEP profile without its root would refuse the certificate chain.
"""
from __future__ import annotations

from typing import Any, Callable

import pulumi

from ..declare import Declared
from ..declare import graph as g_decl
from ..declare.graph import ISSUING_PLATFORMS, issuing_file_name, trusted_root_group_refs  # noqa: F401 (their home)
from ..model.config import DeploymentConfig, GroupRef, ScepConfig
from ..model.scep_variables import validity_beyond_ca
from ..providers.resources import ScepProfile, TrustedCertificateProfile, resource_of
from . import connection


class GroupResolver:
    """Object ids of configured groups: ids as given; names through pulumi-azuread (imported only when used,
    so a stack giving ids needs no azuread plugin)."""

    def __init__(self, parent: pulumi.Resource, name: str):
        self._parent = parent
        self._name = name
        self._cache: dict[str, pulumi.Output[str]] = {}
        self.created: list[pulumi.Resource] = []

    def __call__(self, ref: GroupRef) -> pulumi.Output[str]:
        if ref.key in self._cache:
            return self._cache[ref.key]
        if ref.id:
            out = pulumi.Output.from_input(ref.id.lower())
        else:
            import pulumi_azuread as azuread
            if ref.create:
                slug = "".join(ch if ch.isalnum() else "-" for ch in (ref.name or "").lower()).strip("-")
                g = azuread.Group(f"{self._name}-group-{slug}", display_name=ref.name, security_enabled=True,
                                  mail_enabled=False, opts=pulumi.ResourceOptions(parent=self._parent))
                self.created.append(g)
                out = g.object_id
            else:
                out = azuread.get_group_output(display_name=ref.name, security_enabled=True,
                                               opts=pulumi.InvokeOptions(parent=self._parent)).object_id
            out = out.apply(lambda v: v.lower())
        self._cache[ref.key] = out
        return out

    def ids(self, refs: list[GroupRef]) -> pulumi.Output[list[str]]:
        return pulumi.Output.all(*[self(r) for r in refs]).apply(lambda ids: sorted(set(ids)))


def assignment_words(prof: ScepConfig, platform: str,
                     resolve: Callable[[GroupRef], pulumi.Output[str]]) -> pulumi.Output[list[str]]:
    """A profile's assignments on one platform (ndes.declare.graph.scep_targets) once its groups are resolved."""
    inc, exc = prof.include_groups, prof.assignments.exclude
    return pulumi.Output.all(*[resolve(g) for g in [*inc, *exc]]).apply(
        lambda ids: g_decl.scep_targets(prof, platform, ids[:len(inc)], ids[len(inc):]))


class Intune(pulumi.ComponentResource):
    """Trusted certificate and SCEP profiles for cfg.intune.platforms.

    `ca_certificates`: {"root": base64 DER, "issuing": base64 DER or None} (Inputs: the CA host plane's
    CaCertificate outputs, or lab.pki's certificates in the lab). Attributes: roots (platform -> profile),
    issuing (platform -> profile), scep (platform -> profile), resources, outputs.
    """

    TYPE = "ndes:index:Intune"
    """The chain's plane keeps this type (its URNs); ndes.IntuneProfiles, the plane alone, has its own."""

    def __init__(self, name: str, cfg: DeploymentConfig, secrets: dict[str, Any],
                 ca_certificates: dict[str, pulumi.Input[str] | None],
                 opts: pulumi.ResourceOptions | None = None, owner_prefix: str | None = None,
                 group_resolver: Callable[[GroupRef], pulumi.Output[str]] | None = None):
        super().__init__(self.TYPE, name, None, opts)
        prefix = owner_prefix or f"{pulumi.get_project()}/{pulumi.get_stack()}"
        conn = connection.graph(cfg, secrets or {})
        it = cfg.intune
        resolver = GroupResolver(self, name)
        resolve = group_resolver or resolver
        root_groups = pulumi.Output.all(*[resolve(g) for g in trusted_root_group_refs(cfg)]).apply(
            lambda ids: g_decl.root_targets(cfg, ids))
        child = pulumi.ResourceOptions(parent=self)

        def make(d: Declared, fed: dict[str, Any] | None = None,
                 opts: pulumi.ResourceOptions | None = None) -> pulumi.CustomResource:
            res = f"{name}-{d.step}"
            return resource_of(d.provider)(res, {
                **conn, "owner": f"{prefix}/{res}", "configKey": d.config_key, "adopt": d.adopt, **d.props,
                **(fed or {})}, opts or child)

        self.roots: dict[str, TrustedCertificateProfile] = {}
        self.issuing: dict[str, TrustedCertificateProfile] = {}
        self.extra: dict[str, TrustedCertificateProfile] = {}
        self.scep: dict[str, ScepProfile] = {}
        for step, d in g_decl.trusted_profiles(cfg, ca_certificates, root_groups).items():
            platform, _, kind = step.partition("-")
            r = make(d)
            if kind == "root":
                self.roots[platform] = r
            elif kind == "issuing":
                self.issuing[platform] = r
            else:  # <platform>-trusted-<slug>
                self.extra[f"{kind.removeprefix('trusted-')}-{platform}"] = r
        entries = {f"ndes:{key}": (key, sc) for key, sc, _ in it.scep_profile_entries()}
        first_key = next(iter(entries)) if it.scep_profiles else None
        issuing_der = ca_certificates.get("issuing")
        ca_der = issuing_der if issuing_der is not None else ca_certificates["root"]
        validity = {k: pulumi.Output.from_input(ca_der).apply(
            lambda der, sc=sc, key=key: checked_validity(sc, der, key)) for k, (key, sc) in entries.items()}
        declared = g_decl.scep_profiles(cfg, {p: r.profileId for p, r in self.roots.items()},
                                        lambda sc, platform: assignment_words(sc, platform, resolve))
        for step, d in declared.items():
            platform = d.props["platform"]
            # the first named profile takes over the profiles of the intune.scep shorthand (same objects, renamed),
            # so a stack moving to scepProfiles keeps them
            alias = [pulumi.Alias(name=f"{name}-{platform}-scep")] if d.config_key == first_key else None
            self.scep[step.removesuffix("-scep")] = make(d, {"validity": validity[d.config_key]},
                pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=[
                    self.roots[platform], *([self.issuing[platform]] if platform in self.issuing else [])],
                    aliases=alias)))
        self.resources: list[pulumi.Resource] = [*resolver.created, *self.roots.values(), *self.issuing.values(),
                                                 *self.extra.values(),
                                                 *self.scep.values()]
        # a profile's Graph id is its resource id, which an update keeps known in a preview (its profileId output
        # becomes unknown there, and the stack outputs would preview as changing)
        self.outputs = {
            "trustedRootProfiles": {k: v.id for k, v in self.roots.items()},
            "issuingCaProfiles": {k: v.id for k, v in self.issuing.items()},
            "scepProfiles": {k: v.id for k, v in self.scep.items()},
        }
        if self.extra:
            self.outputs["extraTrustedProfiles"] = {k: v.id for k, v in self.extra.items()}
        self.register_outputs(self.outputs)


def checked_validity(sc: ScepConfig, ca_der: str | None, key: str) -> str:
    """The profile's validity once checked against the issuing CA's remaining life (ValueError naming the key)."""
    p = sc.validity_period
    days = p.value * 31 if p.unit == "month" else p.days  # a month counted long: the CA's end is a hard stop
    why = validity_beyond_ca(days, ca_der, None)
    if why:
        raise ValueError(f"ndes:{key}.validity: {why}")
    return sc.validity
