"""Issue 20 item 3: the cross-checks the seed makes in prose run for every SCEP profile of intune.scepProfiles,
each against the client template its key usage picks through MSCEP, and name that profile's key (before, they
looked at the intune.scep shorthand only, so a named profile passed preview with a key size, validity or EKU its
template refuses)."""
from __future__ import annotations

import pytest

from ndes.model import load_config
from ndes.model.errors import ConfigError

from .sample_config import GROUP, sample

OTHER = "6f1c1e0a-1111-4a4a-9b9b-000000000002"
SIGNING = {"name": "NDES-Signing", "keyUsage": ["digitalSignature"], "extendedKeyUsage": ["clientAuth"]}
WIFI = {"name": "WiFi device", "certificateStore": "machine", "keyUsage": ["digitalSignature"],
        "subjectName": "CN={{AAD_Device_ID}}", "subjectAlternativeNames": [], "groups": [{"id": GROUP}]}


def problems(wifi: dict | None = None, signing: dict | None = None, **more) -> dict[str, str]:
    intune = {"platforms": ["ios", "androidWorkProfile", "windows"],
              "scepProfiles": [{"name": "VPN user", "groups": [{"id": GROUP}]}, {**WIFI, **(wifi or {})}], **more}
    try:
        load_config(sample(intune=intune, **{"templates.moreClients": [{**SIGNING, **(signing or {})}]}))
    except ConfigError as e:
        return {p.key: f"{p.message} | {p.fix}" for p in e.problems}
    return {}


def test_the_two_profile_form_passes():
    assert problems() == {}


def test_a_named_profiles_key_size_against_its_own_template():
    got = problems(wifi={"keySize": 2048}, signing={"minimumKeySize": 4096})
    assert list(got) == ["intune.scepProfiles[1].keySize"]
    assert "NDES-Signing (templates.moreClients[0]) requires at least 4096" in got["intune.scepProfiles[1].keySize"]
    # the VPN profile's template (templates.client, 2048) is not the one that asks for 4096
    assert problems(wifi={"keySize": 4096, "keyStorageProvider": "useSoftwareKsp"},
                    signing={"minimumKeySize": 4096}) == {}


def test_a_named_profiles_validity_against_its_own_template():
    got = problems(wifi={"validity": "2 years"}, signing={"validity": "1 year"})
    assert list(got) == ["intune.scepProfiles[1].validity"]
    assert "profile 'WiFi device' asks for 2 years" in got["intune.scepProfiles[1].validity"]
    assert "NDES-Signing issues at most 1 year" in got["intune.scepProfiles[1].validity"]


def test_a_named_profiles_ekus_against_its_own_template():
    got = problems(wifi={"extendedKeyUsage": ["clientAuth", "emailProtection"]})
    assert list(got) == ["intune.scepProfiles[1].extendedKeyUsage"]
    assert "emailProtection" in got["intune.scepProfiles[1].extendedKeyUsage"]
    assert "templates.moreClients[0].extendedKeyUsage" in got["intune.scepProfiles[1].extendedKeyUsage"]


def test_a_named_profiles_subject_format_on_its_own_platforms():
    got = problems(wifi={"subjectNameFormat": "commonNameAsAadDeviceId"})
    assert list(got) == ["intune.scepProfiles[1].subjectNameFormat"]
    assert "iOS/iPadOS" in got["intune.scepProfiles[1].subjectNameFormat"]
    assert "intune.scepProfiles[1].platforms" in got["intune.scepProfiles[1].subjectNameFormat"]
    # on a profile without Apple platforms the format is Graph's to take
    assert problems(wifi={"subjectNameFormat": "commonNameAsAadDeviceId", "platforms": ["windows"]}) == {}


def test_nonrepudiation_on_the_template_an_apple_profile_uses():
    got = problems(signing={"keyUsage": ["digitalSignature", "nonRepudiation"]})
    assert list(got) == ["templates.moreClients[0].keyUsage"]
    assert "profile 'WiFi device' targets ios" in got["templates.moreClients[0].keyUsage"]
    assert problems(signing={"keyUsage": ["digitalSignature", "nonRepudiation"]},
                    wifi={"platforms": ["windows"]}) == {}


def test_a_named_profiles_groups_need_the_trusted_root():
    got = problems(wifi={"groups": [{"id": OTHER}]}, trustedRoot={"groups": [{"id": GROUP}]})
    assert list(got) == ["intune.trustedRoot.groups"]
    assert f"profile 'WiFi device' goes to {OTHER}" in got["intune.trustedRoot.groups"]


@pytest.mark.parametrize("key,value,where", [
    ("intune.scep.keySize", 1024, "intune.scep.keySize"),
    ("intune.scep.validity", "2 years", "intune.scep.validity"),
    ("intune.scep.extendedKeyUsage", ["clientAuth", "emailProtection"], "intune.scep.extendedKeyUsage"),
])
def test_the_shorthand_keeps_its_keys(key, value, where):
    with pytest.raises(ConfigError) as e:
        load_config(sample(**{key: value}))
    assert where in [p.key for p in e.value.problems]
