"""CaHost: the seed guide's steps on the Enterprise CA, over WinRM to the CA host.

    CaAccess        "Request Certificates" for the NDES service account in the CA's security
                    (CertSvc restarted only when it changed)
    CaCertificate   the CA's certificate and its root, exported (read-only) for the Intune trusted-certificate
                    profiles: outputs root_der_b64 / issuing_der_b64 (base64 DER)
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pulumi

from ..model.config import DeploymentConfig, WinRMConfig
from ..providers._windows import endpoint_input
from ..providers.ca_access import CaAccess
from ..providers.ca_certificate import CaCertificate


def read_pem(path: str | None, key: str) -> str | None:
    """The PEM text of a CA bundle named in config (relative paths from the project directory), or None."""
    if not path:
        return None
    p = Path(path)
    if not p.is_absolute():
        p = Path.cwd() / p
    try:
        return p.read_text()
    except OSError as exc:
        raise pulumi.RunError(f"{key}: cannot read {p}: {exc.strerror}") from None


def windows_endpoint(cfg: DeploymentConfig, host: str, own: WinRMConfig | None, key: str,
                     secrets: dict[str, Any], url: pulumi.Input[str] | None = None) -> pulumi.Output:
    """The `endpoint` input of every resource on `host` (a secret Output: it carries the WinRM password).
    The host's own winrm block overrides the stack-wide ndes:winrm defaults; `url` (e.g. an Azure VM's
    winrm_url Output) overrides the configured URL."""
    w = cfg.winrm_for(host, own)
    if own is not None and own.password is not None:
        password: Any = pulumi.Output.secret(own.password.get_secret_value())
    elif secrets.get("winrm.password") is not None:
        password = secrets["winrm.password"]
    elif w.password is not None:
        password = pulumi.Output.secret(w.password.get_secret_value())
    else:
        raise pulumi.RunError(f"{key}.winrm.password (or ndes:winrm.password): no WinRM password for {host}")
    if not w.username:
        raise pulumi.RunError(f"{key}.winrm.username (or ndes:winrm.username): no WinRM user for {host}")
    bundle_key = f"{key}.winrm.caBundle" if own is not None and own.ca_bundle else "ndes:winrm.caBundle"
    return pulumi.Output.secret(endpoint_input(
        host, url=url if url is not None else w.url, username=w.username, password=password, auth=w.auth,
        ca_bundle_pem=read_pem(w.ca_bundle, bundle_key), insecure_skip_tls_verify=w.insecure_skip_tls_verify,
        operation_timeout=w.operation_timeout_seconds))


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
        endpoint = windows_endpoint(cfg, cfg.ca.host, cfg.ca.winrm, "ndes:ca", secrets, winrm_url)
        child = pulumi.ResourceOptions(parent=self)
        account = f"{cfg.domain.netbios_name}\\{cfg.service_account.name}"
        self.ca_access = CaAccess(f"{name}-request-certificates", {
            "endpoint": endpoint, "owner": f"{prefix}/{name}-request-certificates", "configKey": "ndes:ca",
            "adopt": cfg.ca.adopt, "caName": cfg.ca.common_name, "account": account,
            "accountSid": service_account_sid,
        }, child)
        self.ca_certificate = CaCertificate(f"{name}-certificate", {
            "endpoint": endpoint, "owner": f"{prefix}/{name}-certificate", "configKey": "ndes:ca",
            "caName": cfg.ca.common_name,
        }, child)
        self.resources: list[pulumi.Resource] = [self.ca_access, self.ca_certificate]
        c = self.ca_certificate
        self.root_der_b64, self.issuing_der_b64 = c.rootDerBase64, c.issuingDerBase64
        self.root_thumbprint, self.issuing_thumbprint = c.rootThumbprint, c.issuingThumbprint
        self.root_not_after, self.issuing_not_after = c.rootNotAfter, c.issuingNotAfter
        self.register_outputs({"rootDerBase64": self.root_der_b64, "issuingDerBase64": self.issuing_der_b64,
                               "rootThumbprint": self.root_thumbprint, "issuingThumbprint": self.issuing_thumbprint,
                               "rootNotAfter": self.root_not_after, "issuingNotAfter": self.issuing_not_after})
