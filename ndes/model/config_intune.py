"""The Microsoft Graph sections of the configuration: `ndes:intune` (SCEP and trusted certificate profiles, their
assignments), `ndes:appProxy` and `ndes:graph` (how to reach Graph, with which identity).
"""
from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic.alias_generators import to_camel

from .durations import Period, parse_period
from .graph_enums import PLATFORMS
from .scep_fields import (CertificateStore, ExtendedKeyUsages, HashAlgorithm, KeyStorageProvider, RenewalThreshold,
                          SanType, ScepKeySize, ScepKeyUsage, ScepValidity, SubjectNameFormat)
from .field_rules import (APP_NAME_MAX, CONTROL as _CONTROL, PROFILE_PREFIX_MAX, SID_SAN_PLATFORMS, SID_VARIABLE,
                          https_endpoint as _https_endpoint, not_blank as _not_blank, plain_name as _plain_name,
                          secret as _secret)
from .scep_variables import key_size_problem, variable_problems
from .app_proxy_fields import AppProxySettings
from .config_base import _Model, TlsOptions



def _resource_name(v: str, what: str) -> str:
    """A name that also names Pulumi resources (profiles, extra trusted certificates): plain, and only letters,
    digits, spaces, '.', '_' and '-'."""
    v = _plain_name(v, "name", PROFILE_PREFIX_MAX)
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9 ._-]*", v):
        raise ValueError(f"{what} is letters, digits, spaces, '.', '_' and '-' (it names resources)")
    return v

class GroupRef(_Model):
    id: str | None = None
    name: str | None = None
    create: bool = False
    """Create the group with pulumi-azuread when it does not exist (by name only)."""

    @model_validator(mode="after")
    def _one(self) -> "GroupRef":
        if bool(self.id) == bool(self.name):
            raise ValueError("give a group by id (object id) or by name, exactly one of them")
        if self.id and not re.fullmatch(r"[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}", self.id):
            raise ValueError(f"'{self.id}' is not a group object id (a GUID)")
        if self.create and not self.name:
            raise ValueError("create: true needs the group's name")
        return self

    @property
    def key(self) -> str:
        return self.id.lower() if self.id else f"name:{self.name}"


class SubjectAlternativeName(_Model):
    type: SanType
    value: str


class FilterRef(_Model):
    """An Intune assignment filter, by id or by name, applied as include or exclude."""
    id: str | None = None
    name: str | None = None
    mode: Literal["include", "exclude"] = "include"

    @model_validator(mode="after")
    def _one(self) -> "FilterRef":
        if bool(self.id) == bool(self.name):
            raise ValueError("give the assignment filter by id or by name, exactly one of them")
        if self.id and not re.fullmatch(r"[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}", self.id):
            raise ValueError(f"'{self.id}' is not an assignment filter id (a GUID)")
        if self.name and (":" in self.name or _CONTROL.search(self.name)):
            raise ValueError("an assignment filter name has no ':' or control characters")
        return self

    @property
    def word(self) -> str:
        return f" filter:{self.mode}:{self.id.lower() if self.id else self.name}"


class Assignments(_Model):
    """A profile's assignments as Intune has them. A filter narrows the include targets (Intune offers no filter
    on an excluded group)."""
    include: list[GroupRef] = []
    exclude: list[GroupRef] = []
    all_users: bool = False
    all_devices: bool = False
    filter: FilterRef | None = None
    filters: dict[str, FilterRef] = {}
    """Per platform (an Intune filter is made for one platform): platform -> filter; overrides `filter`."""
    keep_unmanaged: bool = True
    """Targets an admin added in the portal (not in this config, never set by this stack) are kept on `up` and
    show as drift on refresh; false: the config's targets replace everything."""

    @field_validator("filters")
    @classmethod
    def _filter_platforms(cls, v: dict[str, FilterRef]) -> dict[str, FilterRef]:
        bad = [k for k in v if k not in PLATFORMS]
        if bad:
            raise ValueError(f"filters: unknown platform(s) {', '.join(bad)}; use {', '.join(PLATFORMS)}")
        return v

    def filter_for(self, platform: str) -> FilterRef | None:
        return self.filters.get(platform, self.filter)


class ScepConfig(_Model):
    key_usage: ScepKeyUsage = ["digitalSignature", "keyEncipherment"]
    key_size: ScepKeySize = 2048
    hash_algorithm: HashAlgorithm = "sha2"
    subject_name_format: SubjectNameFormat = "custom"
    subject_name: str | None = "CN={{UserPrincipalName}}"
    """Custom subject (with subjectNameFormat: custom), in Intune's variables."""
    subject_alternative_names: list[SubjectAlternativeName] = [
        SubjectAlternativeName(type="userPrincipalName", value="{{UserPrincipalName}}")]
    extended_key_usage: ExtendedKeyUsages = ["clientAuth"]
    validity: ScepValidity = "1 year"
    renewal_threshold_percent: RenewalThreshold = 20
    certificate_store: CertificateStore = "user"
    key_storage_provider: KeyStorageProvider = "useTpmKspOtherwiseUseSoftwareKsp"
    groups: list[GroupRef] = []
    strong_mapping: bool = True
    """Add the SID URI SAN ({{OnPremisesSecurityIdentifier}}) to user certificates with client authentication on
    the platforms Intune supports it on, so domain controllers map them strongly (KB5014754)."""
    """Include groups (the shorthand of assignments.include)."""
    assignments: Assignments = Assignments()

    @property
    def validity_period(self) -> Period:
        return parse_period(self.validity)

    def sid_san_applies(self, platform: str) -> bool:
        client_auth = any(e in ("clientAuth", "anyPurpose") for e in self.extended_key_usage)
        return self.strong_mapping and client_auth and self.certificate_store == "user" \
            and platform in SID_SAN_PLATFORMS

    def sans_for(self, platform: str) -> list[SubjectAlternativeName]:
        """The profile's SANs on one platform: the configured ones, plus the SID URI when strong mapping applies."""
        sans = list(self.subject_alternative_names)
        if self.sid_san_applies(platform) and not any(
                s.type == "universalResourceIdentifier" and SID_VARIABLE in s.value for s in sans):
            sans.append(SubjectAlternativeName(type="universalResourceIdentifier", value=SID_VARIABLE))
        return sans

    @property
    def include_groups(self) -> list[GroupRef]:
        keys = {g.key for g in self.groups}
        return [*self.groups, *[g for g in self.assignments.include if g.key not in keys]]

    @model_validator(mode="after")
    def _variables(self) -> "ScepConfig":
        why = variable_problems(self.certificate_store, {
            "subjectName": self.subject_name if self.subject_name_format == "custom" else None,
            **{f"subjectAlternativeNames[{i}]": s.value for i, s in enumerate(self.subject_alternative_names)}})
        if why:
            raise ValueError("; ".join(why))
        return self


class ScepProfileConfig(ScepConfig):
    """One named SCEP profile of intune.scepProfiles (one Intune profile per platform)."""
    name: str
    platforms: list[str] | None = None
    """This profile's platforms; intune.platforms when unset."""
    root_profile_ids: dict[str, str] = {}
    """platform -> id of an existing trusted-root profile to link instead of the stack's own root profile."""

    @field_validator("root_profile_ids")
    @classmethod
    def _root_ids(cls, v: dict[str, str]) -> dict[str, str]:
        bad = [k for k in v if k not in PLATFORMS]
        if bad:
            raise ValueError(f"rootProfileIds: unknown platform(s) {', '.join(bad)}; use {', '.join(PLATFORMS)}")
        for k, pid in v.items():
            if not re.fullmatch(r"[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}", pid):
                raise ValueError(f"rootProfileIds.{k}: '{pid}' is not a profile id (a GUID)")
        return {k: pid.lower() for k, pid in v.items()}

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        return _resource_name(v, "a profile name")

    @property
    def slug(self) -> str:
        return "".join(ch if ch.isalnum() else "-" for ch in self.name.lower()).strip("-")


class ExtraTrustedCertificate(_Model):
    """A CA certificate an admin adds to the chain the devices trust (a policy CA of a deeper chain, a cross
    certificate, another CA): one trusted-certificate profile per platform."""
    name: str
    certificate: str
    """Base64 of the certificate's DER (a .cer file's content without the PEM armour)."""
    store: Literal["root", "intermediate", "userIntermediate"] = "intermediate"
    """Windows destination store: computerCertStoreRoot, computerCertStoreIntermediate or userCertStoreIntermediate."""

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        return _resource_name(v, "a certificate name")

    @field_validator("certificate")
    @classmethod
    def _der(cls, v: str) -> str:
        import base64
        from cryptography import x509
        try:
            cert = x509.load_der_x509_certificate(base64.b64decode("".join(v.split()), validate=True))
        except Exception:  # noqa: BLE001 - any decoding failure is the same answer
            raise ValueError("certificate is the base64 of a DER X.509 certificate") from None
        bc = next((e.value for e in cert.extensions if isinstance(e.value, x509.BasicConstraints)), None)
        if bc is None or not bc.ca:
            raise ValueError("certificate is not a CA certificate (basicConstraints CA:TRUE): devices need only "
                             "the CAs of the chain")
        return "".join(v.split())

    @property
    def slug(self) -> str:
        return "".join(ch if ch.isalnum() else "-" for ch in self.name.lower()).strip("-")


class TrustedRootConfig(_Model):
    groups: list[GroupRef] | None = None
    """Where the trusted-certificate profiles go; the SCEP profiles' groups when unset."""
    cert_file_name: str = "ndes-root-ca.cer"
    extra_certificates: list[ExtraTrustedCertificate] = []
    """More CA certificates the devices trust, each as a trusted-certificate profile on every platform."""


class IntuneConfig(_Model):
    platforms: list[str] = ["ios", "androidWorkProfile", "windows"]
    profile_name_prefix: str = "NDES"
    scep: ScepConfig = ScepConfig()
    scep_profiles: list[ScepProfileConfig] = []
    """Named SCEP profiles; when empty, `scep` is the one profile (the shorthand, resource names unchanged)."""
    trusted_root: TrustedRootConfig = TrustedRootConfig()
    adopt: bool = False

    @field_validator("profile_name_prefix")
    @classmethod
    def _prefix(cls, v: str) -> str:
        return _plain_name(v, "profileNamePrefix", PROFILE_PREFIX_MAX)

    @field_validator("platforms")
    @classmethod
    def _platforms(cls, v: list[str]) -> list[str]:
        bad = [p for p in v if p not in PLATFORMS]
        if bad:
            raise ValueError(f"unknown platform(s) {', '.join(bad)}; use {', '.join(PLATFORMS)}")
        if not v:
            raise ValueError("name at least one platform")
        return [p for p in PLATFORMS if p in v]

    @model_validator(mode="after")
    def _profiles(self) -> "IntuneConfig":
        if self.scep_profiles and "scep" in self.model_fields_set:
            raise ValueError("give intune.scep (one profile) or intune.scepProfiles (named profiles), not both")
        names = [p.name.lower() for p in self.scep_profiles]
        slugs = [p.slug for p in self.scep_profiles]
        if len(set(names)) != len(names) or len(set(slugs)) != len(slugs):
            raise ValueError("scepProfiles names must differ (they name the Intune profiles and the resources)")
        for i, prof in enumerate(self.scep_profiles):
            bad = [p for p in prof.platforms or [] if p not in PLATFORMS]
            if bad:
                raise ValueError(f"intune.scepProfiles[{i}].platforms: unknown platform(s) {', '.join(bad)}; use "
                                 f"{', '.join(PLATFORMS)}")
        for key, prof, platforms in self.scep_profile_entries():
            why = key_size_problem(platforms, prof.key_size, prof.key_storage_provider)
            if why:
                raise ValueError(f"{key}: {why}")
        return self

    def scep_profile_entries(self) -> list[tuple[str, ScepConfig, list[str]]]:
        """(config key, profile, platforms) of every SCEP profile: the named ones, or the `scep` shorthand."""
        if not self.scep_profiles:
            return [("intune.scep", self.scep, self.platforms)]
        return [(f"intune.scepProfiles[{i}]", p, [x for x in PLATFORMS if x in (p.platforms or self.platforms)])
                for i, p in enumerate(self.scep_profiles)]

    def scep_display_name(self, prof: ScepConfig, platform: str) -> str:
        """The Intune name of a SCEP profile on one platform: '<prefix> SCEP - <platform>' for the shorthand,
        '<prefix> <name> - <platform>' for a named profile."""
        label = prof.name if isinstance(prof, ScepProfileConfig) else "SCEP"
        return f"{self.profile_name_prefix} {label} - {PLATFORMS[platform].title}"

    @property
    def all_platforms(self) -> list[str]:
        used = {x for _, _, ps in self.scep_profile_entries() for x in ps}
        return [p for p in PLATFORMS if p in used or p in self.platforms]

    @property
    def trusted_root_groups(self) -> list[GroupRef]:
        if self.trusted_root.groups is not None:
            return self.trusted_root.groups
        return [g for _, p, _ in self.scep_profile_entries() for g in p.include_groups]


class AppProxyConfig(_Model, AppProxySettings):
    """The publishing settings (app_proxy_fields.AppProxySettings, shared with the AppProxyApplication inputs)
    and the application's name."""
    display_name: str = "NDES"
    """Application name; with several NDES hosts each gets '<displayName> <host short name>'."""
    adopt: bool = False

    @field_validator("display_name", "connector_group")
    @classmethod
    def _names(cls, v: str, info) -> str:
        return _plain_name(v, to_camel(info.field_name), APP_NAME_MAX)


class AppProxyIdentityConfig(_Model):
    """Who App Proxy's Graph calls sign in as (ndes:graph.appProxy). Graph's App Proxy APIs (connector groups,
    connectorGroup/$ref, onPremisesPublishing) take no application permissions: a USER holding Application
    Administrator must sign in (delegated). The Intune profiles keep the app-only ndes:graph identity."""
    credential: Literal["azureCli", "deviceCode", "none"] = "azureCli"
    """azureCli: `az login` on a workstation; deviceCode: a code to enter in a browser; none: nobody can sign in
    (a pipeline): App Proxy is read with ndes:graph and verified, a change is reported with the admin's command."""
    client_id: str | None = None
    """deviceCode: the public client app to sign in through (the Azure CLI's when unset)."""


class GraphConfig(TlsOptions):
    tenant_id: str
    client_id: str | None = None
    credential: Literal["clientSecret", "certificate", "workloadIdentity", "azureCli"] = "clientSecret"
    client_secret: SecretStr | None = Field(default=None, repr=False)
    certificate_path: str | None = None
    cloud: Literal["global", "usGov", "usGovDoD", "china", "custom"] = "global"
    graph_endpoint: str | None = None
    """With cloud: custom (the lab): the Graph base URL."""
    authority: str | None = None
    """With cloud: custom: the login authority URL."""
    app_proxy: AppProxyIdentityConfig = AppProxyIdentityConfig()
    """The delegated identity of the App Proxy calls (the rest of ndes:graph is the Intune app's identity)."""

    _tenant = field_validator("tenant_id", "client_id")(_not_blank)
    _client_secret = field_validator("client_secret")(_secret)
    _endpoints = field_validator("graph_endpoint", "authority")(_https_endpoint)

    @model_validator(mode="after")
    def _cred(self) -> "GraphConfig":
        if self.credential in ("clientSecret", "certificate", "workloadIdentity") and not self.client_id:
            raise ValueError(f"credential {self.credential} needs clientId")
        if self.credential == "clientSecret" and self.client_secret is None:
            raise ValueError("credential clientSecret needs clientSecret (pulumi config set --secret --path "
                             "graph.clientSecret ...)")
        if self.credential == "certificate" and not self.certificate_path:
            raise ValueError("credential certificate needs certificatePath")
        if self.cloud == "custom" and not (self.graph_endpoint and self.authority):
            raise ValueError("cloud custom needs graphEndpoint and authority")
        return self
