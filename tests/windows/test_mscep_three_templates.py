"""Issue 20: MscepTemplateMapping with one client template per purpose (templates.moreClients): all three MSCEP
values written, read back, and put back to the NDES default on delete."""
from __future__ import annotations

import pytest

from ndes.providers.mscep_template_mapping import MscepTemplateMappingProvider

from .conftest import NDES1
from .provider_helpers import checked, three_pass, props
from .test_mscep_template_mapping import loaded, ndes, values  # noqa: F401 (the fixture)

pytestmark = pytest.mark.slow
MORE = {"SignatureTemplate": "NDES-Signing", "EncryptionTemplate": "NDES-Encryption"}


def test_three_templates_one_per_purpose(ndes):  # noqa: F811
    prov = MscepTemplateMappingProvider()
    p = props(ndes, NDES1, keyUsage=["digitalSignature", "keyEncipherment"], templateName="NDES-Intune",
              additional=MORE)
    created = three_pass(prov, p, ndes, NDES1)
    assert values(ndes) == {"GeneralPurposeTemplate": "NDES-Intune", **MORE}
    assert loaded(ndes) == values(ndes)  # the SCEP pool was recycled: NDES issues from all three now
    assert created.outs["additional"] == MORE

    # one template removed from the config: its value goes back to the default
    fewer = props(ndes, NDES1, keyUsage=["digitalSignature", "keyEncipherment"], templateName="NDES-Intune",
                  additional={"SignatureTemplate": "NDES-Signing"})
    updated = prov.update(created.id, created.outs, checked(prov, fewer))
    assert values(ndes)["EncryptionTemplate"] == "IPSECIntermediateOffline"
    # read back, it matches the config: no drift
    assert not prov.diff(created.id, prov.read(created.id, updated.outs).outs, checked(prov, fewer)).changes
    prov.delete(created.id, updated.outs)
    assert set(values(ndes).values()) == {"IPSECIntermediateOffline"}
