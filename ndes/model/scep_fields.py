"""The SCEP profile's settings as types, declared once: the stack config (config.ScepConfig) and the ScepProfile
provider's inputs both use them, so a value the config accepts is one the provider accepts, with one message."""
from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator

from .eku import normalize_ekus
from .graph_enums import (CERTIFICATE_STORES, HASH_ALGORITHMS, KEY_SIZES, KEY_STORAGE_PROVIDERS, SAN_TYPES,
                          SUBJECT_NAME_FORMATS, normalize_validity)
from .keyusage import SCEP_KEY_USAGES, normalize_key_usage


def _key_usage(v: list[str]) -> list[str]:
    ku = normalize_key_usage(v)
    extra = [k for k in ku if k not in SCEP_KEY_USAGES]
    if extra or not ku:
        raise ValueError(f"Intune SCEP profiles offer only {' and '.join(SCEP_KEY_USAGES)}"
                         + (f"; remove {', '.join(extra)}" if extra else ""))
    return ku


def _key_size(v: int) -> int:
    if v not in KEY_SIZES:
        raise ValueError(f"Intune offers key sizes {', '.join(map(str, KEY_SIZES))}")
    return v


def _hash(v: str) -> str:
    if v.lower() == "sha1":
        raise ValueError("SHA-1 is refused: collisions are practical, and CAs and operating systems no longer trust "
                         "SHA-1 signatures; use sha2")
    if v.lower() not in HASH_ALGORITHMS:
        raise ValueError("hashAlgorithm is sha2 (sha256)")
    return HASH_ALGORITHMS[v.lower()]


def _one_of(name: str, allowed: tuple[str, ...]):
    def check(v: str) -> str:
        if v not in allowed:
            raise ValueError(f"{name} is one of {', '.join(allowed)}")
        return v
    return check


def _renewal(v: int) -> int:
    if not 1 <= v <= 99:
        raise ValueError("renewalThresholdPercent is between 1 and 99")
    return v


ScepKeyUsage = Annotated[list[str], AfterValidator(_key_usage)]
ScepKeySize = Annotated[int, AfterValidator(_key_size)]
HashAlgorithm = Annotated[str, AfterValidator(_hash)]
SubjectNameFormat = Annotated[str, AfterValidator(_one_of("subjectNameFormat", SUBJECT_NAME_FORMATS))]
SanType = Annotated[str, AfterValidator(_one_of("the SAN type", SAN_TYPES))]
ExtendedKeyUsages = Annotated[list[str], AfterValidator(normalize_ekus)]
ScepValidity = Annotated[str, AfterValidator(normalize_validity)]
"""A validity in words as Intune stores it: days, months or years (weeks become days)."""
RenewalThreshold = Annotated[int, AfterValidator(_renewal)]
CertificateStore = Annotated[str, AfterValidator(_one_of("certificateStore", CERTIFICATE_STORES))]
KeyStorageProvider = Annotated[str, AfterValidator(_one_of("keyStorageProvider", KEY_STORAGE_PROVIDERS))]
