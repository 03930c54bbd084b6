"""NdesHost: one NDES server, in the seed guide's order, over WinRM.

    WindowsFeatures        ADCS-Device-Enrollment, IIS and what NDES needs
    LocalGroupMember       the service account in IIS_IUSRS
    NdesRole               Install-AdcsNetworkDeviceEnrollmentService (install-time settings: change = replace)
    ScepPoolIdentity       the SCEP app pool's password = ndes:serviceAccount.password (rotation: set, recycle)
    IisRequestLimits       maxUrl / maxQueryString (65534)
    RegistryValues         HTTP.sys MaxFieldLength / MaxRequestBytes (65534), a restart flagged
    HostReboot             the one restart the guide asks for, when pending (ndes:httpSys.allowReboot)
    MachineCertificate     the SSL certificate from the SSL template (CN per ndes:sslCertificate.commonName,
                           SANs = external + internal FQDN)
    IisHttpsBinding        443, empty host name, that certificate
    MscepTemplateMapping   the MSCEP value derived from the SCEP key usage -> the client template
    IntuneConnector        installed / running / registered (reported), its certificate's expiry
    RaCertificateRenewal   the RA certificates renewed before they expire (ndes:ndesRole.raRenewBeforeDays),
                           NDES not reinstalled

Each step depends on the one before; the directory plane's resources (account, templates, issuance) and the
CA host's resources come in through `after_directory` / `after_ca`.
"""
from __future__ import annotations

from typing import Any

import pulumi

from ..model.config import DeploymentConfig, NdesHostConfig
from ..providers.resources import IisHttpsBinding
from ..providers.resources import IisRequestLimits
from ..providers.resources import IntuneConnector
from ..providers.resources import LocalGroupMember
from ..providers.resources import MachineCertificate
from ..providers.resources import MscepTemplateMapping
from ..providers.resources import NdesRole
from ..providers.resources import RaCertificateRenewal
from ..providers.resources import ScepPoolIdentity
from ..providers.resources import HostReboot
from ..providers.registry_values import HTTP_SYS_PARAMETERS
from ..providers.resources import RegistryValues
from ..providers.windows_features import NDES_FEATURES
from ..providers.resources import WindowsFeatures
from . import connection


def ra_name(cfg: DeploymentConfig, host: NdesHostConfig) -> str:
    """The RA certificate's CN: ndes:ndesRole.raName, or '<HOST>-MSCEP-RA' as the wizard proposes."""
    return cfg.ndes_role.ra_name or f"{host.short_name.upper()}-MSCEP-RA"


def timeouts(seconds: int) -> pulumi.CustomTimeouts:
    """customTimeouts for a resource whose provider waits up to `seconds` (its timeoutSeconds input): the engine
    hands a dynamic provider no timeout (pulumi/pulumi#2655: providers implement them; the Python dynamic provider
    does not pass the engine's on), so the bound travels as an input and the option records the same value."""
    t = f"{seconds}s"
    return pulumi.CustomTimeouts(create=t, update=t, delete=t)


def install_credential(cfg: DeploymentConfig, secrets: dict[str, Any] | None = None) -> pulumi.Output | None:
    """ndes:ndesRole.installCredential as the NdesRole input (a secret Output), or None (a delegating logon); the
    password from secrets["ndesRole.installCredential.password"] when given (a library caller's Input)."""
    ic = cfg.ndes_role.install_credential
    if ic is None:
        return None
    password = (secrets or {}).get("ndesRole.installCredential.password")
    if password is not None:
        return pulumi.Output.secret(pulumi.Output.from_input(password).apply(
            lambda p, u=ic.username: {"username": u, "password": p}))
    return pulumi.Output.secret({"username": ic.username, "password": ic.password.get_secret_value()})


class NdesHost(pulumi.ComponentResource):
    """One NDES host, features to connector. Attributes: one per step (features, group_member, role, limits,
    pool_identity, http_sys, reboot, certificate, binding, mapping, connector, ra_renewal), resources (in order), outputs (dict)."""

    def __init__(self, name: str, cfg: DeploymentConfig, host: NdesHostConfig, index: int, secrets: dict[str, Any], *,
                 after_directory: list[pulumi.Resource] | None = None, after_ca: list[pulumi.Resource] | None = None,
                 winrm_url: pulumi.Input[str] | None = None, opts: pulumi.ResourceOptions | None = None,
                 owner_prefix: str | None = None, ssl_template_oid: pulumi.Input[str] | None = None):
        super().__init__("ndes:index:NdesHost", name, None, opts)
        prefix = owner_prefix or f"{pulumi.get_project()}/{pulumi.get_stack()}"
        key = f"ndes:ndesHosts[{index}]"
        endpoint = connection.windows(cfg, host.fqdn, host.winrm, key, secrets, winrm_url)
        adopt = cfg.ndes_role.adopt  # a hand-built NDES is adopted as a whole
        account = cfg.service_account_logon
        after_directory, after_ca = list(after_directory or []), list(after_ca or [])
        self.resources: list[pulumi.Resource] = []
        self.graph: dict[str, list[str]] = {}
        """step -> the steps of this host it waits for (plain data: what the docstring's order promises)."""
        names: dict[int, str] = {}

        def step(cls, res: str, config_key: str, props: dict[str, Any], depends_on: list[pulumi.Resource],
                 adopt_it: bool = adopt, **extra: Any):
            r = cls(f"{name}-{res}", {**endpoint, "owner": f"{prefix}/{name}-{res}",
                                      "configKey": config_key, "adopt": adopt_it, **props},
                    pulumi.ResourceOptions(parent=self, depends_on=depends_on, **extra))
            self.graph[res] = [names[id(d)] for d in depends_on if id(d) in names]
            names[id(r)] = res
            self.resources.append(r)
            return r

        self.features = step(WindowsFeatures, "features", key, {"features": list(NDES_FEATURES)}, [])
        self.group_member = step(LocalGroupMember, "iis-iusrs", "ndes:serviceAccount",
                                 {"group": "IIS_IUSRS", "member": account}, [self.features, *after_directory])
        r = cfg.ndes_role
        self.role = step(NdesRole, "ndes-role", "ndes:ndesRole", {
            "serviceAccount": account,
            "serviceAccountPassword": secrets.get("serviceAccount.password")
            or pulumi.Output.secret(cfg.service_account.password.get_secret_value()),
            "caConfig": cfg.ca.config, "raName": ra_name(cfg, host), "raEmail": r.ra_email, "raCompany": r.ra_company,
            "raDepartment": r.ra_department, "raCity": r.ra_city, "raState": r.ra_state, "raCountry": r.ra_country,
            "signingProvider": r.signing_provider, "signingKeyLength": r.signing_key_length,
            "encryptionProvider": r.encryption_provider, "encryptionKeyLength": r.encryption_key_length,
            "installCredential": install_credential(cfg, secrets), "timeoutSeconds": r.install_timeout,
        }, [self.group_member, *after_ca], r.adopt, custom_timeouts=timeouts(r.install_timeout))
        # a rotated password: AD first (the service account, in after_directory), then the pool, then a recycle
        self.pool_identity = step(ScepPoolIdentity, "scep-pool-identity", "ndes:serviceAccount.password", {
            "serviceAccount": account,
            "password": secrets.get("serviceAccount.password")
            or pulumi.Output.secret(cfg.service_account.password.get_secret_value()),
        }, [self.role, *after_directory], False)
        self.limits = step(IisRequestLimits, "iis-request-limits", "ndes:iis", {
            "site": "Default Web Site", "maxUrl": cfg.iis.max_url, "maxQueryString": cfg.iis.max_query_string,
        }, [self.role])
        self.http_sys = step(RegistryValues, "http-sys", "ndes:httpSys", {
            "values": [
                {"path": HTTP_SYS_PARAMETERS, "name": "MaxFieldLength", "type": "DWord",
                 "value": cfg.http_sys.max_field_length},
                {"path": HTTP_SYS_PARAMETERS, "name": "MaxRequestBytes", "type": "DWord",
                 "value": cfg.http_sys.max_request_bytes},
            ],
            "markRebootPending": True,
        }, [self.role])
        self.reboot = step(HostReboot, "reboot", "ndes:httpSys.allowReboot", {
            "allowReboot": cfg.http_sys.allow_reboot, "timeoutSeconds": cfg.http_sys.reboot_timeout,
            "triggers": [self.http_sys.values, self.http_sys.lastChange, self.limits.maxUrl,
                         self.limits.maxQueryString],
        }, [self.limits, self.http_sys], custom_timeouts=timeouts(cfg.http_sys.reboot_timeout))
        s = cfg.ssl_certificate
        cn, dns_names = cfg.ssl_names_of(host)
        self.certificate = step(MachineCertificate, "ssl-certificate", "ndes:sslCertificate", {
            "template": cfg.templates.ssl.name, "commonName": cn,
            "templateOid": "" if ssl_template_oid is None else ssl_template_oid,
            "dnsNames": dns_names,
            "renewBeforeDays": s.renew_before_days, "keySize": s.key_size,
        }, [self.reboot, *after_directory], s.adopt)
        self.binding = step(IisHttpsBinding, "https-binding", "ndes:sslCertificate", {
            "siteName": "Default Web Site", "port": 443, "ipAddress": "*", "hostName": "",
            "thumbprint": self.certificate.thumbprint, "sslFlags": 0,
        }, [self.certificate], s.adopt)
        self.mapping = step(MscepTemplateMapping, "mscep-mapping", "ndes:intune.scep.keyUsage", {
            **mscep_inputs(cfg), "templateName": cfg.templates.client.name,
        }, [self.binding, *after_directory])
        c = cfg.connector
        self.connector = step(IntuneConnector, "intune-connector", "ndes:connector", {
            "installerPath": c.installer_path, "requireRegistered": c.require_registered,
        }, [self.mapping])
        # after the binding: the renewal asks NDES over https whether it serves the new RA certificates
        self.ra_renewal = step(RaCertificateRenewal, "ra-renewal", "ndes:ndesRole.raRenewBeforeDays", {
            "caConfig": cfg.ca.config, "renewBeforeDays": r.ra_renew_before_days, "serviceAccount": account,
            "installCredential": install_credential(cfg, secrets),
        }, [self.role, self.binding], False)
        self.outputs = {
            "fqdn": host.fqdn, "scepUrl": host.scep_url,
            "sslThumbprint": self.certificate.thumbprint, "sslNotAfter": self.certificate.notAfter,
            "raNotAfter": self.ra_renewal.raNotAfter, "raDaysLeft": self.ra_renewal.raDaysLeft,
            "connectorRegistered": self.connector.registered, "connectorInstruction": self.connector.instruction,
            "connectorCertificateNotAfter": self.connector.certificateNotAfter,
        }
        self.register_outputs(self.outputs)


def mscep_inputs(cfg: DeploymentConfig) -> dict[str, Any]:
    """The mapping's key usage (the shorthand's, or the client template's purpose) and, with
    templates.moreClients, the other purposes' templates (MSCEP value -> template name)."""
    from ..model.keyusage import SCEP_KEY_USAGES, normalize_key_usage
    if not cfg.intune.scep_profiles and not cfg.templates.more_clients:
        return {"keyUsage": cfg.intune.scep.key_usage}
    by_value = cfg.templates.clients_by_mscep_value()
    main = next(v for v, (k, _) in by_value.items() if k == "templates.client") if any(
        k == "templates.client" for k, _ in by_value.values()) else None
    ku = [k for k in normalize_key_usage(cfg.templates.client.key_usage) if k in SCEP_KEY_USAGES] if main \
        else cfg.intune.scep.key_usage
    return {"keyUsage": ku, "additional": {v: t.name for v, (k, t) in by_value.items() if k != "templates.client"}}
