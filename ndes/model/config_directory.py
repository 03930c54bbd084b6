"""The directory sections of the configuration: `ndes:domain` (how to reach and bind to AD),
`ndes:serviceAccount` and `ndes:templates` (the certificate templates NDES issues from).
"""
from __future__ import annotations

import re
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator

from .durations import Period, parse_period
from .template_fields import TemplateFields, TemplatePeriod
from .scep_fields import ExtendedKeyUsages
from .field_rules import (CONTROL as _CONTROL, not_blank as _not_blank, sam_account_name as _sam_account_name,
                          secret as _secret)
from .config_base import _Model, _fqdn, TlsOptions


def logon_name(netbios_name: str, account: str) -> str:
    """DOMAIN\\account, the down-level logon name Windows hosts take for a domain account (the one place it is
    built: the service account in IIS_IUSRS, on the CA, in the NDES role and the SCEP pool)."""
    return f"{netbios_name}\\{account}"


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

    def logon_name(self, account: str) -> str:
        return logon_name(self.netbios_name, account)

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

    _name = field_validator("name")(_sam_account_name)


class _TemplateBase(_Model, TemplateFields):
    """A template's settings (template_fields.TemplateFields, shared with the CertificateTemplate resource's
    inputs) and whether to take over an existing one."""
    adopt: bool = False

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
