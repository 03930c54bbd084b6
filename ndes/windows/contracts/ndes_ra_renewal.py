"""NdesRaRenewal.ps1: the NDES RA certificates' renewal, as raw facts and three primitive actions.

Renewing NDES's RA certificates is requesting new ones from the same two v1 templates (EnrollmentAgentOffline,
CEPEncryption), with the same subject, CSP and key length as the ones NDES was installed with, into
LocalMachine\\My, then restarting the SCEP application pool so NDES loads them, then deleting the old ones
(TechNet ff955642, summarised in reference/adcs-ndes.md; gradenegger.eu "Renew the Registration Authority (RA)
certificates for NDES": "technically an application for new certificates"). Which certificates are due, what
each request asks for and when the old ones may go are decided in Python (ndes/providers/ra_renewal.py).

get: `now` = the host's clock (UTC), every certificate with a v1 template-name extension (DER + its key's CSP),
    the SCEP app pool's state, and what NDES serves right now to GetCACert on the host's own https endpoint
    (`served`: the certificates of the PKCS #7, base64 DER; `servedError` when the request failed).
set: action `enroll`   one CertEnroll request per entry of `requests`: a new key in the machine key set (provider,
                       keyLength, keySpec as given, not exportable), subject = the given DER (copied from the
                       certificate it renews: no subject text is parsed or built), the template's name in the
                       request; submitted to `caConfig` in the administrator-for-machine context, from the CA
                       host over WinRM as `installCredential` when given (the NDES host's own logon cannot reach
                       the CA: the double hop), else as the caller; the response installed in LocalMachine\\My;
                       then `keyReader` granted Read on each new key's container (the SCEP pool reads them);
       action `restart`  Restart-WebAppPool SCEP (NDES reads its RA certificates when the pool starts);
       action `remove`   delete `removeThumbprints` with their keys (gone already: nothing to do).
"""
from __future__ import annotations

from typing import Literal

from pydantic import Field

from . import Contract
from .ndes_role import InstallCredentialParams, RaCertificateFacts

SCRIPT = "NdesRaRenewal"
KEY_SPEC = {"EnrollmentAgentOffline": 2, "CEPEncryption": 1}
"""AT_SIGNATURE for the signing (enrollment agent) certificate, AT_KEYEXCHANGE for the encryption one (MS-CRTD
§3 <42>: the templates' pKIDefaultKeySpec; reference/adcs-ndes.md)."""


class RaRequest(Contract):
    template: Literal["EnrollmentAgentOffline", "CEPEncryption"]
    subject_der_base64: str
    """The subject of the certificate being renewed (its DER Name), base64."""
    provider: str
    key_length: int
    key_spec: Literal[1, 2]


class NdesRaRenewalParams(Contract):
    mode: Literal["get", "set"]
    action: Literal["", "enroll", "restart", "remove"] = ""
    host_fqdn: str
    """The host's own FQDN: GetCACert is asked at https://<hostFqdn>/certsrv/mscep/mscep.dll (the SSL
    certificate names it)."""
    ca_config: str = ""
    requests: list[RaRequest] = []
    remove_thumbprints: list[str] = []
    install_credential: InstallCredentialParams | None = Field(default=None, repr=False)
    key_reader: str = ""
    """enroll: the account granted Read on each new private key (NDES's service account: the SCEP app pool
    runs as it and must read the RA keys; TechNet ff955642's "give the service account Read on the keys")."""


class AppPoolFacts(Contract):
    exists: bool = False
    state: str = ""
    """Started | Stopped | Starting | Stopping (Get-WebAppPoolState)."""


class NdesRaRenewalState(Contract):
    now: str
    """The host's clock, UTC, yyyy-MM-ddTHH:mm:ssZ."""
    ra_certificates: list[RaCertificateFacts] = []
    app_pool: AppPoolFacts = AppPoolFacts()
    served: list[str] = []
    """GetCACert's certificates (base64 DER), as NDES serves them now."""
    served_error: str = ""
    enrolled: list[str] = []
    """set enroll: the thumbprints of the certificates installed by this run."""
