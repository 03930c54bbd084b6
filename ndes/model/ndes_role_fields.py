"""The NDES role's install-time RA settings, declared once: the stack config (config_hosts.NdesRoleConfig,
`ndes:ndesRole`) and the NdesRole provider's inputs both inherit the fields, names and defaults.

The rules on the values (subject-safe names, a two-letter country, RSA key sizes) are the config's
(NdesRoleConfig): the provider's inputs also parse state that `read` filled from the host (the RA certificates'
subject and key lengths of an adopted or drifted NDES), which must still load so refresh and destroy work.
"""
from __future__ import annotations

from pydantic import BaseModel

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
    signing_key_length: int = 2048
    encryption_provider: str = DEFAULT_CSP
    encryption_key_length: int = 2048
