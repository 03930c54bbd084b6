"""MscepTemplateMapping provider against the simulator: the value derived from the SCEP key usage."""
from __future__ import annotations

import pytest

from lab.winrm_sim import hostmodel
from ndes.providers.base import AlreadyExists
from ndes.providers.mscep_template_mapping import MscepTemplateMappingProvider
from ndes.windows import ScriptFailed

from .conftest import NDES1
from .provider_helpers import checked, three_pass, props

pytestmark = pytest.mark.slow
BOTH = ["digitalSignature", "keyEncipherment"]


@pytest.fixture
def ndes(sim):
    with sim.edit_state(NDES1) as st:  # what the NDES role install leaves: the MSCEP key, the SCEP pool
        from lab.winrm_sim.features_catalog import closure_of
        st["features"]["installed"] = sorted(set(st["features"]["installed"])
                                             | set(closure_of(["ADCS-Device-Enrollment", "Web-Server"])))
        hostmodel.install_mscep_defaults(st)
        hostmodel.ensure_iis(st)
        st["iis"].setdefault("appPools", {})["SCEP"] = {"userName": "LAB\\svc-ndes", "state": "Stopped"}
        hostmodel.start_app_pool(st, "SCEP")
    return sim


def loaded(sim) -> dict:
    """The MSCEP values NDES loaded at the SCEP pool's last start (what it issues from)."""
    return sim.read_state(NDES1)["iis"]["appPools"]["SCEP"]["mscep"]


def values(sim) -> dict:
    key = sim.read_state(NDES1)["registry"][hostmodel.MSCEP_KEY.lower()]["values"]
    return {v["name"]: v["value"] for v in key.values()}


def test_mapping_converges_reads_updates_and_deletes(ndes):
    prov = MscepTemplateMappingProvider()
    p = props(ndes, NDES1, keyUsage=["keyEncipherment", "digitalSignature"], templateName="NDES-Intune")
    created = three_pass(prov, p, ndes, NDES1)
    assert values(ndes) == {"EncryptionTemplate": "IPSECIntermediateOffline",
                            "GeneralPurposeTemplate": "NDES-Intune", "SignatureTemplate": "IPSECIntermediateOffline"}
    assert created.outs["registryValue"] == "GeneralPurposeTemplate" and created.outs["keyUsage"] == BOTH

    new = props(ndes, NDES1, keyUsage=["digitalSignature"], templateName="NDES-Intune")
    updated = prov.update(created.id, created.outs, checked(prov, new))
    assert values(ndes) == {"EncryptionTemplate": "IPSECIntermediateOffline",
                            "GeneralPurposeTemplate": "IPSECIntermediateOffline", "SignatureTemplate": "NDES-Intune"}
    assert not prov.diff(created.id, prov.read(created.id, updated.outs).outs, checked(prov, new)).changes

    prov.delete(created.id, updated.outs)
    assert set(values(ndes).values()) == {"IPSECIntermediateOffline"}


def test_a_wrong_value_written_behind_the_modules_back_is_drift(ndes):
    prov = MscepTemplateMappingProvider()
    p = props(ndes, NDES1, keyUsage=BOTH, templateName="NDES-Intune")
    created = prov.create(p)
    with ndes.edit_state(NDES1) as st:
        hostmodel.set_value(st, hostmodel.MSCEP_KEY, "GeneralPurposeTemplate", "String", "User")
    read = prov.read(created.id, created.outs)
    assert read.outs["templateName"] == "User" and read.outs["keyUsage"] == BOTH
    assert prov.diff(created.id, read.outs, checked(prov, p)).changes
    prov.update(created.id, read.outs, checked(prov, p))
    assert values(ndes)["GeneralPurposeTemplate"] == "NDES-Intune"


def test_the_template_moved_to_another_value_reads_as_another_key_usage(ndes):
    prov = MscepTemplateMappingProvider()
    p = props(ndes, NDES1, keyUsage=BOTH, templateName="NDES-Intune")
    created = prov.create(p)
    with ndes.edit_state(NDES1) as st:
        hostmodel.set_value(st, hostmodel.MSCEP_KEY, "GeneralPurposeTemplate", "String", "IPSECIntermediateOffline")
        hostmodel.set_value(st, hostmodel.MSCEP_KEY, "SignatureTemplate", "String", "NDES-Intune")
    read = prov.read(created.id, created.outs)
    assert read.outs["keyUsage"] == ["digitalSignature"] and read.outs["templateName"] == "NDES-Intune"


def test_before_the_ndes_role_the_key_is_missing(sim):
    prov = MscepTemplateMappingProvider()
    with pytest.raises(ScriptFailed) as info:
        prov.create(props(sim, NDES1, keyUsage=BOTH, templateName="NDES-Intune"))
    assert info.value.category == "ObjectNotFound" and "install the NDES role" in info.value.message


def test_a_mapping_made_by_hand_needs_adopt(ndes):
    with ndes.edit_state(NDES1) as st:
        hostmodel.set_value(st, hostmodel.MSCEP_KEY, "GeneralPurposeTemplate", "String", "NDES-Intune")
    prov = MscepTemplateMappingProvider()
    with pytest.raises(AlreadyExists):
        prov.create(props(ndes, NDES1, keyUsage=BOTH, templateName="NDES-Intune"))
    assert prov.create(props(ndes, NDES1, keyUsage=BOTH, templateName="NDES-Intune", adopt=True)).id


def test_check_refuses_key_usages_intune_does_not_offer(sim):
    res = MscepTemplateMappingProvider().check({}, props(sim, NDES1, keyUsage=["nonRepudiation"],
                                                         templateName="NDES-Intune"))
    assert res.failures and "digitalSignature" in res.failures[0].reason


def test_a_changed_mapping_recycles_the_scep_pool_so_ndes_uses_it(ndes):
    """NDES reads the MSCEP values when the SCEP application pool starts: after the install it serves
    IPSECIntermediateOffline; the mapping's change recycles the pool, so the new template is used at once."""
    assert loaded(ndes)["GeneralPurposeTemplate"] == "IPSECIntermediateOffline"
    starts = ndes.read_state(NDES1)["iis"]["appPools"]["SCEP"]["starts"]
    prov = MscepTemplateMappingProvider()
    p = props(ndes, NDES1, keyUsage=BOTH, templateName="NDES-Intune")
    created = prov.create(p)
    assert loaded(ndes)["GeneralPurposeTemplate"] == "NDES-Intune"
    assert ndes.read_state(NDES1)["iis"]["appPools"]["SCEP"]["starts"] == starts + 1
    prov.update(created.id, created.outs, checked(prov, p))  # nothing changed: no recycle
    assert ndes.read_state(NDES1)["iis"]["appPools"]["SCEP"]["starts"] == starts + 1

    with ndes.edit_state(NDES1) as st:  # a registry edit alone (no recycle) does not reach NDES
        hostmodel.set_value(st, hostmodel.MSCEP_KEY, "GeneralPurposeTemplate", "String", "Other")
    assert loaded(ndes)["GeneralPurposeTemplate"] == "NDES-Intune"
    prov.update(created.id, created.outs, checked(prov, p))  # converges the value and recycles
    assert values(ndes)["GeneralPurposeTemplate"] == loaded(ndes)["GeneralPurposeTemplate"] == "NDES-Intune"

    prov.delete(created.id, created.outs)  # back to the default, recycled, and no owner mark left behind
    assert loaded(ndes)["GeneralPurposeTemplate"] == "IPSECIntermediateOffline"
    owners = ndes.read_state(NDES1)["registry"].get("hklm:\\software\\pulumi\\ndes\\owners", {})
    assert "msceptemplatemapping" not in owners.get("values", {})
