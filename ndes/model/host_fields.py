"""Settings of the NDES host declared once: the stack config (config_hosts.NdesRoleConfig, `ndes:ndesRole`;
config_hosts.SslCertificateConfig, `ndes:sslCertificate`) and the NdesRole and MachineCertificate providers'
inputs inherit the fields, their types and defaults.

The key lengths are RsaKeySize for both (a length read from the host loads from state as it is:
field_rules.RECORDED). The rules on the RA subject's values are the config's alone: the inputs take any value
Windows holds in an RA subject (an adopted NDES's 'Contoso, Inc.', quoted in the subject text).
"""
from __future__ import annotations

from pydantic import BaseModel, Field

from .template_fields import RsaKeySize

DEFAULT_CSP = "Microsoft Strong Cryptographic Provider"


class RaSettings(BaseModel):
    """The RA certificates' subject (name and details) and the signing/encryption CSPs and key lengths that
    Install-AdcsNetworkDeviceEnrollmentService takes. No model_config of its own: the config's and the inputs'
    (camelCase aliases, unknown keys refused) apply."""

    ra_name: str | None = None
    """RA certificate subject CN; '<HOST>-MSCEP-RA' as the wizard proposes when unset (the inputs require it)."""
    ra_email: str | None = None
    ra_company: str | None = None
    ra_department: str | None = None
    ra_city: str | None = None
    ra_state: str | None = None
    ra_country: str | None = None
    signing_provider: str = DEFAULT_CSP
    signing_key_length: RsaKeySize = 2048
    encryption_provider: str = DEFAULT_CSP
    encryption_key_length: RsaKeySize = 2048


class SslKeySettings(BaseModel):
    """The NDES host's SSL certificate's key and when it is renewed."""

    key_size: RsaKeySize = 2048
    """The private key's length in bits (what the certificate request asks for)."""
    renew_before_days: int = Field(default=30, ge=1, le=365)
    """Request a new certificate when the current one has this many days or fewer left."""
