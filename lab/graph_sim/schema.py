"""The request shapes the simulator accepts, from the Graph beta reference (microsoft-graph-docs-contrib,
api-reference/beta/resources/intune-deviceconfig-*.md) and shared/reference/graph.md.

Anything else is refused the way Graph refuses it: an unknown @odata.type or property is a 400.
"""
from __future__ import annotations

NS = "#microsoft.graph."

# Properties every deviceConfiguration has (writable ones; id, dates and version are server-set).
_BASE = {"displayName", "description", "roleScopeTagIds", "deviceManagementApplicabilityRuleOsEdition",
         "deviceManagementApplicabilityRuleOsVersion", "deviceManagementApplicabilityRuleDeviceMode"}
_READ_ONLY = {"id", "createdDateTime", "lastModifiedDateTime", "version", "supportsScopeTags"}
_TRUSTED = {"trustedRootCertificate", "certFileName"}
_CERT_BASE = {"renewalThresholdPercentage", "subjectNameFormat", "subjectAlternativeNameType",
              "certificateValidityPeriodValue", "certificateValidityPeriodScale", "extendedKeyUsages"}
_SCEP = _CERT_BASE | {"scepServerUrls", "subjectNameFormatString", "keyUsage", "keySize",
                      "subjectAlternativeNameFormatString", "certificateStore", "customSubjectAlternativeNames"}

TRUSTED_ROOT_TYPES: dict[str, set[str]] = {
    "iosTrustedRootCertificate": _BASE | _TRUSTED,
    "macOSTrustedRootCertificate": _BASE | _TRUSTED | {"deploymentChannel"},
    "androidTrustedRootCertificate": _BASE | _TRUSTED,
    "androidWorkProfileTrustedRootCertificate": _BASE | _TRUSTED,
    "androidDeviceOwnerTrustedRootCertificate": _BASE | _TRUSTED,
    "windows81TrustedRootCertificate": _BASE | _TRUSTED | {"destinationStore"},
}
SCEP_TYPES: dict[str, tuple[set[str], str]] = {
    # type: (properties, the trusted root type its rootCertificate must be)
    "iosScepCertificateProfile": (_BASE | _SCEP, "iosTrustedRootCertificate"),
    "macOSScepCertificateProfile": (_BASE | _SCEP | {"hashAlgorithm", "allowAllAppsAccess", "deploymentChannel"},
                                    "macOSTrustedRootCertificate"),
    "androidScepCertificateProfile": (_BASE | _SCEP | {"hashAlgorithm"}, "androidTrustedRootCertificate"),
    "androidWorkProfileScepCertificateProfile": (_BASE | _SCEP | {"hashAlgorithm"},
                                                 "androidWorkProfileTrustedRootCertificate"),
    "androidDeviceOwnerScepCertificateProfile": (
        _BASE | _SCEP | {"hashAlgorithm", "certificateAccessType", "silentCertificateAccessDetails"},
        "androidDeviceOwnerTrustedRootCertificate"),
    "windows81SCEPCertificateProfile": (_BASE | _SCEP | {"hashAlgorithm", "keyStorageProvider"},
                                        "windows81TrustedRootCertificate"),
}

ENUMS: dict[str, set[str]] = {
    "keySize": {"size1024", "size2048", "size4096"},
    "hashAlgorithm": {"sha1", "sha2"},
    "certificateValidityPeriodScale": {"days", "months", "years"},
    "certificateStore": {"user", "machine"},
    "keyStorageProvider": {"useTpmKspOtherwiseUseSoftwareKsp", "useTpmKspOtherwiseFail",
                           "usePassportForWorkKspOtherwiseFail", "useSoftwareKsp"},
    "destinationStore": {"computerCertStoreRoot", "computerCertStoreIntermediate", "userCertStoreIntermediate"},
    "subjectNameFormat": {"commonName", "commonNameIncludingEmail", "commonNameAsEmail", "custom",
                          "commonNameAsIMEI", "commonNameAsSerialNumber", "commonNameAsAadDeviceId",
                          "commonNameAsIntuneDeviceId", "commonNameAsDurableDeviceId"},
    "deploymentChannel": {"deviceChannel", "userChannel"},
}
APPLE_SUBJECT_NAME_FORMATS = {"commonName", "commonNameAsEmail", "custom", "commonNameIncludingEmail",
                              "commonNameAsIMEI", "commonNameAsSerialNumber"}
"""iOS and macOS certificate profiles type subjectNameFormat as appleSubjectNameFormat (no device-id formats)."""
FIXED_AT_CREATION = {"deploymentChannel"}
"""Graph: "Once set, cannot be changed" (appleDeploymentChannel properties)."""


def enum_values(tname: str, prop: str) -> set[str] | None:
    """The values a property of a type accepts (None: not an enum)."""
    if prop == "subjectNameFormat" and (tname.startswith("ios") or tname.startswith("macOS")):
        return APPLE_SUBJECT_NAME_FORMATS
    return ENUMS.get(prop)
FLAG_ENUMS: dict[str, set[str]] = {
    "keyUsage": {"keyEncipherment", "digitalSignature"},
    "subjectAlternativeNameType": {"none", "emailAddress", "userPrincipalName", "customAzureADAttribute",
                                   "domainNameService", "universalResourceIdentifier"},
}
SAN_TYPES = {"none", "emailAddress", "userPrincipalName", "customAzureADAttribute", "domainNameService",
             "universalResourceIdentifier"}

APPLICATION_WRITABLE = {"displayName", "notes", "tags", "description", "identifierUris", "web", "onPremisesPublishing"}
WEB_WRITABLE = {"homePageUrl", "redirectUris", "logoutUrl", "implicitGrantSettings", "redirectUriSettings"}
ON_PREM_READ_ONLY = {"isOnPremPublishingEnabled", "applicationType"}
"""onPremisesPublishing properties the system presets ("Read-only" in the onPremisesPublishing reference): a write
is ignored, as Graph ignores read-only properties it is sent."""
ON_PREM_PUBLISHING = {"externalUrl", "internalUrl", "externalAuthenticationType", "isTranslateHostHeaderEnabled",
                      "isTranslateLinksInBodyEnabled", "isOnPremPublishingEnabled", "isHttpOnlyCookieEnabled",
                      "isSecureCookieEnabled", "isPersistentCookieEnabled", "isBackendCertificateValidationEnabled",
                      "applicationServerTimeout", "applicationType", "alternateUrl"}
EXTERNAL_AUTH = {"passthru", "aadPreAuthentication"}
ON_PREM_TEMPLATE_ID = "8adf8e6e-67b2-4cf2-a259-e3dc5476c621"


def type_name(odata_type: str | None) -> str | None:
    if not odata_type or not odata_type.startswith(NS):
        return None
    return odata_type[len(NS):]


def properties_of(tname: str) -> set[str] | None:
    if tname in TRUSTED_ROOT_TYPES:
        return TRUSTED_ROOT_TYPES[tname]
    if tname in SCEP_TYPES:
        return SCEP_TYPES[tname][0]
    return None
