"""Windows-plane providers without a host: inputs in the admin's words, checks naming the key, derivations,
picklability (providers are stored in state)."""
from __future__ import annotations

import pickle

import pytest

from ndes.providers._windows import endpoint_input, endpoint_of
from ndes.providers.iis_request_limits import IisRequestLimitsProvider
from ndes.providers.local_group_member import LocalGroupMemberProvider
from ndes.providers.mscep_template_mapping import MscepTemplateMappingProvider
from ndes.providers.registry_values import HTTP_SYS_PARAMETERS, RegistryValuesProvider, http_sys_values
from ndes.providers.windows_features import NDES_FEATURES, WindowsFeaturesProvider

SECRET = "Very-Secret-Pw1!"
ENDPOINT = endpoint_input("NDES1.contoso.com", url=None, username="CONTOSO\\pulumi", password=SECRET)
PROVIDERS = [WindowsFeaturesProvider, LocalGroupMemberProvider, IisRequestLimitsProvider, RegistryValuesProvider,
             MscepTemplateMappingProvider]


def p(**inputs):
    return {"endpoint": dict(ENDPOINT), **inputs}


def test_endpoint_input_defaults_to_winrm_https_and_keeps_the_password_out_of_reprs():
    inp = WindowsFeaturesProvider().parse(p())
    assert inp.endpoint.url == "https://NDES1.contoso.com:5986/wsman" and inp.endpoint.host == "ndes1.contoso.com"
    assert SECRET not in repr(inp) and SECRET not in repr(endpoint_of(inp))


def test_plain_http_winrm_is_refused_without_echoing_the_password():
    bad = p()
    bad["endpoint"]["url"] = "http://ndes1:5985/wsman"
    res = WindowsFeaturesProvider().check({}, bad)
    assert res.failures and "HTTPS" in res.failures[0].reason
    assert all(SECRET not in f.reason for f in res.failures)


@pytest.mark.parametrize("cls", PROVIDERS)
def test_providers_pickle_without_live_state(cls):
    prov = cls()
    assert isinstance(pickle.loads(pickle.dumps(prov)), cls)
    assert vars(prov) == {}


def test_windows_features_default_to_what_ndes_needs_and_dedupe():
    inp = WindowsFeaturesProvider().parse(p(features=["Web-Server", "web-server", "ADCS-Device-Enrollment"]))
    assert inp.features == ["Web-Server", "ADCS-Device-Enrollment"]
    assert WindowsFeaturesProvider().parse(p()).features == NDES_FEATURES
    assert "NET-HTTP-Activation" not in NDES_FEATURES
    assert "Web-Scripting-Tools" in NDES_FEATURES  # the WebAdministration module the IIS scripts import


def test_local_group_member_defaults_to_iis_iusrs():
    inp = LocalGroupMemberProvider().parse(p(member="CONTOSO\\svc-ndes"))
    assert inp.group == "IIS_IUSRS"
    assert LocalGroupMemberProvider.replace_on == {"group", "member"}


def test_iis_request_limits_default_to_the_guide():
    inp = IisRequestLimitsProvider().parse(p())
    assert (inp.site, inp.max_url, inp.max_query_string) == ("Default Web Site", 65534, 65534)
    assert IisRequestLimitsProvider().check({}, p(maxUrl=-1)).failures


def test_registry_paths_are_normalised_and_http_sys_values_are_dwords():
    inp = RegistryValuesProvider().parse(p(values=[{"path": "HKEY_LOCAL_MACHINE\\SOFTWARE\\X\\", "name": "a",
                                                    "type": "Binary", "value": "A0FF"}]))
    assert inp.values[0].path == "HKLM:\\SOFTWARE\\X" and inp.values[0].value == "a0ff"
    assert http_sys_values() == [
        {"path": HTTP_SYS_PARAMETERS, "name": "MaxFieldLength", "type": "DWord", "value": 65534},
        {"path": HTTP_SYS_PARAMETERS, "name": "MaxRequestBytes", "type": "DWord", "value": 65534}]


@pytest.mark.parametrize("value,why", [
    ({"path": HTTP_SYS_PARAMETERS, "name": "x", "type": "DWord", "value": 2 ** 32}, "DWord"),
    ({"path": HTTP_SYS_PARAMETERS, "name": "x", "type": "MultiString", "value": "a"}, "list of strings"),
    ({"path": HTTP_SYS_PARAMETERS, "name": "x", "type": "Binary", "value": "xyz"}, "hex"),
    ({"path": HTTP_SYS_PARAMETERS, "name": "x", "type": "String", "value": "a\x00b"}, "NUL"),
    ({"path": "HKCU:\\Software", "name": "x", "type": "String", "value": "a"}, "HKLM"),
    ({"path": HTTP_SYS_PARAMETERS, "name": "x", "type": "REG_DWORD", "value": 1}, "'DWord'"),
])
def test_registry_values_are_checked_before_any_host_is_touched(value, why):
    res = RegistryValuesProvider().check({}, p(values=[value]))
    assert res.failures and why in " ".join(f.reason for f in res.failures)


def test_duplicate_registry_values_are_refused():
    v = http_sys_values()[0]
    assert RegistryValuesProvider().check({}, p(values=[v, dict(v, name="maxfieldlength")])).failures


def _mscep_live(ku, values):
    prov = MscepTemplateMappingProvider()
    inp = prov.parse(p(keyUsage=ku, templateName="NDES-Intune"))
    return prov._live(inp, {"values": values, "exists": True})


def test_mscep_read_maps_the_registry_back_to_the_admins_words():
    default = "IPSECIntermediateOffline"
    both = ["digitalSignature", "keyEncipherment"]
    live = _mscep_live(both, {"SignatureTemplate": default, "EncryptionTemplate": default,
                              "GeneralPurposeTemplate": "NDES-Intune"})
    assert (live["keyUsage"], live["templateName"], live["registryValue"]) == (both, "NDES-Intune",
                                                                              "GeneralPurposeTemplate")
    moved = _mscep_live(both, {"SignatureTemplate": default, "EncryptionTemplate": "NDES-Intune",
                               "GeneralPurposeTemplate": default})
    assert moved["keyUsage"] == ["keyEncipherment"] and moved["templateName"] == "NDES-Intune"
    wrong = _mscep_live(["digitalSignature"], {"SignatureTemplate": "User", "EncryptionTemplate": default,
                                               "GeneralPurposeTemplate": default})
    assert wrong["keyUsage"] == ["digitalSignature"] and wrong["templateName"] == "User"


def test_mscep_key_usage_is_normalised_to_bit_order():
    inp = MscepTemplateMappingProvider().parse(p(keyUsage=["keyEncipherment", "DigitalSignature"],
                                                 templateName="NDES-Intune"))
    assert inp.key_usage == ["digitalSignature", "keyEncipherment"]
