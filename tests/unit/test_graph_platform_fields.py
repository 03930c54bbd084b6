"""Per-platform profile fields (issue 15 items 2 and 3): macOS deploymentChannel sent and fixed at creation,
subject name formats per platform refused at preview with the key and the allowed list, certificateStore sent on
every platform that has a certificate type (never dropped silently)."""
from __future__ import annotations

import pytest

from ndes.model import ConfigError, load_config
from ndes.model.graph_enums import APPLE_SUBJECT_NAME_FORMATS, PLATFORMS
from ndes.providers.scep_profile import ScepInputs, ScepProfileProvider, scep_body
from ndes.providers.trusted_certificate_profile import TrustedCertificateProfileProvider
from tests.certs import der_b64, self_signed

from .sample_config import sample
from .test_graph_providers import CONN, SCEP




def _der() -> str:
    return der_b64(self_signed("Test Root"))


ROOT = {**CONN, "displayName": "NDES Root CA", "certFileName": "root.cer", "configKey": "ndes:intune.trustedRoot"}


def test_macos_scep_profile_sends_the_deployment_channel_of_its_certificate_type():
    user = scep_body(ScepInputs.model_validate({**SCEP, "platform": "macos", "certificateStore": "user"}))
    device = scep_body(ScepInputs.model_validate({**SCEP, "platform": "macos", "certificateStore": "machine"}))
    assert user["deploymentChannel"] == "userChannel" and device["deploymentChannel"] == "deviceChannel"
    for platform in PLATFORMS:
        if platform != "macos":
            assert "deploymentChannel" not in scep_body(ScepInputs.model_validate({**SCEP, "platform": platform}))


def test_macos_trusted_root_sends_a_deployment_channel():
    p = TrustedCertificateProfileProvider()
    inp = p.parse(p.check({}, {**ROOT, "platform": "macos", "certificate": _der()}).inputs)
    assert p.body(inp)["deploymentChannel"] == "deviceChannel"
    inp = p.parse(p.check({}, {**ROOT, "platform": "ios", "certificate": _der()}).inputs)
    assert "deploymentChannel" not in p.body(inp)


def test_deployment_channel_change_replaces_and_is_refused_off_macos():
    p = ScepProfileProvider()
    olds = p.check({}, {**SCEP, "platform": "macos"}).inputs
    d = p.diff("id", olds, p.check({}, {**SCEP, "platform": "macos", "deploymentChannel": "deviceChannel"}).inputs)
    assert "deploymentChannel" in d.replaces
    res = p.check({}, {**SCEP, "platform": "ios", "deploymentChannel": "userChannel"})
    assert res.failures and "macOS profiles only" in res.failures[0].reason
    t = TrustedCertificateProfileProvider()
    olds = t.check({}, {**ROOT, "platform": "macos", "certificate": _der()}).inputs
    news = t.check({}, {**olds, "deploymentChannel": "userChannel"}).inputs
    assert "deploymentChannel" in t.diff("id", olds, news).replaces


def test_state_written_before_deployment_channel_existed_is_not_replaced():
    p = ScepProfileProvider()
    news = p.check({}, {**SCEP, "platform": "macos"}).inputs
    olds = {k: v for k, v in news.items() if k != "deploymentChannel"}
    d = p.diff("id", olds, news)
    assert not d.changes and not d.replaces


def test_certificate_store_is_sent_on_every_platform_and_a_change_replaces():
    for platform in PLATFORMS:
        b = scep_body(ScepInputs.model_validate({**SCEP, "platform": platform, "certificateStore": "machine"}))
        assert b["certificateStore"] == "machine", platform
    p = ScepProfileProvider()
    olds = p.check({}, SCEP).inputs
    assert p.diff("id", olds, p.check({}, {**SCEP, "certificateStore": "machine"}).inputs).replaces == \
        ["certificateStore"]


@pytest.mark.parametrize("fmt", ["commonNameAsAadDeviceId", "commonNameAsIntuneDeviceId",
                                 "commonNameAsDurableDeviceId"])
@pytest.mark.parametrize("platform", ["ios", "macos"])
def test_apple_refuses_device_id_subject_formats_at_check_with_the_allowed_list(platform, fmt):
    res = ScepProfileProvider().check({}, {**SCEP, "platform": platform, "subjectNameFormat": fmt})
    assert [f.property for f in res.failures] == ["subjectNameFormat"]
    reason = res.failures[0].reason
    assert reason.startswith("ndes:intune.scep: ") and fmt in reason
    assert all(a in reason for a in APPLE_SUBJECT_NAME_FORMATS)
    assert not ScepProfileProvider().check({}, {**SCEP, "platform": "windows", "subjectNameFormat": fmt}).failures


def test_config_refuses_a_format_one_configured_platform_lacks():
    raw = sample(**{"intune.scep.subjectNameFormat": "commonNameAsAadDeviceId"})
    with pytest.raises(ConfigError) as exc:
        load_config(raw)
    assert "ndes:intune.scep.subjectNameFormat" in exc.value.keys
    text = str(exc.value)
    assert "iOS/iPadOS" in text and "commonNameAsSerialNumber" in text
    load_config(sample(**{"intune.scep.subjectNameFormat": "commonNameAsAadDeviceId",
                          "intune.platforms": ["androidWorkProfile", "windows"]}))
