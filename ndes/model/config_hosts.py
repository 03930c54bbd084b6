"""The Windows host sections of the configuration: `ndes:winrm`, `ndes:ca`, `ndes:ndesHosts` and what is set on
them (`ndes:sslCertificate`, `ndes:ndesRole`, `ndes:iis`, `ndes:httpSys`, `ndes:connector`).
"""
from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic.alias_generators import to_camel

from .azure import AzureHostConfig
from .host_fields import RaSettings, SslKeySettings
from .field_rules import (https_endpoint as _https_endpoint, not_blank as _not_blank, plain_name as _plain_name,
                          secret as _secret)
from .urls import normalize_fqdn, normalize_https_url, scep_url, url_host
from .config_base import _Model, _fqdn, TlsOptions


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


class SslCertificateConfig(_Model, SslKeySettings):
    """The key and renewal (host_fields.SslKeySettings, shared with the MachineCertificate resource's inputs) and
    the certificate's names."""
    common_name: Literal["external", "internal"] = "external"
    """CN = the external FQDN (Microsoft's SCEP troubleshooting step 3) or the NDES host's FQDN."""
    subject_alternative_names: list[str] | None = None
    """Extra DNS names; the external and internal FQDNs are always included."""
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


class NdesRoleConfig(_Model, RaSettings):
    """The RA settings (host_fields.RaSettings, shared with the NdesRole resource's inputs; the rules on the
    RA subject's values are the config's) and how the install runs."""
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
