"""The Graph resources: each NDES host's App Proxy application, the trusted certificate profiles and the SCEP
profiles per platform (ndes/components/app_proxy.py and intune.py instantiate them; ndes verify reads them).

What other resources give comes in as parameters: the CA certificates (CaCertificate's outputs), the group ids
(resolved by the component through pulumi-azuread, or given in the config), the root profiles' ids.
"""
from __future__ import annotations

from typing import Any, Callable, Mapping

from ..model.config import DeploymentConfig, GroupRef, ScepConfig
from ..model.graph_enums import PLATFORMS
from ..providers.app_proxy_application import AppProxyApplicationProvider
from ..providers.scep_profile import ScepProfileProvider
from ..providers.trusted_certificate_profile import TrustedCertificateProfileProvider
from . import Declared

ISSUING_PLATFORMS = ("androidWorkProfile", "androidDeviceOwner", "windows")
EXTRA_STORE_ROLES = {"root": "root", "intermediate": "issuing", "userIntermediate": "userIssuing"}
"""intune.trustedRoot.extraCertificates[].store -> the TrustedCertificateProfile role (its Windows store)."""


def app_display_name(cfg: DeploymentConfig, short_name: str) -> str:
    base = cfg.app_proxy.display_name
    return base if len(cfg.ndes_hosts) == 1 else f"{base} {short_name}"


def app_proxy(cfg: DeploymentConfig) -> dict[str, Declared]:
    """Each NDES host's App Proxy application, by host FQDN (the step is the host's short name)."""
    ap = cfg.app_proxy
    return {h.fqdn: Declared(h.short_name, AppProxyApplicationProvider, "ndes:appProxy", {
        "displayName": app_display_name(cfg, h.short_name), "externalUrl": h.external_url,
        "internalUrl": h.internal, "preAuthentication": ap.pre_authentication,
        "translateHostHeader": ap.translate_host_header, "translateLinksInBody": ap.translate_links_in_body,
        "enabled": True, "connectorGroup": ap.connector_group}, ap.adopt) for h in cfg.ndes_hosts}


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


def root_targets(cfg: DeploymentConfig, group_ids: list[str]) -> list[str]:
    """The trusted profiles' assignment words: the groups' ids (trusted_root_group_refs, resolved) plus All users /
    All devices where a SCEP profile goes there (without filters: a device that gets a certificate must trust
    its chain)."""
    extra = set()
    for _, prof, _ in cfg.intune.scep_profile_entries():
        extra |= {"allLicensedUsers"} if prof.assignments.all_users else set()
        extra |= {"allDevices"} if prof.assignments.all_devices else set()
    return sorted(set(group_ids) | extra)


def scep_targets(prof: ScepConfig, platform: str, include_ids: list[str], exclude_ids: list[str]) -> list[str]:
    """A profile's assignments on one platform as ndes.graph.intune.target_word's words (the ScepProfile input
    `groups`): `include_ids` are prof.include_groups' ids, `exclude_ids` prof.assignments.exclude's."""
    a = prof.assignments
    f = a.filter_for(platform)
    filt = f.word if f else ""
    fixed = ([f"allLicensedUsers{filt}"] if a.all_users else []) + ([f"allDevices{filt}"] if a.all_devices else [])
    return sorted({f"{gid}{filt}" for gid in include_ids} | {f"exclude:{gid}" for gid in exclude_ids} | set(fixed))


def given_ids(refs: list[GroupRef]) -> list[str]:
    """The group ids the config gives (a group given by name is resolved in the stack, by pulumi-azuread)."""
    return [g.id.lower() for g in refs if g.id]


def given_targets(prof: ScepConfig, platform: str) -> list[str]:
    """scep_targets of the groups the config gives by id (what is known without pulumi-azuread)."""
    return scep_targets(prof, platform, given_ids(prof.include_groups), given_ids(prof.assignments.exclude))


def issuing_file_name(root_file: str) -> str:
    stem, dot, ext = root_file.rpartition(".")
    return f"{stem}-issuing.{ext}" if dot else f"{root_file}-issuing"


def trusted_profiles(cfg: DeploymentConfig, certificates: Mapping[str, Any], groups: Any) -> dict[str, Declared]:
    """The trusted certificate profiles by step (<platform>-root, <platform>-issuing, <platform>-trusted-<slug>):
    `certificates` {"root": base64 DER, "issuing": base64 DER or None}, `groups` their assignment words
    (root_targets)."""
    it = cfg.intune
    out: dict[str, Declared] = {}

    def add(step: str, key: str, props: dict[str, Any]) -> None:
        out[step] = Declared(step, TrustedCertificateProfileProvider, key, {**props, "groups": groups}, it.adopt)

    issuing = certificates.get("issuing")
    for platform in it.all_platforms:
        title = PLATFORMS[platform].title
        add(f"{platform}-root", "ndes:intune.trustedRoot", {
            "platform": platform, "role": "root", "displayName": f"{it.profile_name_prefix} Root CA - {title}",
            "certificate": certificates["root"], "certFileName": it.trusted_root.cert_file_name})
        if platform in ISSUING_PLATFORMS and issuing is not None:
            add(f"{platform}-issuing", "ndes:intune.trustedRoot", {
                "platform": platform, "role": "issuing",
                "displayName": f"{it.profile_name_prefix} Issuing CA - {title}",
                "certificate": issuing, "certFileName": issuing_file_name(it.trusted_root.cert_file_name)})
    for i, extra in enumerate(it.trusted_root.extra_certificates):
        for platform in it.all_platforms:
            add(f"{platform}-trusted-{extra.slug}", f"ndes:intune.trustedRoot.extraCertificates[{i}]", {
                "platform": platform, "role": EXTRA_STORE_ROLES[extra.store],
                "displayName": f"{it.profile_name_prefix} {extra.name} - {PLATFORMS[platform].title}",
                "certificate": extra.certificate, "certFileName": f"{extra.slug}.cer"})
    return out


def scep_profiles(cfg: DeploymentConfig, root_ids: Mapping[str, Any],
                  groups: Callable[[ScepConfig, str], Any]) -> dict[str, Declared]:
    """The SCEP profiles by step (<slug->platform-scep; the shorthand has no slug): `root_ids` the platforms'
    root profile ids (TrustedCertificateProfile's profileId), `groups(profile, platform)` its assignment words
    (scep_targets). A profile naming its root in intune.scepProfiles[].rootProfileIds takes that one."""
    it = cfg.intune
    named = bool(it.scep_profiles)
    out: dict[str, Declared] = {}
    for key, sc, platforms in it.scep_profile_entries():
        for platform in platforms:
            outside = getattr(sc, "root_profile_ids", {}).get(platform)
            slug = f"{sc.slug}-" if named else ""  # type: ignore[attr-defined]
            step = f"{slug}{platform}-scep"
            out[step] = Declared(step, ScepProfileProvider, f"ndes:{key}", {
                "platform": platform, "displayName": it.scep_display_name(sc, platform),
                "rootProfileId": outside or root_ids[platform],
                # sent only when set: stacks without rootProfileIds keep their inputs as they were
                **({"rootOutsideStack": True} if outside else {}),
                "scepServerUrls": cfg.scep_urls,
                "keyUsage": sc.key_usage, "keySize": sc.key_size, "hashAlgorithm": sc.hash_algorithm,
                "subjectNameFormat": sc.subject_name_format, "subjectName": sc.subject_name,
                "subjectAlternativeNames": [{"type": s.type, "value": s.value} for s in sc.sans_for(platform)],
                "extendedKeyUsage": sc.extended_key_usage, "validity": sc.validity,
                "renewalThresholdPercent": sc.renewal_threshold_percent,
                "certificateStore": sc.certificate_store, "keyStorageProvider": sc.key_storage_provider,
                "groups": groups(sc, platform), "keepUnmanaged": sc.assignments.keep_unmanaged,
            }, it.adopt)
    return out
