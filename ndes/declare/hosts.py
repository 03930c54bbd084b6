"""The Windows hosts' resources: the CA host (CaAccess, CaCertificate) and each NDES host in the seed guide's
order (ndes/components/ndes_host.py instantiates them; ndes verify reads them)."""
from __future__ import annotations

from typing import Any

from ..model.config import DeploymentConfig, NdesHostConfig
from ..model.keyusage import SCEP_KEY_USAGES, normalize_key_usage
from ..providers.ca_access import CaAccessProvider
from ..providers.ca_certificate import CaCertificateProvider
from ..providers.iis_https_binding import IisHttpsBindingProvider
from ..providers.iis_request_limits import IisRequestLimitsProvider
from ..providers.intune_connector import IntuneConnectorProvider
from ..providers.local_group_member import LocalGroupMemberProvider
from ..providers.machine_certificate import MachineCertificateProvider
from ..providers.mscep_template_mapping import MscepTemplateMappingProvider
from ..providers.ndes_role import NdesRoleProvider
from ..providers.ra_renewal import RaCertificateRenewalProvider
from ..providers.reboot import HostRebootProvider
from ..providers.registry_values import RegistryValuesProvider, http_sys_values
from ..providers.scep_pool_identity import ScepPoolIdentityProvider
from ..providers.windows_features import NDES_FEATURES, WindowsFeaturesProvider
from . import Declared

SITE = "Default Web Site"


def ca_host(cfg: DeploymentConfig, account_sid: Any = "") -> dict[str, Declared]:
    """The CA host's resources; `account_sid` is the service account's SID (ServiceAccount's output)."""
    return {
        "request-certificates": Declared("request-certificates", CaAccessProvider, "ndes:ca", {
            "caName": cfg.ca.common_name, "account": cfg.service_account_logon, "accountSid": account_sid},
            cfg.ca.adopt),
        "certificate": Declared("certificate", CaCertificateProvider, "ndes:ca", {"caName": cfg.ca.common_name}),
    }


def ra_name(cfg: DeploymentConfig, host: NdesHostConfig) -> str:
    """The RA certificate's CN: ndes:ndesRole.raName, or '<HOST>-MSCEP-RA' as the wizard proposes."""
    return cfg.ndes_role.ra_name or f"{host.short_name.upper()}-MSCEP-RA"


def mscep_inputs(cfg: DeploymentConfig) -> dict[str, Any]:
    """The mapping's key usage (the shorthand's, or the client template's purpose) and, with
    templates.moreClients, the other purposes' templates (MSCEP value -> template name)."""
    if not cfg.intune.scep_profiles and not cfg.templates.more_clients:
        return {"keyUsage": cfg.intune.scep.key_usage}
    by_value = cfg.templates.clients_by_mscep_value()
    main = any(k == "templates.client" for k, _ in by_value.values())
    ku = [k for k in normalize_key_usage(cfg.templates.client.key_usage) if k in SCEP_KEY_USAGES] if main \
        else cfg.intune.scep.key_usage
    return {"keyUsage": ku, "additional": {v: t.name for v, (k, t) in by_value.items() if k != "templates.client"}}


def ndes_host(cfg: DeploymentConfig, host: NdesHostConfig, index: int, *, password: Any = None,
              install_credential: Any = None, thumbprint: Any = "", template_oid: Any = "",
              reboot_triggers: Any = None) -> dict[str, Declared]:
    """One NDES host's resources in the guide's order. Parameters are what other resources or the secrets give:
    the service account's `password` (plain or a secret Output; the config's by default), the NdesRole's
    `install_credential` input, the SSL certificate's `thumbprint`, the SSL template's `template_oid`, the
    values whose change the restart follows (`reboot_triggers`)."""
    key = f"ndes:ndesHosts[{index}]"
    account = cfg.service_account_logon
    if password is None:
        password = cfg.service_account.password.get_secret_value()
    r, s, c = cfg.ndes_role, cfg.ssl_certificate, cfg.connector
    cn, dns_names = cfg.ssl_names_of(host)
    steps = [
        Declared("features", WindowsFeaturesProvider, key, {"features": list(NDES_FEATURES)}),
        Declared("iis-iusrs", LocalGroupMemberProvider, "ndes:serviceAccount",
                 {"group": "IIS_IUSRS", "member": account}),
        Declared("ndes-role", NdesRoleProvider, "ndes:ndesRole", {
            "serviceAccount": account, "serviceAccountPassword": password, "caConfig": cfg.ca.config,
            "raName": ra_name(cfg, host), "raEmail": r.ra_email, "raCompany": r.ra_company,
            "raDepartment": r.ra_department, "raCity": r.ra_city, "raState": r.ra_state, "raCountry": r.ra_country,
            "signingProvider": r.signing_provider, "signingKeyLength": r.signing_key_length,
            "encryptionProvider": r.encryption_provider, "encryptionKeyLength": r.encryption_key_length,
            "installCredential": install_credential, "timeoutSeconds": r.install_timeout}),
        Declared("scep-pool-identity", ScepPoolIdentityProvider, "ndes:serviceAccount.password",
                 {"serviceAccount": account, "password": password}),
        Declared("iis-request-limits", IisRequestLimitsProvider, "ndes:iis",
                 {"site": SITE, "maxUrl": cfg.iis.max_url, "maxQueryString": cfg.iis.max_query_string}),
        Declared("http-sys", RegistryValuesProvider, "ndes:httpSys", {
            "values": http_sys_values(cfg.http_sys.max_field_length, cfg.http_sys.max_request_bytes),
            "markRebootPending": True}),
        Declared("reboot", HostRebootProvider, "ndes:httpSys.allowReboot", {
            "allowReboot": cfg.http_sys.allow_reboot, "timeoutSeconds": cfg.http_sys.reboot_timeout,
            "triggers": reboot_triggers if reboot_triggers is not None else []}),
        Declared("ssl-certificate", MachineCertificateProvider, "ndes:sslCertificate", {
            "template": cfg.templates.ssl.name, "commonName": cn, "templateOid": template_oid,
            "dnsNames": dns_names, "renewBeforeDays": s.renew_before_days, "keySize": s.key_size}),
        Declared("https-binding", IisHttpsBindingProvider, "ndes:sslCertificate", {
            "siteName": SITE, "port": 443, "ipAddress": "*", "hostName": "", "thumbprint": thumbprint,
            "sslFlags": 0}),
        Declared("mscep-mapping", MscepTemplateMappingProvider, "ndes:intune.scep.keyUsage",
                 {**mscep_inputs(cfg), "templateName": cfg.templates.client.name}),
        Declared("intune-connector", IntuneConnectorProvider, "ndes:connector",
                 {"installerPath": c.installer_path, "requireRegistered": c.require_registered}),
        Declared("ra-renewal", RaCertificateRenewalProvider, "ndes:ndesRole.raRenewBeforeDays", {
            "caConfig": cfg.ca.config, "renewBeforeDays": r.ra_renew_before_days, "serviceAccount": account,
            "installCredential": install_credential}),
    ]
    adopt = {"features": r.adopt, "iis-iusrs": r.adopt, "ndes-role": r.adopt, "iis-request-limits": r.adopt,
             "http-sys": r.adopt, "reboot": r.adopt, "ssl-certificate": s.adopt, "https-binding": s.adopt,
             "mscep-mapping": r.adopt, "intune-connector": r.adopt}
    return {d.step: Declared(d.step, d.provider, d.config_key, d.props, adopt.get(d.step, False)) for d in steps}
