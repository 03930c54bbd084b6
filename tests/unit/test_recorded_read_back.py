"""The whole path of a value set by hand on a Windows host, through each provider's own `read`: refresh records
it, the preview shows the change back, a second refresh and the delete load that state (field_rules.as_recorded),
while `check` still refuses the value declared. Before the fix each second refresh and delete failed in `parse`."""
from __future__ import annotations

from typing import Any

from ndes.providers import iis_https_binding, mscep_template_mapping, registry_values, windows_features
from ndes.providers._windows import endpoint_input
from ndes.providers.iis_https_binding import IisHttpsBindingProvider
from ndes.providers.mscep_template_mapping import DEFAULT, MscepTemplateMappingProvider
from ndes.providers.registry_values import HTTP_SYS_PARAMETERS, RegistryValuesProvider, http_sys_values
from ndes.providers.windows_features import NDES_FEATURES, WindowsFeaturesProvider

ENDPOINT = endpoint_input("ndes1.contoso.com", url=None, username="CONTOSO\\pulumi", password="Pw-1!")
THUMB = "AB" * 20


class FakeHost:
    """A host whose scripts answer with the facts a hand edit left; records each set's parameters."""

    def __init__(self, state: dict[str, Any]) -> None:
        self.state, self.sets = state, []

    def run_script(self, script: str, params: dict[str, Any], timeout: int | None = None) -> dict[str, Any]:
        if params.get("mode") == "set":
            self.sets.append(params)
        return {"state": self.state, "changed": False}


def cycle(monkeypatch, mod, provider, declared: dict[str, Any], state: dict[str, Any], field: str) -> tuple:
    """refresh, the preview's diff, a second refresh and the delete over a host holding `state`; the refreshed
    outputs and the host."""
    host = FakeHost(state)
    monkeypatch.setattr(mod, "host_of", lambda _inp: host)
    news = provider.check({}, {"endpoint": dict(ENDPOINT), **declared}).inputs
    read = provider.read("id", news)
    assert field in provider._changed(read.outs, news)  # preview: the update (or replace) back to the declaration
    again = provider.read("id", read.outs)  # the next refresh loads what the first one recorded
    assert again.outs[field] == read.outs[field]
    provider.delete("id", read.outs)
    refused = provider.check({}, {**news, field: read.outs[field]}).failures
    assert refused and refused[0].property.split(".")[0] == field
    return read.outs, host


def test_every_declared_feature_removed_by_hand(monkeypatch):
    state = {"features": [{"name": f, "installed": False} for f in NDES_FEATURES], "installedByOwner": []}
    outs, host = cycle(monkeypatch, windows_features, WindowsFeaturesProvider(), {}, state, "features")
    assert outs["features"] == [] and host.sets[-1]["features"] == []  # the delete has nothing of its own left


def test_a_registry_value_retyped_or_overflowed_by_hand(monkeypatch):
    for kind, value in (("None", ""), ("QWord", -1)):
        live = [{"path": HTTP_SYS_PARAMETERS, "name": "MaxFieldLength", "exists": True, "type": kind, "value": value},
                {"path": HTTP_SYS_PARAMETERS, "name": "MaxRequestBytes", "exists": True, "type": "DWord",
                 "value": 65534}]
        outs, host = cycle(monkeypatch, registry_values, RegistryValuesProvider(), {"values": http_sys_values()},
                           {"values": live}, "values")
        assert outs["values"][0]["type"] == kind and host.sets[-1]["ensure"] == "absent"


def test_an_mscep_value_deleted_by_hand_is_not_written_back_by_the_delete(monkeypatch):
    """templateName reads as None; the delete puts back only the values that hold this resource's templates, not
    the missing one (None is no template of ours)."""
    state = {"exists": True, "values": {"SignatureTemplate": DEFAULT, "EncryptionTemplate": DEFAULT,
                                        "GeneralPurposeTemplate": None}}
    outs, host = cycle(monkeypatch, mscep_template_mapping, MscepTemplateMappingProvider(),
                       {"keyUsage": ["digitalSignature", "keyEncipherment"], "templateName": "NDES-Intune"},
                       state, "templateName")
    assert outs["templateName"] is None and [s["templates"] for s in host.sets] == [{}]


def test_a_binding_whose_certificate_was_removed_by_hand(monkeypatch):
    """netsh http delete sslcert leaves the IIS binding without a certificate: thumbprint reads as ""."""
    state = {"siteExists": True, "bindings": [{"bindingInformation": "*:443:", "thumbprint": ""}],
             "certificatePresent": False}
    outs, _ = cycle(monkeypatch, iis_https_binding, IisHttpsBindingProvider(), {"thumbprint": THUMB}, state,
                    "thumbprint")
    assert outs["thumbprint"] == ""
