"""Strong mapping (KB5014754): SCEP user certificates with client authentication carry the SID URI SAN by default
on the platforms Intune supports it on; a switch turns it off and a policy warns then; the Graph simulator
resolves the variable as Intune does."""
from lab.graph_sim.scep_challenge import device_variables, profile_expectation
from ndes.model import load_config
from ndes.model.config import SID_VARIABLE
from policies.ndes_policies import strong_mapping

from .sample_config import sample
from .test_policies import rargs, run, scep_props

SID = "S-1-5-21-1111111111-2222222222-3333333333-1105"
URI = {"type": "universalResourceIdentifier", "value": SID_VARIABLE}


def test_sid_uri_san_by_default_on_user_client_auth_profiles_where_intune_supports_it():
    sc = load_config(sample()).intune.scep
    assert sc.strong_mapping is True
    for platform in ("ios", "macos", "windows"):
        assert [s.model_dump() for s in sc.sans_for(platform)] == [
            {"type": "userPrincipalName", "value": "{{UserPrincipalName}}"}, URI]
    for platform in ("androidWorkProfile", "androidDeviceOwner"):  # Intune does not support it there
        assert [s.type for s in sc.sans_for(platform)] == ["userPrincipalName"]


def test_switch_device_store_and_no_client_auth_leave_it_out_and_it_is_never_doubled():
    off = load_config(sample(**{"intune.scep.strongMapping": False})).intune.scep
    assert [s.type for s in off.sans_for("ios")] == ["userPrincipalName"]
    device = load_config(sample(**{"intune.scep.certificateStore": "machine", "intune.scep.subjectName":
                                   "CN={{DeviceName}}", "intune.scep.subjectAlternativeNames":
                                   [{"type": "domainNameService", "value": "{{FullyQualifiedDomainName}}"}]})).intune.scep
    assert [s.type for s in device.sans_for("windows")] == ["domainNameService"]  # no SID SAN on a device certificate
    own = load_config(sample(**{"intune.scep.subjectAlternativeNames": [URI]})).intune.scep
    assert [s.model_dump() for s in own.sans_for("ios")] == [URI]


def test_policy_warns_when_the_sid_san_is_missing():
    good = scep_props(extendedKeyUsage=["clientAuth"], subjectAlternativeNames=[URI])
    assert run(strong_mapping.validate, rargs("ScepProfile", good)) == []
    [(msg, _)] = run(strong_mapping.validate, rargs("ScepProfile", {**good, "subjectAlternativeNames": []}))
    assert "ndes:intune.scep.strongMapping" in msg and SID_VARIABLE in msg
    android = {**good, "platform": "androidWorkProfile", "subjectAlternativeNames": []}
    assert run(strong_mapping.validate, rargs("ScepProfile", android)) == []


def test_simulator_writes_the_users_sid_behind_the_tag():
    assert device_variables({"upn": "alice@lab.test", "onPremisesSecurityIdentifier": SID})[
        "OnPremisesSecurityIdentifier"] == f"tag:microsoft.com,2022-09-14:sid:{SID}"
    profile = {"subjectNameFormat": "custom", "subjectNameFormatString": "CN={{UserPrincipalName}}",
               "customSubjectAlternativeNames": [{"sanType": "universalResourceIdentifier", "name": SID_VARIABLE}]}
    exp = profile_expectation(profile, {"upn": "alice@lab.test", "onPremisesSecurityIdentifier": SID})
    assert exp["sans"] == [("uri", f"tag:microsoft.com,2022-09-14:sid:{SID}")]
    import pytest
    from lab.graph_sim.scep_challenge import Refused
    with pytest.raises(Refused):  # a cloud-only user has no on-premises SID
        profile_expectation(profile, {"upn": "alice@lab.test"})
