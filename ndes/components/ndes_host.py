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
from ..declare import hosts as declared_hosts
from ..providers.resources import resource_of
from . import connection


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
        after_directory, after_ca = list(after_directory or []), list(after_ca or [])
        self.resources: list[pulumi.Resource] = []
        self.graph: dict[str, list[str]] = {}
        """step -> the steps of this host it waits for (plain data: what the docstring's order promises)."""
        names: dict[int, str] = {}

        def step(res: str, depends_on: list[pulumi.Resource], fed: dict[str, Any] | None = None, **extra: Any):
            """The declared resource `res`, with the inputs other resources' outputs feed in (`fed`)."""
            d = declared[res]
            r = resource_of(d.provider)(
                f"{name}-{res}", {**endpoint, "owner": f"{prefix}/{name}-{res}", "configKey": d.config_key,
                                  "adopt": d.adopt, **d.props, **(fed or {})},
                pulumi.ResourceOptions(parent=self, depends_on=depends_on, **extra))
            self.graph[res] = [names[id(d)] for d in depends_on if id(d) in names]
            names[id(r)] = res
            self.resources.append(r)
            return r

        password = secrets.get("serviceAccount.password") or pulumi.Output.secret(
            cfg.service_account.password.get_secret_value())
        declared = declared_hosts.ndes_host(
            cfg, host, index, password=password, install_credential=install_credential(cfg, secrets),
            template_oid="" if ssl_template_oid is None else ssl_template_oid)
        r = cfg.ndes_role
        self.features = step("features", [])
        self.group_member = step("iis-iusrs", [self.features, *after_directory])
        self.role = step("ndes-role", [self.group_member, *after_ca], custom_timeouts=timeouts(r.install_timeout))
        # a rotated password: AD first (the service account, in after_directory), then the pool, then a recycle
        self.pool_identity = step("scep-pool-identity", [self.role, *after_directory])
        self.limits = step("iis-request-limits", [self.role])
        self.http_sys = step("http-sys", [self.role])
        self.reboot = step("reboot", [self.limits, self.http_sys], {"triggers": [
            self.http_sys.values, self.http_sys.lastChange, self.limits.maxUrl, self.limits.maxQueryString]},
            custom_timeouts=timeouts(cfg.http_sys.reboot_timeout))
        self.certificate = step("ssl-certificate", [self.reboot, *after_directory])
        self.binding = step("https-binding", [self.certificate], {"thumbprint": self.certificate.thumbprint})
        self.mapping = step("mscep-mapping", [self.binding, *after_directory])
        self.connector = step("intune-connector", [self.mapping])
        # after the binding: the renewal asks NDES over https whether it serves the new RA certificates
        self.ra_renewal = step("ra-renewal", [self.role, self.binding])
        self.outputs = {
            "fqdn": host.fqdn, "scepUrl": host.scep_url,
            "sslThumbprint": self.certificate.thumbprint, "sslNotAfter": self.certificate.notAfter,
            "raNotAfter": self.ra_renewal.raNotAfter, "raDaysLeft": self.ra_renewal.raDaysLeft,
            "connectorRegistered": self.connector.registered, "connectorInstruction": self.connector.instruction,
            "connectorCertificateNotAfter": self.connector.certificateNotAfter,
        }
        self.register_outputs(self.outputs)

