"""TrustedCertificateProfile and ScepProfile against the Graph simulator, for every platform: create, read,
update, delete; a second converge changes nothing; edits made in the simulator read back in the admin's words."""
from __future__ import annotations

import pytest

from ndes.model.graph_enums import PLATFORMS
from ndes.providers.scep_profile import ScepProfileProvider
from ndes.providers.trusted_certificate_profile import TrustedCertificateProfileProvider, thumbprint

from .conftest import LAB_GROUP, OTHER_GROUP
from .engine import Managed

pytestmark = pytest.mark.slow


def root_props(sim, der, platform, role="root", **over):
    p = {**sim.connection(), "platform": platform, "role": role, "displayName": f"NDES {role} CA - {platform}",
         "certificate": der[role], "certFileName": f"lab-{role}.cer", "groups": [LAB_GROUP],
         "owner": f"ndes/test/{platform}-{role}"}
    p.update(over)
    return p


def scep_props(sim, platform, root_id, **over):
    p = {**sim.connection(), "platform": platform, "displayName": f"NDES SCEP - {platform}",
         "rootProfileId": root_id,
         "scepServerUrls": ["https://ndes1-lab.msappproxy.net/certsrv/mscep/mscep.dll"],
         "keyUsage": ["keyEncipherment", "digitalSignature"], "keySize": 2048, "hashAlgorithm": "sha2",
         "subjectNameFormat": "custom", "subjectName": "CN={{UserPrincipalName}}",
         "subjectAlternativeNames": [{"type": "userPrincipalName", "value": "{{UserPrincipalName}}"}],
         "extendedKeyUsage": ["clientAuth"], "validity": "1 year", "renewalThresholdPercent": 20,
         "certificateStore": "user", "keyStorageProvider": "useTpmKspOtherwiseUseSoftwareKsp",
         "groups": [LAB_GROUP], "owner": f"ndes/test/scep-{platform}"}
    p.update(over)
    return p


def writes(before: dict, after: dict) -> dict:
    return {k: v - before.get(k, 0) for k, v in after.items() if not k.startswith("GET") and v != before.get(k)}


@pytest.mark.parametrize("platform", list(PLATFORMS))
def test_trusted_root_lifecycle(graph_sim, lab_ca_der, platform):
    roles = ["root", "issuing"] if PLATFORMS[platform].needs_issuing_ca or platform == "windows" else ["root"]
    for role in roles:
        r = Managed(TrustedCertificateProfileProvider())
        outs = r.create(root_props(graph_sim, lab_ca_der, platform, role))
        obj = graph_sim.state()["deviceConfigurations"][r.id]
        assert obj["@odata.type"] == PLATFORMS[platform].trusted_root_type
        assert obj["trustedRootCertificate"] == lab_ca_der[role] and obj["certFileName"] == f"lab-{role}.cer"
        if platform == "windows":
            assert obj["destinationStore"] == {"root": "computerCertStoreRoot",
                                               "issuing": "computerCertStoreIntermediate"}[role]
        assert graph_sim.state()["assignments"][r.id] == [LAB_GROUP]
        assert outs["thumbprint"] == thumbprint(lab_ca_der[role])

        before = graph_sim.stats()
        assert r.converge(root_props(graph_sim, lab_ca_der, platform, role)) is False
        assert r.refresh()["groups"] == [LAB_GROUP]
        assert r.converge(root_props(graph_sim, lab_ca_der, platform, role)) is False
        assert writes(before, graph_sim.stats()) == {}

        assert r.converge(root_props(graph_sim, lab_ca_der, platform, role, certFileName="renamed.cer",
                                     groups=[LAB_GROUP, OTHER_GROUP])) is True
        st = graph_sim.state()
        assert st["deviceConfigurations"][r.id]["certFileName"] == "renamed.cer"
        assert st["assignments"][r.id] == sorted([LAB_GROUP, OTHER_GROUP])
        r.delete()
        assert r.id not in graph_sim.state()["deviceConfigurations"]
        assert r.refresh() is None


@pytest.mark.parametrize("platform", list(PLATFORMS))
def test_scep_profile_lifecycle(graph_sim, lab_ca_der, platform):
    root = Managed(TrustedCertificateProfileProvider())
    root.create(root_props(graph_sim, lab_ca_der, platform))
    scep = Managed(ScepProfileProvider())
    scep.create(scep_props(graph_sim, platform, root.id))
    st = graph_sim.state()
    obj = st["deviceConfigurations"][scep.id]
    p = PLATFORMS[platform]
    assert obj["@odata.type"] == p.scep_type
    assert st["rootLinks"][scep.id] == root.id
    assert obj["keySize"] == "size2048" and obj["keyUsage"] == "keyEncipherment,digitalSignature"
    assert obj["extendedKeyUsages"] == [{"name": "Client Authentication", "objectIdentifier": "1.3.6.1.5.5.7.3.2"}]
    assert obj["certificateValidityPeriodValue"] == 1 and obj["certificateValidityPeriodScale"] == "years"
    assert ("hashAlgorithm" in obj) == p.has_hash_algorithm
    assert ("certificateStore" in obj) == p.has_certificate_store
    assert ("keyStorageProvider" in obj) == p.has_key_storage_provider
    assert st["assignments"][scep.id] == [LAB_GROUP]

    before = graph_sim.stats()
    assert scep.converge(scep_props(graph_sim, platform, root.id)) is False
    live = scep.refresh()
    assert live["keySize"] == 2048 and live["validity"] == "1 year" and live["rootProfileId"] == root.id
    assert scep.converge(scep_props(graph_sim, platform, root.id)) is False
    assert writes(before, graph_sim.stats()) == {}

    # update: two NDES servers, a bigger key, 2-year validity, another root, another group set
    root2 = Managed(TrustedCertificateProfileProvider())
    root2.create(root_props(graph_sim, lab_ca_der, platform, displayName=f"NDES root 2 - {platform}"))
    urls = ["https://ndes1-lab.msappproxy.net/certsrv/mscep/mscep.dll",
            "https://ndes2-lab.msappproxy.net/certsrv/mscep/mscep.dll"]
    new = scep_props(graph_sim, platform, root2.id, scepServerUrls=urls, keySize=4096, validity="2 years",
                     groups=[OTHER_GROUP])
    assert scep.converge(new) is True
    st = graph_sim.state()
    assert st["deviceConfigurations"][scep.id]["scepServerUrls"] == urls
    assert st["deviceConfigurations"][scep.id]["keySize"] == "size4096"
    assert st["rootLinks"][scep.id] == root2.id and st["assignments"][scep.id] == [OTHER_GROUP]
    assert scep.converge(new) is False

    # delete order: the root refuses to go while a SCEP profile links it
    with pytest.raises(Exception, match="SCEP profile"):
        root2.delete()
    scep.delete()
    root2.delete()
    root.delete()
    assert graph_sim.state()["deviceConfigurations"] == {}


def test_scep_edit_in_simulator_reads_in_admin_words(graph_sim, lab_ca_der):
    root = Managed(TrustedCertificateProfileProvider())
    root.create(root_props(graph_sim, lab_ca_der, "windows"))
    other_root = Managed(TrustedCertificateProfileProvider())
    other_root.create(root_props(graph_sim, lab_ca_der, "windows", displayName="hand-made root"))
    scep = Managed(ScepProfileProvider())
    scep.create(scep_props(graph_sim, "windows", root.id))
    graph_sim.admin("/edit", {"collection": "deviceConfigurations", "id": scep.id,
                              "set": {"keySize": "size4096", "certificateValidityPeriodValue": 6,
                                      "certificateValidityPeriodScale": "months", "keyUsage": "digitalSignature",
                                      "hashAlgorithm": "sha1",
                                      "extendedKeyUsages": [{"name": "Server Authentication",
                                                             "objectIdentifier": "1.3.6.1.5.5.7.3.1"}]},
                              "assignments": [OTHER_GROUP], "root": other_root.id})
    live = scep.refresh()
    assert live["keySize"] == 4096
    assert live["validity"] == "6 months"
    assert live["keyUsage"] == ["digitalSignature"]
    assert live["hashAlgorithm"] == "sha1"
    assert live["extendedKeyUsage"] == ["serverAuth"]
    assert live["groups"] == [OTHER_GROUP]
    assert live["rootProfileId"] == other_root.id
    assert set(scep.drift(scep_props(graph_sim, "windows", root.id))) == {
        "keySize", "validity", "keyUsage", "hashAlgorithm", "extendedKeyUsage", "groups", "rootProfileId"}
    assert scep.converge(scep_props(graph_sim, "windows", root.id)) is True
    again = scep.refresh()
    # issue 20: the group an admin assigned by hand is kept (keepUnmanaged), the stack's own group comes back
    assert again["keySize"] == 2048 and again["rootProfileId"] == root.id
    assert again["groups"] == sorted([LAB_GROUP, OTHER_GROUP])


def test_trusted_root_edit_in_simulator_reads_back(graph_sim, lab_ca_der):
    r = Managed(TrustedCertificateProfileProvider())
    r.create(root_props(graph_sim, lab_ca_der, "windows"))
    graph_sim.admin("/edit", {"collection": "deviceConfigurations", "id": r.id,
                              "set": {"destinationStore": "computerCertStoreIntermediate",
                                      "description": "edited by hand"}, "assignments": []})
    live = r.refresh()
    assert live["role"] == "issuing" and live["description"] == "edited by hand" and live["groups"] == []
    assert r.converge(root_props(graph_sim, lab_ca_der, "windows")) is True
    assert graph_sim.state()["deviceConfigurations"][r.id]["destinationStore"] == "computerCertStoreRoot"


def test_windows_user_intermediate_store(graph_sim, lab_ca_der):
    """Issue 20 item 5: an intermediate CA can go to the user's intermediate store on Windows (Graph's
    certificateDestinationStore userCertStoreIntermediate); it reads back as such, a second converge changes
    nothing, and moving it to the computer's intermediate store is an update, not a replace."""
    def user_store():
        return {**root_props(graph_sim, lab_ca_der, "windows", "issuing"), "role": "userIssuing"}
    r = Managed(TrustedCertificateProfileProvider())
    r.create(user_store())
    assert graph_sim.state()["deviceConfigurations"][r.id]["destinationStore"] == "userCertStoreIntermediate"
    assert r.refresh()["role"] == "userIssuing"
    assert r.converge(user_store()) is False
    assert r.converge(root_props(graph_sim, lab_ca_der, "windows", "issuing")) is True
    assert graph_sim.state()["deviceConfigurations"][r.id]["destinationStore"] == "computerCertStoreIntermediate"
    r.delete()
