"""Intune's SCEP profile variables against the certificate type (user or device), and the Windows key-size rule.

Source: Microsoft Learn, "Create and assign SCEP certificate profiles in Intune"
(https://learn.microsoft.com/en-us/mem/intune/protect/certificates-profile-scep), Subject name format / Subject
alternative name: a User certificate takes the user's variables; a Device certificate takes the device's
variables only. The same page: 4096-bit keys on Windows need the Software KSP (TPM and Windows Hello for Business
key storage providers fail with them).
"""
from __future__ import annotations

import re

USER_VARIABLES = ("UserName", "EmailAddress", "UserPrincipalName", "OnPrem_Distinguished_Name",
                  "OnPremisesSamAccountName", "OnPremisesSecurityIdentifier", "GivenName", "SurName",
                  "OnPremisesDomainName", "UserId")
DEVICE_VARIABLES = ("AAD_Device_ID", "AzureADDeviceId", "DeviceId", "Device_Serial", "SerialNumber", "Device_IMEI",
                    "IMEINumber", "IMEI", "MEID", "WiFiMacAddress", "DeviceName", "FullyQualifiedDomainName",
                    "OnPremisesSecurityIdentifier")
"""{{OnPremisesSecurityIdentifier}} is in both: the doc offers the SID URI SAN on device certificates of Entra
hybrid-joined Windows devices (the computer's SID)."""
ALLOWED = {"user": USER_VARIABLES, "machine": DEVICE_VARIABLES}
CERTIFICATE_TYPE_WORDS = {"user": "user", "machine": "device"}
_VAR = re.compile(r"\{\{\s*([A-Za-z0-9_]+)\s*\}\}")
SOFTWARE_KSP = "useSoftwareKsp"


def variables_in(text: str | None) -> list[str]:
    return _VAR.findall(text or "")


def variable_problems(certificate_store: str, texts: dict[str, str | None]) -> list[str]:
    """One sentence per field whose variables the certificate type does not offer, naming the allowed list.
    `texts`: field name (config words) -> text."""
    allowed = ALLOWED[certificate_store]
    word = CERTIFICATE_TYPE_WORDS[certificate_store]
    out = []
    for field, text in texts.items():
        bad = [v for v in variables_in(text) if v not in allowed]
        if bad:
            out.append(f"{field} uses {', '.join('{{' + v + '}}' for v in bad)}, which a {word} certificate does "
                       f"not offer; a {word} certificate (certificateStore: {certificate_store}) takes "
                       f"{', '.join('{{' + v + '}}' for v in allowed)}")
    return out


def key_size_problem(platforms: list[str], key_size: int, key_storage_provider: str) -> str | None:
    if "windows" in platforms and key_size == 4096 and key_storage_provider != SOFTWARE_KSP:
        return (f"Windows enrolls 4096-bit keys only with the software key storage provider; keyStorageProvider "
                f"{key_storage_provider} fails on Windows: set keyStorageProvider: {SOFTWARE_KSP} or keySize: 2048")
    return None


def validity_beyond_ca(validity_days: int, ca_der_b64: str | None, now=None) -> str | None:
    """Why a certificate validity of `validity_days` cannot be issued by the CA whose certificate is `ca_der_b64`
    (base64 DER): a CA does not issue past its own expiry (Intune's SCEP doc: the validity must not exceed the
    issuing CA's remaining life). None when it fits or the certificate is not known."""
    if not ca_der_b64:
        return None
    import base64
    import datetime
    from cryptography import x509
    try:
        cert = x509.load_der_x509_certificate(base64.b64decode(ca_der_b64))
    except ValueError:
        return None  # not a certificate: the trusted-certificate profile's own check reports it
    now = now or datetime.datetime.now(datetime.timezone.utc)
    left = (cert.not_valid_after_utc - now).days
    if validity_days > left:
        return (f"a validity of {validity_days} days outlives the issuing CA '{cert.subject.rfc4514_string()}', which "
                f"expires in {max(left, 0)} days ({cert.not_valid_after_utc:%Y-%m-%d}): the CA would cut every "
                f"certificate short; give a validity of at most {max(left, 0)} days or renew the CA")
    return None
