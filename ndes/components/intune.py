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

from ..model.config import DeploymentConfig, GroupRef, ScepConfig
from ..model.graph_enums import PLATFORMS
from ..model.scep_variables import validity_beyond_ca
from ..providers.resources import ScepProfile
from ..providers.resources import TrustedCertificateProfile
from . import connection

ISSUING_PLATFORMS = ("androidWorkProfile", "androidDeviceOwner", "windows")
EXTRA_STORE_ROLES = {"root": "root", "intermediate": "issuing", "userIntermediate": "userIssuing"}
"""intune.trustedRoot.extraCertificates[].store -> the TrustedCertificateProfile role (its Windows store)."""


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


def trusted_root_group_refs(cfg: DeploymentConfig) -> list[GroupRef]:
    """intune.trustedRoot.groups (or the SCEP groups when unset) plus every SCEP profile's include group not
    already there."""
    refs = list(cfg.intune.trusted_root_groups)
    keys = {r.key for r in refs}
    for _, prof, _ in cfg.intune.scep_profile_entries():
        for g in prof.include_groups:
            if g.key not in keys:
                refs.append(g)
                keys.add(g.key)
    return refs


def assignment_words(prof: ScepConfig, platform: str,
                     resolve: Callable[[GroupRef], pulumi.Output[str]]) -> pulumi.Output[list[str]]:
    """A profile's assignments on one platform as ndes.graph.intune.target_word's words (the ScepProfile input
    `groups`)."""
    a = prof.assignments
    f = a.filter_for(platform)
    filt = f.word if f else ""
    fixed = ([f"allLicensedUsers{filt}"] if a.all_users else []) + ([f"allDevices{filt}"] if a.all_devices else [])
    include = [resolve(g).apply(lambda gid: f"{gid}{filt}") for g in prof.include_groups]
    exclude = [resolve(g).apply(lambda gid: f"exclude:{gid}") for g in a.exclude]
    return pulumi.Output.all(*include, *exclude).apply(lambda ws: sorted(set(ws) | set(fixed)))


def root_extra_words(cfg: DeploymentConfig) -> list[str]:
    """All users / All devices targets of the SCEP profiles: their root goes there too (without filters: a
    device that gets a certificate must trust its chain)."""
    out = set()
    for _, prof, _ in cfg.intune.scep_profile_entries():
        out |= {"allLicensedUsers"} if prof.assignments.all_users else set()
        out |= {"allDevices"} if prof.assignments.all_devices else set()
    return sorted(out)


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
        extra = root_extra_words(cfg)
        root_groups = pulumi.Output.all(*[resolve(g) for g in trusted_root_group_refs(cfg)]).apply(
            lambda ids: sorted(set(ids) | set(extra)))
        child = pulumi.ResourceOptions(parent=self)
        self.roots: dict[str, TrustedCertificateProfile] = {}
        self.issuing: dict[str, TrustedCertificateProfile] = {}
        self.scep: dict[str, ScepProfile] = {}

        def meta(res: str, key: str) -> dict[str, Any]:
            return {"owner": f"{prefix}/{res}", "configKey": f"ndes:{key}", "adopt": it.adopt}

        issuing_der = ca_certificates.get("issuing")
        for platform in it.all_platforms:
            p = PLATFORMS[platform]
            res = f"{name}-{platform}-root"
            self.roots[platform] = TrustedCertificateProfile(res, {
                **conn, **meta(res, "intune.trustedRoot"), "platform": platform, "role": "root",
                "displayName": f"{it.profile_name_prefix} Root CA - {p.title}",
                "certificate": ca_certificates["root"], "certFileName": it.trusted_root.cert_file_name,
                "groups": root_groups,
            }, child)
            if platform in ISSUING_PLATFORMS and issuing_der is not None:
                res = f"{name}-{platform}-issuing"
                self.issuing[platform] = TrustedCertificateProfile(res, {
                    **conn, **meta(res, "intune.trustedRoot"), "platform": platform, "role": "issuing",
                    "displayName": f"{it.profile_name_prefix} Issuing CA - {p.title}",
                    "certificate": issuing_der, "certFileName": issuing_file_name(it.trusted_root.cert_file_name),
                    "groups": root_groups,
                }, child)
        self.extra: dict[str, TrustedCertificateProfile] = {}
        for i, extra_cert in enumerate(it.trusted_root.extra_certificates):
            for platform in it.all_platforms:
                res = f"{name}-{platform}-trusted-{extra_cert.slug}"
                self.extra[f"{extra_cert.slug}-{platform}"] = TrustedCertificateProfile(res, {
                    **conn, **meta(res, f"intune.trustedRoot.extraCertificates[{i}]"), "platform": platform,
                    "role": EXTRA_STORE_ROLES[extra_cert.store],
                    "displayName": f"{it.profile_name_prefix} {extra_cert.name} - {PLATFORMS[platform].title}",
                    "certificate": extra_cert.certificate, "certFileName": f"{extra_cert.slug}.cer",
                    "groups": root_groups,
                }, child)
        named, first = bool(it.scep_profiles), True
        ca_der = issuing_der if issuing_der is not None else ca_certificates["root"]
        for key, sc, platforms in it.scep_profile_entries():
            validity = pulumi.Output.from_input(ca_der).apply(
                lambda der, sc=sc, key=key: checked_validity(sc, der, key))
            for platform in platforms:
                p = PLATFORMS[platform]
                # the shorthand keeps its names (URNs and display names of existing stacks unchanged)
                slug = f"{sc.slug}-" if named else ""  # type: ignore[attr-defined]
                res = f"{name}-{slug}{platform}-scep"
                self.scep[f"{slug}{platform}"] = ScepProfile(res, {
                    **conn, **meta(res, key), "platform": platform,
                    "displayName": it.scep_display_name(sc, platform),
                    "rootProfileId": getattr(sc, "root_profile_ids", {}).get(platform) or self.roots[platform].profileId,
                    # sent only when set: stacks without rootProfileIds keep their inputs as they were
                    **({"rootOutsideStack": True} if getattr(sc, "root_profile_ids", {}).get(platform) else {}),
                    "scepServerUrls": cfg.scep_urls,
                    "keyUsage": sc.key_usage, "keySize": sc.key_size, "hashAlgorithm": sc.hash_algorithm,
                    "subjectNameFormat": sc.subject_name_format, "subjectName": sc.subject_name,
                    "subjectAlternativeNames": [{"type": s.type, "value": s.value}
                                                for s in sc.sans_for(platform)],
                    "extendedKeyUsage": sc.extended_key_usage, "validity": validity,
                    "renewalThresholdPercent": sc.renewal_threshold_percent,
                    "certificateStore": sc.certificate_store, "keyStorageProvider": sc.key_storage_provider,
                    "groups": assignment_words(sc, platform, resolve), "keepUnmanaged": sc.assignments.keep_unmanaged,
                }, pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=[
                    self.roots[platform], *([self.issuing[platform]] if platform in self.issuing else [])],
                    # the first named profile takes over the profiles of the intune.scep shorthand (same objects,
                    # renamed), so a stack moving to scepProfiles keeps them
                    aliases=[pulumi.Alias(name=f"{name}-{platform}-scep")] if named and first else None)))
            first = False
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


def issuing_file_name(root_file: str) -> str:
    stem, dot, ext = root_file.rpartition(".")
    return f"{stem}-issuing.{ext}" if dot else f"{root_file}-issuing"
