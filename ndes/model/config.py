"""The typed configuration of the whole NDES/SCEP chain (stack config namespace `ndes`).

Each top-level class is one stack config key (`ndes:domain`, `ndes:ca`, `ndes:ndesHosts`, ...). Keys are
camelCase in YAML; unknown keys are refused, so a typo is an error rather than a silent default. Secrets
(`password`, `bindPassword`, `clientSecret`) are SecretStr: they never appear in a repr or an error.
Cross-checks that span sections live in `checks.py`; `load.py` turns raw stack config into this model.
The sections live by plane in config_directory.py, config_hosts.py and config_intune.py (config_base.py: what
they share); this module assembles them into DeploymentConfig and re-exports them, so callers import from here.
"""
from __future__ import annotations

from pydantic import Field

from .config_base import _Model, TlsOptions
from .urls import ssl_names, winrm_url
from .field_rules import SID_VARIABLE  # noqa: F401 - re-exported (callers import it from here)
from .config_directory import (ClientTemplateConfig, DomainConfig, ServiceAccountConfig, SslTemplateConfig,
                               TemplatesConfig, logon_name)
from .config_hosts import (WinRMConfig, CaConfig, NdesHostConfig, SslCertificateConfig, InstallCredentialConfig,
                           NdesRoleConfig, IisConfig, HttpSysConfig, ConnectorConfig)
from .config_intune import (GroupRef, SubjectAlternativeName, FilterRef, Assignments, ScepConfig, ScepProfileConfig,
                            ExtraTrustedCertificate, TrustedRootConfig, IntuneConfig, AppProxyConfig,
                            AppProxyIdentityConfig, GraphConfig)


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
            merged["url"] = winrm_url(host)
        return WinRMConfig.model_validate(merged)

    def ssl_names_of(self, host: NdesHostConfig) -> tuple[str, list[str]]:
        """(CN, DNS names) of a host's SSL certificate: the external and internal FQDN (urls.ssl_names) and
        sslCertificate.subjectAlternativeNames, sorted (the one place the certificate's names are put together)."""
        cn, sans = ssl_names(host.external_url, host.fqdn, self.ssl_certificate.common_name)
        return cn, sorted(set(sans) | set(self.ssl_certificate.subject_alternative_names or []))

    @property
    def service_account_logon(self) -> str:
        """DOMAIN\\account of the NDES service account."""
        return logon_name(self.domain.netbios_name, self.service_account.name)

    @property
    def scep_urls(self) -> list[str]:
        return [h.scep_url for h in self.ndes_hosts]
