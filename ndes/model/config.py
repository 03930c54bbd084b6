"""The typed configuration of the whole NDES/SCEP chain (stack config namespace `ndes`).

Each top-level class is one stack config key (`ndes:domain`, `ndes:ca`, `ndes:ndesHosts`, ...). Keys are
camelCase in YAML; unknown keys are refused, so a typo is an error rather than a silent default. Secrets
(`password`, `bindPassword`, `clientSecret`) are SecretStr: they never appear in a repr or an error.
Cross-checks that span sections live in `checks.py`; `load.py` turns raw stack config into this model.
"""
from __future__ import annotations

import re
import unicodedata
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator
from pydantic.alias_generators import to_camel

from .azure import AzureHostConfig
from .durations import Period, parse_period
from .graph_enums import PLATFORMS
from .template_fields import KeyUsages, RsaKeySize, TemplatePeriod
from .scep_fields import (CertificateStore, ExtendedKeyUsages, HashAlgorithm, KeyStorageProvider, RenewalThreshold,
                          SanType, ScepKeySize, ScepKeyUsage, ScepValidity, SubjectNameFormat)
from .field_rules import (APP_NAME_MAX, CONTROL as _CONTROL, PROFILE_PREFIX_MAX, SID_SAN_PLATFORMS, SID_VARIABLE,
                          https_endpoint as _https_endpoint, not_blank as _not_blank, plain_name as _plain_name,
                          secret as _secret)
from .scep_variables import key_size_problem, variable_problems
from .urls import normalize_fqdn, normalize_https_url, scep_url, url_host


class _Model(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True)


def _fqdn(v: str) -> str:
    return normalize_fqdn(v)


class TlsOptions(_Model):
    ca_bundle: str | None = None
    """PEM file of the CAs to trust; the system store when unset."""
    insecure_skip_tls_verify: bool = False
    """Turns certificate verification off. Only for a throw-away lab: a policy refuses it elsewhere."""


class DomainConfig(TlsOptions):
    dns_name: str
    netbios_name: str
    ldap_url: str
    """ldaps://dc01.contoso.com (636) or ldap://dc01.contoso.com with startTls: true."""
    start_tls: bool = False
    bind_user: str
    """UPN of the account that writes to AD (e.g. pulumi-ndes@contoso.com)."""
    bind_password: SecretStr = Field(repr=False)
    spn_admin_user: str | None = None
    """UPN of an administrator used only to write the service account's SPNs: a DC lets only an administrator add
    http/<host> while the NDES computer holds HOST/<host> (KB5008382). Unset: the bind account writes them."""
    spn_admin_password: SecretStr | None = Field(default=None, repr=False)
    reader_urls: list[str] = []
    """LDAP URLs of the DCs the Enterprise CA and the NDES hosts read, when not the ldapUrl DC (another site, the
    Azure site's DC): writes wait until these show them, so the CA issues a new template on the first up."""
    replication_timeout: int = Field(default=900, ge=0, le=86400)
    """Seconds to wait for replication to the readerUrls DCs (and for an enroll principal to reach ldapUrl)."""

    _dns = field_validator("dns_name")(_fqdn)
    _bind_user = field_validator("bind_user")(_not_blank)
    _bind_password = field_validator("bind_password")(_secret)

    @field_validator("netbios_name")
    @classmethod
    def _netbios(cls, v: str) -> str:
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9-]{0,14}", v):
            raise ValueError(f"'{v}' is not a NetBIOS domain name (1-15 letters, digits or hyphens)")
        return v.upper()

    @model_validator(mode="after")
    def _url(self) -> "DomainConfig":
        scheme = self.ldap_url.split("://", 1)[0].lower() if "://" in self.ldap_url else ""
        if scheme not in ("ldap", "ldaps"):
            raise ValueError(f"ldapUrl '{self.ldap_url}' must start with ldaps:// (or ldap:// with startTls: true)")
        if scheme == "ldap" and not self.start_tls:
            raise ValueError("ldapUrl uses ldap:// without startTls: the bind password would cross the network "
                             "in clear; use ldaps:// or set startTls: true")
        for url in self.reader_urls:
            rs = url.split("://", 1)[0].lower() if "://" in url else ""
            if rs not in ("ldap", "ldaps") or (rs == "ldap" and not self.start_tls):
                raise ValueError(f"readerUrls: '{url}' must be an ldaps:// URL (or ldap:// with startTls: true)")
        if bool(self.spn_admin_user) != bool(self.spn_admin_password):
            raise ValueError("spnAdminUser and spnAdminPassword go together: set both, or neither")
        parts = urlsplit(self.ldap_url)
        try:
            port = parts.port
        except ValueError:
            port = -1
        if port is not None and not 1 <= port <= 65535:
            raise ValueError(f"ldapUrl '{self.ldap_url[:80]}' has an invalid port (a number from 1 to 65535)")
        if not parts.hostname or _CONTROL.search(self.ldap_url) or parts.path not in ("", "/"):
            raise ValueError(f"ldapUrl '{self.ldap_url[:80]}' must be ldaps://<DC host>[:port], with no path")
        return self

    @property
    def base_dn(self) -> str:
        return ",".join(f"DC={p}" for p in self.dns_name.split("."))

    @property
    def configuration_dn(self) -> str:
        return f"CN=Configuration,{self.base_dn}"


class WinRMConfig(TlsOptions):
    url: str | None = None
    """https://<host>:5986/wsman by default."""
    username: str | None = None
    password: SecretStr | None = Field(default=None, repr=False)
    auth: Literal["ntlm", "kerberos", "credssp"] = "ntlm"
    operation_timeout_seconds: int = Field(default=120, ge=5, le=3600)

    _url = field_validator("url")(_https_endpoint)
    _user = field_validator("username")(_not_blank)
    _password = field_validator("password")(_secret)


class CaConfig(_Model):
    host: str
    common_name: str
    config_string: str | None = None
    """<CA host FQDN>\\<CA common name>; derived when unset."""
    winrm: WinRMConfig | None = None
    adopt: bool = False

    _host = field_validator("host")(_fqdn)

    @field_validator("common_name")
    @classmethod
    def _cn(cls, v: str) -> str:
        return _plain_name(v, "the CA common name", 64)

    @property
    def config(self) -> str:
        return self.config_string or f"{self.host}\\{self.common_name}"


class NdesHostConfig(_Model):
    fqdn: str
    external_url: str
    """The App Proxy external URL devices use, e.g. https://ndes-contoso.msappproxy.net/."""
    internal_url: str | None = None
    """What App Proxy forwards to; https://<fqdn>/ by default."""
    winrm: WinRMConfig | None = None
    azure: AzureHostConfig | None = None

    @field_validator("fqdn")
    @classmethod
    def _fqdn_v(cls, v: str) -> str:
        v = normalize_fqdn(v)
        if len(v.split(".")[0]) > 15:
            raise ValueError(f"the host name '{v.split('.')[0]}' is longer than 15 characters: Windows computer "
                             "names (NetBIOS) have at most 15, so its computer account would not be found")
        return v

    @field_validator("external_url")
    @classmethod
    def _ext(cls, v: str) -> str:
        return normalize_https_url(v, what="external URL")

    @field_validator("internal_url")
    @classmethod
    def _int(cls, v: str | None) -> str | None:
        return None if v is None else normalize_https_url(v, what="internal URL")

    @property
    def internal(self) -> str:
        return self.internal_url or f"https://{self.fqdn}/"

    @property
    def external_fqdn(self) -> str:
        return url_host(self.external_url)

    @property
    def short_name(self) -> str:
        return self.fqdn.split(".")[0]

    @property
    def computer_account(self) -> str:
        return self.short_name.upper() + "$"

    @property
    def scep_url(self) -> str:
        return scep_url(self.external_url)


class ServiceAccountConfig(_Model):
    name: str
    """sAMAccountName, e.g. svc-ndes."""
    ou: str | None = None
    """DN of the OU (e.g. OU=Service Accounts,DC=contoso,DC=com); CN=Users when unset."""
    password: SecretStr = Field(repr=False)
    password_never_expires: bool = True
    """A service account: NDES stops once the password expires (maxPwdAge, 42 days by default)."""
    description: str = "NDES service account (managed by Pulumi)"
    spn_short_name: bool = False
    """Also register http/<short host name>."""
    adopt: bool = False

    _password = field_validator("password")(_secret)

    @field_validator("name")
    @classmethod
    def _sam(cls, v: str) -> str:
        _plain_name(v, "the account name", 20)
        if not v.isascii() or any(unicodedata.category(ch) in ("Cf", "Zs") for ch in v):
            raise ValueError(f"'{v}' holds non-ASCII, invisible or space characters: a look-alike letter "
                             "(e.g. a Cyrillic 'е') or a zero-width space names a different account; use ASCII")
        bad = set('"/\\[]:;|=,+*?<>@') & set(v)
        if bad or v.endswith("."):
            raise ValueError(f"'{v}' is not a valid sAMAccountName: remove {''.join(sorted(bad)) or 'the final dot'}")
        return v


class _TemplateBase(_Model):
    name: str
    """Template name (cn): what MSCEP, certutil and the CA's list use."""
    display_name: str | None = None
    validity: TemplatePeriod
    renewal_period: TemplatePeriod = "6 weeks"
    minimum_key_size: RsaKeySize = 2048
    key_usage: KeyUsages = ["digitalSignature", "keyEncipherment"]
    extended_key_usage: ExtendedKeyUsages
    exportable: bool = False
    enrollee_supplies_subject: bool = True
    publish_to_ad: bool = False
    remove_extra_grants: bool = False
    """Remove explicit ACEs that let anyone but the built-in admins and the enroll principals enroll on or change
    the template (Authenticated Users: Enroll, Domain Users: Write, ...); reported either way."""
    adopt: bool = False

    @field_validator("name", "display_name")
    @classmethod
    def _name(cls, v: str | None) -> str | None:
        return None if v is None else _plain_name(v, "a template name", 64)

    @property
    def display(self) -> str:
        return self.display_name or self.name

    @property
    def validity_period(self) -> Period:
        return parse_period(self.validity)

    @property
    def renewal(self) -> Period:
        return parse_period(self.renewal_period)


class SslTemplateConfig(_TemplateBase):
    """Duplicate of "Web Server": supply in request, server authentication only.

    The Certificate Connector for Microsoft Intune needs no client-authentication certificate on the NDES host
    (only the retired NDESConnectorSetup.exe connector did; Microsoft's "Configure infrastructure to support SCEP
    with Intune", Certificates and templates), and a supply-in-request template with Client Authentication lets
    whoever controls the NDES host request a certificate that logs on as any user (ESC1)."""
    name: str = "NDES-SSL"
    display_name: str | None = "NDES SSL certificate"
    validity: TemplatePeriod = "2 years"
    extended_key_usage: ExtendedKeyUsages = ["serverAuth"]


class ClientTemplateConfig(_TemplateBase):
    """Duplicate of "User": supply in request, client authentication, no nonrepudiation, key not exportable."""
    name: str = "NDES-Intune"
    display_name: str | None = "NDES Intune devices"
    validity: TemplatePeriod = "1 year"
    extended_key_usage: ExtendedKeyUsages = ["clientAuth"]


class TemplatesConfig(_Model):
    ssl: SslTemplateConfig = SslTemplateConfig()
    client: ClientTemplateConfig = ClientTemplateConfig()
    more_clients: list[ClientTemplateConfig] = []
    """Up to two more client templates, each for another purpose (signature, encryption, signature and
    encryption): NDES maps each purpose to one template (MSCEP SignatureTemplate / EncryptionTemplate /
    GeneralPurposeTemplate), and each SCEP profile's key usage picks its template through that mapping."""

    @model_validator(mode="after")
    def _purposes(self) -> "TemplatesConfig":
        from .keyusage import template_purpose
        if len(self.more_clients) > 2:
            raise ValueError("moreClients: NDES maps three purposes, so at most two templates beside templates.client")
        seen: dict[str, str] = {}
        for key, t in [("client", self.client), *[(f"moreClients[{i}]", t) for i, t in enumerate(self.more_clients)]]:
            purpose = template_purpose(t.key_usage)
            if key != "client" and purpose is None:
                raise ValueError(f"{key}: keyUsage has neither digitalSignature nor keyEncipherment, so NDES cannot "
                                 "map it to a purpose")
            if purpose in seen:
                raise ValueError(f"{key} has the purpose '{purpose}' of {seen[purpose]}: NDES maps one template per "
                                 "purpose; give it another keyUsage or remove it")
            seen[purpose or ""] = key
        taken = {self.ssl.name.lower(), self.client.name.lower()}  # ssl vs client: checks.py names that key
        for i, t in enumerate(self.more_clients):
            if t.name.lower() in taken:
                raise ValueError(f"moreClients[{i}]: the template name {t.name} is taken (ssl, client and "
                                 "moreClients each need their own name)")
            taken.add(t.name.lower())
        return self

    def clients_by_mscep_value(self) -> dict[str, tuple[str, "ClientTemplateConfig"]]:
        """MSCEP value -> (config key, client template) for every client template with a purpose."""
        from .keyusage import PURPOSES, template_purpose
        by_purpose = {v: k for k, v in PURPOSES.items()}
        out = {}
        for key, t in [("templates.client", self.client),
                       *[(f"templates.moreClients[{i}]", t) for i, t in enumerate(self.more_clients)]]:
            purpose = template_purpose(t.key_usage)
            if purpose:
                out[by_purpose[purpose]] = (key, t)
        return out


class SslCertificateConfig(_Model):
    common_name: Literal["external", "internal"] = "external"
    """CN = the external FQDN (Microsoft's SCEP troubleshooting step 3) or the NDES host's FQDN."""
    subject_alternative_names: list[str] | None = None
    """Extra DNS names; the external and internal FQDNs are always included."""
    key_size: RsaKeySize = 2048
    renew_before_days: int = Field(default=30, ge=1, le=365)
    adopt: bool = False

    @field_validator("subject_alternative_names")
    @classmethod
    def _sans(cls, v: list[str] | None) -> list[str] | None:
        return None if v is None else [normalize_fqdn(n) for n in v]


class InstallCredentialConfig(_Model):
    """The account Install-AdcsNetworkDeviceEnrollmentService does its remote work as (-Credential): it publishes
    the RA templates in AD and enrolls the RA certificates from the CA as this user, which must be a member of
    Domain Admins (Enterprise Admins in a multi-domain forest). See docs/identities.md."""
    username: str
    """DOMAIN\\user or user@domain."""
    password: SecretStr = Field(repr=False)

    @field_validator("username")
    @classmethod
    def _user(cls, v: str) -> str:
        _plain_name(v, "the install account", 256)
        if "\\" not in v and "@" not in v:
            raise ValueError(f"'{v}' is not a domain account: give it as DOMAIN\\user or user@domain")
        return v


class NdesRoleConfig(_Model):
    ra_name: str | None = None
    """RA certificate subject CN; '<HOST>-MSCEP-RA' as the wizard proposes when unset."""
    ra_email: str | None = None
    ra_company: str | None = None
    ra_department: str | None = None
    ra_city: str | None = None
    ra_state: str | None = None
    ra_country: str | None = None
    signing_provider: str = "Microsoft Strong Cryptographic Provider"
    signing_key_length: RsaKeySize = 2048
    encryption_provider: str = "Microsoft Strong Cryptographic Provider"
    encryption_key_length: RsaKeySize = 2048
    install_credential: InstallCredentialConfig | None = None
    """-Credential of the install (secret password): needed unless the NDES hosts' WinRM logon delegates (credssp)."""
    ra_renew_before_days: int = Field(default=60, ge=1, le=700)
    """Renew the RA certificates (two years) when either has this many days or fewer left (RaCertificateRenewal)."""
    install_timeout: int = Field(default=600, ge=60, le=86400)
    """Seconds the NDES install (or uninstall) may take: the NdesRole resource's customTimeouts and its wait."""
    adopt: bool = False

    @field_validator("ra_name", "ra_email", "ra_company", "ra_department", "ra_city", "ra_state",
                     "signing_provider", "encryption_provider")
    @classmethod
    def _ra_text(cls, v: str | None, info) -> str | None:
        if v is None:
            return v
        _plain_name(v, to_camel(info.field_name), 64)
        if info.field_name != "ra_email" and set(',+="\\<>;#') & set(v):
            raise ValueError(f"{to_camel(info.field_name)} must not contain , + = \" \\ < > ; #: they would add "
                             "parts to the RA certificate's subject")
        return v

    @field_validator("ra_country")
    @classmethod
    def _country(cls, v: str | None) -> str | None:
        if v is not None and not re.fullmatch(r"[A-Za-z]{2}", v):
            raise ValueError("raCountry is a two-letter country code (e.g. US)")
        return None if v is None else v.upper()


class IisConfig(_Model):
    max_url: int = Field(default=65534, ge=4096, le=65534)
    max_query_string: int = Field(default=65534, ge=2048, le=65534)


class HttpSysConfig(_Model):
    max_field_length: int = Field(default=65534, ge=16384, le=65534)
    max_request_bytes: int = Field(default=65534, ge=16384, le=16777216)
    allow_reboot: bool = True
    """Restart the NDES host once when a change asks for it, as the guide does."""
    reboot_timeout: int = Field(default=900, ge=60, le=7200)
    """Seconds the restart may take until WinRM answers again: the HostReboot resource's customTimeouts and wait."""


class ConnectorConfig(_Model):
    installer_path: str | None = None
    """Path on the NDES host of IntuneCertificateConnector.exe for a silent install; report only when unset."""
    require_registered: bool = False
    """Fail `pulumi up` while the connector is not registered (registration needs an interactive sign-in)."""


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
        v = _plain_name(v, "name", PROFILE_PREFIX_MAX)
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9 ._-]*", v):
            raise ValueError("a profile name is letters, digits, spaces, '.', '_' and '-' (it names resources)")
        return v

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
        v = _plain_name(v, "name", PROFILE_PREFIX_MAX)
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9 ._-]*", v):
            raise ValueError("a certificate name is letters, digits, spaces, '.', '_' and '-' (it names resources)")
        return v

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


class AppProxyConfig(_Model):
    connector_group: str = "Default"
    pre_authentication: Literal["passthrough", "aadPreAuthentication"] = "passthrough"
    translate_host_header: bool = True
    translate_links_in_body: bool = False
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


class DeploymentConfig(_Model):
    domain: DomainConfig
    ca: CaConfig
    ndes_hosts: list[NdesHostConfig] = Field(min_length=1)
    service_account: ServiceAccountConfig
    templates: TemplatesConfig = TemplatesConfig()
    ssl_certificate: SslCertificateConfig = SslCertificateConfig()
    ndes_role: NdesRoleConfig = NdesRoleConfig()
    iis: IisConfig = IisConfig()
    http_sys: HttpSysConfig = HttpSysConfig()
    connector: ConnectorConfig = ConnectorConfig()
    winrm: WinRMConfig = WinRMConfig()
    """Defaults for every Windows host (username, password, auth, CA bundle); a host's own winrm overrides."""
    app_proxy: AppProxyConfig = AppProxyConfig()
    intune: IntuneConfig
    graph: GraphConfig
    lab: bool = False
    """This stack is the offline lab. It relaxes nothing: TLS verification may be off only on the stacks named in
    checks.INSECURE_TLS_STACKS, whatever this says (a pull request can change config, not the stack's name)."""
    protect: bool = True
    """Pulumi `protect` on the templates, their issuance, the service account, the NDES role, the App Proxy app and
    the Intune profiles (ndes/components/protection.py): a destroy or replace of them fails until set false."""
    retain_adopted: bool = True
    """Objects taken over with adopt: true stay on their servers when the stack deletes them (retainOnDelete)."""

    def winrm_for(self, host: str, own: WinRMConfig | None) -> WinRMConfig:
        """The WinRM settings for a host: its own block over the stack-wide defaults."""
        merged = self.winrm.model_dump()
        if own is not None:
            merged.update(own.model_dump(exclude_unset=True))
        if not merged.get("url"):
            merged["url"] = f"https://{host}:5986/wsman"
        return WinRMConfig.model_validate(merged)

    @property
    def scep_urls(self) -> list[str]:
        return [h.scep_url for h in self.ndes_hosts]
