"""ScepProfile: an Intune SCEP certificate profile for one platform.

Inputs are in the admin's words (keySize 2048, validity "1 year", EKU names, key usage names); the body is
derived per platform (hashAlgorithm, certificateStore, keyStorageProvider only where the platform has them);
read maps Graph's values back to the same words, so refresh shows drift as the admin would write it.
The root is bound on create (rootCertificate@odata.bind), changed through PUT .../rootCertificate/$ref,
read from GET .../rootCertificate. Assignments: POST /assign replaces the set; GET /assignments reads it.
"""
from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, ValidationInfo, field_validator


from ..graph import intune
from ..model.eku import EKU_DISPLAY, EKU_NAMES, eku_oid, normalize_ekus
from ..model.graph_enums import (KEY_SIZES, PLATFORM_BY_SCEP_TYPE, PLATFORMS, deployment_channel, key_size_bits,
                                 key_size_value, key_usage_names, key_usage_value, subject_name_problem,
                                 validity_value, validity_words)
from ..model.durations import parse_period
from ..model.field_rules import as_recorded
from ..model.scep_fields import (CertificateStore, ExtendedKeyUsages, HashAlgorithm, KeyStorageProvider,
                                 RenewalThreshold, SanType, ScepKeySize, ScepKeyUsage, ScepValidity, SubjectNameFormat)
from .base import Existing
from .graph_connection import IntuneProfileInputs, IntuneProfileProvider, split_mark, with_mark

KIND = "SCEP profile"
DEFAULT_DESCRIPTION = "SCEP certificates from NDES (managed by Pulumi)"


class San(BaseModel):
    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)
    type: SanType
    value: str


class ScepInputs(IntuneProfileInputs):
    display_name: str
    description: str = DEFAULT_DESCRIPTION
    root_profile_id: str
    root_outside_stack: bool = False
    """The root profile is an existing one the config names by id (intune.scepProfiles[].rootProfileIds), not
    this stack's: the policy pack then does not expect it among the stack's resources."""
    scep_server_urls: list[str]
    key_usage: ScepKeyUsage = ["digitalSignature", "keyEncipherment"]
    key_size: ScepKeySize = 2048
    hash_algorithm: HashAlgorithm | None = "sha2"
    subject_name_format: SubjectNameFormat = "custom"
    subject_name: str | None = "CN={{UserPrincipalName}}"
    subject_alternative_names: list[San] = []
    extended_key_usage: ExtendedKeyUsages = ["clientAuth"]
    validity: ScepValidity = "1 year"
    renewal_threshold_percent: RenewalThreshold = 20
    certificate_store: CertificateStore | None = "user"
    key_storage_provider: KeyStorageProvider | None = "useTpmKspOtherwiseUseSoftwareKsp"

    @field_validator("subject_name_format")
    @classmethod
    def _format_for_platform(cls, v: str, info: ValidationInfo) -> str:
        platform = info.data.get("platform")
        why = subject_name_problem(platform, v) if platform in PLATFORMS else None
        if why:
            raise ValueError(why)
        return v

    # read: what Graph holds, set in the portal or by another tool: SHA-1 (Intune offers it for Android and Windows),
    # no root profile linked (intune.get_root: None), deploymentChannel unknownFutureValue (appleDeploymentChannel
    # is an evolvable enum)
    _recorded_scep = as_recorded("root_profile_id", "hash_algorithm", "deployment_channel")

    def default_channel(self) -> str:
        return deployment_channel(self.certificate_store)  # macOS: the keychain follows certificateStore

    @property
    def odata_type(self) -> str:
        return PLATFORMS[self.platform].scep_type

    def effective(self) -> "ScepInputs":
        """These inputs as the platform can hold them (settings it lacks dropped), so diffs stay quiet."""
        p = PLATFORMS[self.platform]
        return self.model_copy(update={
            "hash_algorithm": self.hash_algorithm if p.has_hash_algorithm else None,
            "certificate_store": self.certificate_store if p.has_certificate_store else None,
            "key_storage_provider": self.key_storage_provider if p.has_key_storage_provider else None,
            "subject_name": self.subject_name if self.subject_name_format == "custom" else None,
        })


def scep_body(inp: ScepInputs) -> dict[str, Any]:
    """The Graph body of a SCEP profile (without the root link)."""
    e = inp.effective()
    value, scale = validity_value(parse_period(e.validity))
    b: dict[str, Any] = {
        "@odata.type": e.odata_type, "displayName": e.display_name,
        "description": with_mark(e.description, e.owner),
        "scepServerUrls": list(e.scep_server_urls), "keyUsage": key_usage_value(e.key_usage),
        "keySize": key_size_value(e.key_size), "subjectNameFormat": e.subject_name_format,
        "customSubjectAlternativeNames": [{"sanType": s.type, "name": s.value} for s in e.subject_alternative_names],
        "extendedKeyUsages": [{"name": EKU_DISPLAY.get(n, n), "objectIdentifier": eku_oid(n)}
                              for n in e.extended_key_usage],
        "certificateValidityPeriodValue": value, "certificateValidityPeriodScale": scale,
        "renewalThresholdPercentage": e.renewal_threshold_percent,
    }
    if e.subject_name is not None:
        b["subjectNameFormatString"] = e.subject_name
    if e.hash_algorithm is not None:
        b["hashAlgorithm"] = e.hash_algorithm
    if e.certificate_store is not None:
        b["certificateStore"] = e.certificate_store
    if e.key_storage_provider is not None:
        b["keyStorageProvider"] = e.key_storage_provider
    if e.deployment_channel is not None:
        b["deploymentChannel"] = e.deployment_channel
    return b


FIXED_AT_CREATION = ("@odata.type", "certificateStore", "deploymentChannel")
"""Never PATCHed: the type names the object; certificate type and channel are locked once the profile exists
(a change replaces the profile)."""


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, list) and isinstance(b, list):
        strip = lambda xs: [{k: v for k, v in x.items() if k != "@odata.type"} if isinstance(x, dict) else x
                            for x in xs]
        return strip(a) == strip(b)
    return a == b


class ScepProfileProvider(IntuneProfileProvider):
    label = KIND
    Inputs = ScepInputs
    replace_on: ClassVar[frozenset[str]] = frozenset({"platform", "certificateStore", "deploymentChannel"})
    """The portal locks certificate type and (macOS) deployment channel once the profile exists."""

    def apply(self, inp: ScepInputs, existing: Existing | None) -> tuple[str, dict[str, Any]]:
        c = inp.client()
        body = scep_body(inp)
        if existing is None:
            body["rootCertificate@odata.bind"] = intune.profile_ref(c, inp.root_profile_id)
            pid = intune.create_profile(c, body, KIND, self.mine(inp))["id"]
        else:
            pid = existing.id
            have = intune.get_profile(c, pid, KIND, wait_for=True) or {}
            changed = {k: v for k, v in body.items() if k not in FIXED_AT_CREATION and not _same(have.get(k), v)}
            if changed:
                intune.update_profile(c, pid, {"@odata.type": inp.odata_type, **changed}, KIND)
            if intune.get_root(c, pid, inp.odata_type, KIND) != inp.root_profile_id:
                intune.set_root(c, pid, inp.odata_type, inp.root_profile_id, KIND)
        return pid, {"profileId": pid, "managedGroups": self.assign(c, pid, inp, KIND)}

    def get(self, id_: str, inp: ScepInputs) -> dict[str, Any] | None:
        if not id_:  # find found nothing: Graph reads an object by its id (an empty one reads the collection)
            return None
        c = inp.client()
        p = intune.get_profile(c, id_, KIND)
        if p is None:
            return None
        odata_type = p.get("@odata.type", "")
        platform = PLATFORM_BY_SCEP_TYPE.get(odata_type, odata_type)
        ekus = [EKU_NAMES.get(e.get("objectIdentifier", ""), e.get("objectIdentifier", ""))
                for e in p.get("extendedKeyUsages") or []]
        scale = p.get("certificateValidityPeriodScale")
        value = p.get("certificateValidityPeriodValue")
        size = p.get("keySize")
        e = inp.effective()
        return {
            "platform": platform,
            "displayName": p.get("displayName"),
            "description": split_mark(p.get("description"))[0],
            "rootProfileId": intune.get_root(c, id_, odata_type, KIND),
            "scepServerUrls": p.get("scepServerUrls") or [],
            "keyUsage": key_usage_names(p.get("keyUsage")),
            "keySize": key_size_bits(size) if size in KEY_SIZES.values() else size,
            "hashAlgorithm": p.get("hashAlgorithm") if e.hash_algorithm is not None else inp.hash_algorithm,
            "subjectNameFormat": p.get("subjectNameFormat"),
            "subjectName": p.get("subjectNameFormatString") if p.get("subjectNameFormat") == "custom"
            else inp.subject_name,
            "subjectAlternativeNames": [{"type": s.get("sanType"), "value": s.get("name")}
                                        for s in p.get("customSubjectAlternativeNames") or []],
            "extendedKeyUsage": normalize_ekus(ekus) if ekus else [],
            "validity": validity_words(value, scale) if value and scale else None,
            "renewalThresholdPercent": p.get("renewalThresholdPercentage"),
            # a profile made before these were sent carries neither: it is not a change (no replace on upgrade)
            "certificateStore": p.get("certificateStore") or inp.certificate_store,
            "keyStorageProvider": p.get("keyStorageProvider") if e.key_storage_provider is not None
            else inp.key_storage_provider,
            "deploymentChannel": (p.get("deploymentChannel") or e.deployment_channel) if e.deployment_channel is not None
            else None,
            "groups": intune.name_filters_as(c, intune.get_assigned_groups(c, id_, KIND), inp.groups, KIND),
            "profileId": id_,
        }

    def remove(self, id_: str, inp: ScepInputs) -> None:
        intune.delete_profile(inp.client(), id_, KIND)
