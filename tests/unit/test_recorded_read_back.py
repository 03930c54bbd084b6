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


def test_sha1_chosen_in_the_intune_portal_and_the_root_unlinked(monkeypatch):
    """A SCEP profile whose hash algorithm an admin set to SHA-1 in the portal (Intune offers it on Android and
    Windows) and whose trusted root link is gone: refresh records both, the preview shows them, the next refresh
    and the delete load that state; SHA-1 declared is still refused with its reason."""
    import json

    from ndes.graph import intune
    from ndes.providers.graph_connection import GraphInputs
    from ndes.providers.scep_profile import ScepProfileProvider, scep_body

    from .golden_state import GOLDEN_DIR

    golden = json.loads((GOLDEN_DIR / "ScepProfile.json").read_text())
    p = ScepProfileProvider()
    live = {**scep_body(p.parse(golden["outputs"])), "hashAlgorithm": "sha1"}
    deleted = []
    monkeypatch.setattr(GraphInputs, "client", lambda self: object())
    monkeypatch.setattr(intune, "get_profile", lambda c, pid, kind, **kw: live)
    monkeypatch.setattr(intune, "get_root", lambda c, pid, odata, kind, **kw: None)
    monkeypatch.setattr(intune, "get_assigned_groups", lambda c, pid, kind, **kw: golden["inputs"]["groups"])
    monkeypatch.setattr(intune, "find_profiles", lambda c, name, odata, kind: [{"id": "p1", **live}])
    monkeypatch.setattr(intune, "delete_profile", lambda c, pid, kind: deleted.append(pid) or True)
    read = p.read("p1", golden["outputs"])
    assert (read.outs["hashAlgorithm"], read.outs["rootProfileId"]) == ("sha1", None)
    assert {"hashAlgorithm", "rootProfileId"} <= set(p._changed(read.outs, golden["inputs"]))
    assert p.read("p1", read.outs).outs["hashAlgorithm"] == "sha1"
    p.delete("p1", read.outs)
    assert deleted == ["p1"]
    conn, _ = p.connection(golden["outputs"])
    declared = {k: v for k, v in golden["inputs"].items() if k != "connection"}
    refused = p.check({}, {**declared, **conn, "hashAlgorithm": "sha1"}).failures
    assert [f.property for f in refused] == ["hashAlgorithm"] and "SHA-1 is refused" in refused[0].reason
