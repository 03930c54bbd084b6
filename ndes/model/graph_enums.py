"""Intune (Graph beta) enum values and types per platform, from the admin's words.

Source: Graph beta reference for deviceConfigurations' *TrustedRootCertificate and *ScepCertificateProfile
types (shared/reference/graph.md).
"""
from __future__ import annotations

from dataclasses import dataclass

from .durations import Period


SUBJECT_NAME_FORMATS = (
    "commonName", "commonNameIncludingEmail", "commonNameAsEmail", "custom", "commonNameAsIMEI",
    "commonNameAsSerialNumber", "commonNameAsAadDeviceId", "commonNameAsIntuneDeviceId", "commonNameAsDurableDeviceId",
)
"""Graph's subjectNameFormat (Android, Windows)."""
APPLE_SUBJECT_NAME_FORMATS = ("commonName", "commonNameAsEmail", "custom", "commonNameIncludingEmail",
                              "commonNameAsIMEI", "commonNameAsSerialNumber")
"""Graph's appleSubjectNameFormat (iOS/iPadOS, macOS): no device-id formats (intune-deviceconfig-applesubjectnameformat)."""
DEPLOYMENT_CHANNELS = ("deviceChannel", "userChannel")
"""Graph's appleDeploymentChannel: the macOS keychain a profile's certificate goes to (System or login)."""


@dataclass(frozen=True)
class Platform:
    name: str  # the admin's word, also the config value
    title: str  # as the Intune portal names it
    trusted_root_type: str
    scep_type: str
    has_hash_algorithm: bool
    has_certificate_store: bool
    has_key_storage_provider: bool
    needs_issuing_ca: bool  # the seed: Android needs root and issuing CA trusted-certificate profiles
    subject_name_formats: tuple[str, ...] = SUBJECT_NAME_FORMATS
    has_deployment_channel: bool = False
    """macOS: deploymentChannel (deviceChannel | userChannel) on the SCEP and trusted-root profiles; fixed at
    creation."""


# certificateStore ("Certificate type": user or device) exists on every platform's SCEP profile: Intune's SCEP
# profile doc lists it for Android Enterprise, iOS/iPadOS, macOS and Windows, and the Graph beta types carry it.
PLATFORMS: dict[str, Platform] = {
    p.name: p
    for p in (
        Platform("ios", "iOS/iPadOS", "#microsoft.graph.iosTrustedRootCertificate",
                 "#microsoft.graph.iosScepCertificateProfile", False, True, False, False,
                 APPLE_SUBJECT_NAME_FORMATS),
        Platform("macos", "macOS", "#microsoft.graph.macOSTrustedRootCertificate",
                 "#microsoft.graph.macOSScepCertificateProfile", True, True, False, False,
                 APPLE_SUBJECT_NAME_FORMATS, True),
        Platform("androidWorkProfile", "Android Enterprise work profile",
                 "#microsoft.graph.androidWorkProfileTrustedRootCertificate",
                 "#microsoft.graph.androidWorkProfileScepCertificateProfile", True, True, False, True),
        Platform("androidDeviceOwner", "Android Enterprise fully managed",
                 "#microsoft.graph.androidDeviceOwnerTrustedRootCertificate",
                 "#microsoft.graph.androidDeviceOwnerScepCertificateProfile", True, True, False, True),
        Platform("windows", "Windows 10 and later", "#microsoft.graph.windows81TrustedRootCertificate",
                 "#microsoft.graph.windows81SCEPCertificateProfile", True, True, True, False),
    )
}
APPLE = ("ios", "macos")

KEY_SIZES = {1024: "size1024", 2048: "size2048", 4096: "size4096"}
HASH_ALGORITHMS = {"sha1": "sha1", "sha2": "sha2", "sha256": "sha2"}
VALIDITY_SCALES = {"day": "days", "month": "months", "year": "years"}
SAN_TYPES = ("emailAddress", "userPrincipalName", "customAzureADAttribute", "domainNameService",
             "universalResourceIdentifier")
CERTIFICATE_STORES = ("user", "machine")
KEY_STORAGE_PROVIDERS = ("useTpmKspOtherwiseUseSoftwareKsp", "useTpmKspOtherwiseFail", "usePassportForWorkKspOtherwiseFail",
                         "useSoftwareKsp")
WINDOWS_DESTINATION_STORES = {"root": "computerCertStoreRoot", "issuing": "computerCertStoreIntermediate",
                              "userIssuing": "userCertStoreIntermediate"}
"""A trusted-certificate profile's role -> Graph's certificateDestinationStore on Windows (the computer's root or
intermediate store, or the user's intermediate store); other platforms have no destination store."""


def deployment_channel(certificate_store: str | None) -> str:
    """The macOS channel a certificate type goes over: user certificates to the login keychain (userChannel),
    device certificates to the System keychain (deviceChannel)."""
    return "userChannel" if certificate_store == "user" else "deviceChannel"


def subject_name_problem(platform: str, fmt: str) -> str | None:
    """Why `fmt` is refused on `platform` (None: accepted)."""
    p = PLATFORMS[platform]
    if fmt in p.subject_name_formats:
        return None
    return (f"subjectNameFormat {fmt} is not offered for {p.title} profiles; use one of "
            f"{', '.join(p.subject_name_formats)}")


def key_size_value(bits: int) -> str:
    return KEY_SIZES[bits]


def key_usage_value(names: list[str]) -> str:
    """Graph keyUsages flags string: "keyEncipherment,digitalSignature" order as Graph returns it."""
    order = ("keyEncipherment", "digitalSignature")
    return ",".join(n for n in order if n in names)


def validity_value(period: Period) -> tuple[int, str]:
    """(certificateValidityPeriodValue, certificateValidityPeriodScale)."""
    if period.unit == "week":
        return period.value * 7, "days"
    if period.unit not in VALIDITY_SCALES:
        raise ValueError(f"Intune expresses validity in days, months or years, not {period.unit}s")
    return period.value, VALIDITY_SCALES[period.unit]


# ---- Graph values back to the admin's words (read / refresh) ------------------------------------------------
KEY_SIZE_BITS = {v: k for k, v in KEY_SIZES.items()}
SCALE_UNITS = {v: k for k, v in VALIDITY_SCALES.items()}
PLATFORM_BY_TRUSTED_ROOT_TYPE = {p.trusted_root_type: p.name for p in PLATFORMS.values()}
PLATFORM_BY_SCEP_TYPE = {p.scep_type: p.name for p in PLATFORMS.values()}
DESTINATION_STORE_ROLES = {v: k for k, v in WINDOWS_DESTINATION_STORES.items()}


def key_size_bits(value: str) -> int:
    """size2048 -> 2048."""
    return KEY_SIZE_BITS[value]


def key_usage_names(value: str | None) -> list[str]:
    """Graph keyUsage flags ("keyEncipherment,digitalSignature") -> names in X.509 bit order."""
    from .keyusage import normalize_key_usage
    return normalize_key_usage([v for v in (value or "").split(",") if v.strip()])


def validity_words(value: int, scale: str) -> str:
    """(1, "years") -> "1 year"; the inverse of validity_value for days, months and years."""
    return str(Period(int(value), SCALE_UNITS[scale]))


def normalize_validity(text: str) -> str:
    """A validity as Intune stores it, in words: weeks become days ("2 weeks" -> "14 days")."""
    from .durations import parse_period
    v, scale = validity_value(parse_period(text, allowed=("day", "week", "month", "year")))
    return validity_words(v, scale)
