"""CaHost: the seed guide's steps on the Enterprise CA, over WinRM to the CA host.

    CaAccess        "Request Certificates" for the NDES service account in the CA's security
                    (CertSvc restarted only when it changed)
    CaCertificate   the CA's certificate and its root, exported (read-only) for the Intune trusted-certificate
                    profiles: outputs root_der_b64 / issuing_der_b64 (base64 DER)
"""
from __future__ import annotations

from typing import Any

import pulumi

from ..model.config import DeploymentConfig
from ..declare import hosts as declared_hosts
from ..providers.resources import resource_of
from . import connection


class CaHost(pulumi.ComponentResource):
    """Request Certificates for the service account on the CA, and the CA's certificates.

    Attributes: ca_access, ca_certificate, resources, and the Outputs root_der_b64, issuing_der_b64,
    root_thumbprint, issuing_thumbprint, root_not_after, issuing_not_after.
    """

    def __init__(self, name: str, cfg: DeploymentConfig, secrets: dict[str, Any], *,
                 service_account_sid: pulumi.Input[str] | None = None,
                 opts: pulumi.ResourceOptions | None = None, owner_prefix: str | None = None,
                 winrm_url: pulumi.Input[str] | None = None):
        super().__init__("ndes:index:CaHost", name, None, opts)
        prefix = owner_prefix or f"{pulumi.get_project()}/{pulumi.get_stack()}"
        endpoint = connection.windows(cfg, cfg.ca.host, cfg.ca.winrm, "ndes:ca", secrets, winrm_url)
        child = pulumi.ResourceOptions(parent=self)
        declared = declared_hosts.ca_host(cfg, service_account_sid)

        def made(step: str) -> pulumi.Resource:
            d = declared[step]
            return resource_of(d.provider)(f"{name}-{step}", {
                **endpoint, "owner": f"{prefix}/{name}-{step}", "configKey": d.config_key, "adopt": d.adopt,
                **d.props}, child)
        self.ca_access = made("request-certificates")
        self.ca_certificate = made("certificate")
        self.resources: list[pulumi.Resource] = [self.ca_access, self.ca_certificate]
        c = self.ca_certificate
        self.root_der_b64, self.issuing_der_b64 = c.rootDerBase64, c.issuingDerBase64
        self.root_thumbprint, self.issuing_thumbprint = c.rootThumbprint, c.issuingThumbprint
        self.root_not_after, self.issuing_not_after = c.rootNotAfter, c.issuingNotAfter
        self.register_outputs({"rootDerBase64": self.root_der_b64, "issuingDerBase64": self.issuing_der_b64,
                               "rootThumbprint": self.root_thumbprint, "issuingThumbprint": self.issuing_thumbprint,
                               "rootNotAfter": self.root_not_after, "issuingNotAfter": self.issuing_not_after})
