"""Issue 20 against the Graph simulator: a SCEP profile's assignments as Intune has them (exclusion, All devices,
an assignment filter by name), read completely (an exclusion added by hand is drift), kept on the next converge
(never dropped unless keepUnmanaged is false), and the simulator's filter rules."""
from __future__ import annotations

import pytest

from lab.graph_sim.state import LAB_FILTER
from ndes.providers.scep_profile import ScepProfileProvider
from ndes.providers.trusted_certificate_profile import TrustedCertificateProfileProvider

from .conftest import LAB_GROUP, OTHER_GROUP
from .engine import Managed
from .test_intune_profiles import root_props, scep_props

pytestmark = pytest.mark.slow
FILTER_NAME = LAB_FILTER["displayName"]


def device_wifi(sim, root_id, **over):
    return scep_props(sim, "windows", root_id, **{
        "certificateStore": "machine", "subjectName": "CN={{AAD_Device_ID}}",
        "subjectAlternativeNames": [{"type": "domainNameService", "value": "{{DeviceName}}"}],
        "groups": [f"allDevices filter:include:{FILTER_NAME}", f"exclude:{OTHER_GROUP}"], **over})


def test_filter_by_name_exclusion_and_hand_made_exclusion_is_drift_and_kept(graph_sim, lab_ca_der):
    root = Managed(TrustedCertificateProfileProvider())
    root.create(root_props(graph_sim, lab_ca_der, "windows"))
    scep = Managed(ScepProfileProvider())
    scep.create(device_wifi(graph_sim, root.id))
    targets = graph_sim.state()["assignmentTargets"][scep.id]
    assert {"@odata.type": "#microsoft.graph.allDevicesAssignmentTarget",
            "deviceAndAppManagementAssignmentFilterType": "include",
            "deviceAndAppManagementAssignmentFilterId": LAB_FILTER["id"]} in targets
    assert scep.refresh()["groups"] == sorted([f"allDevices filter:include:{FILTER_NAME}", f"exclude:{OTHER_GROUP}"])
    assert scep.converge(device_wifi(graph_sim, root.id)) is False

    # an admin adds an include group by hand in the portal: drift on refresh, kept by the next converge
    graph_sim.admin("/edit", {"collection": "deviceConfigurations", "id": scep.id, "assignments": [LAB_GROUP]})
    assert scep.refresh()["groups"] == sorted([LAB_GROUP, f"allDevices filter:include:{FILTER_NAME}",
                                               f"exclude:{OTHER_GROUP}"])
    assert "groups" in scep.drift(device_wifi(graph_sim, root.id))
    scep.converge(device_wifi(graph_sim, root.id))
    assert graph_sim.state()["assignments"][scep.id] == [LAB_GROUP]
    # keepUnmanaged: false: the config's targets replace everything
    assert scep.converge(device_wifi(graph_sim, root.id, keepUnmanaged=False)) is True
    assert graph_sim.state()["assignments"][scep.id] == []
    assert scep.refresh()["groups"] == sorted([f"allDevices filter:include:{FILTER_NAME}", f"exclude:{OTHER_GROUP}"])
    scep.delete()
    root.delete()


def test_the_simulator_refuses_unknown_filters_and_filters_on_exclusions(graph_sim, lab_ca_der):
    root = Managed(TrustedCertificateProfileProvider())
    root.create(root_props(graph_sim, lab_ca_der, "windows"))
    scep = Managed(ScepProfileProvider())
    with pytest.raises(Exception, match="no assignment filter named 'Nope'"):
        scep.create(device_wifi(graph_sim, root.id, groups=["allDevices filter:include:Nope"]))
    scep = Managed(ScepProfileProvider())
    with pytest.raises(Exception, match="does not exist"):
        scep.create(device_wifi(graph_sim, root.id, displayName="other",
                                groups=["allDevices filter:exclude:0badf11e-0000-4000-8000-000000000000"]))
    scep = Managed(ScepProfileProvider())
    with pytest.raises(Exception, match="not supported on excluded groups"):
        scep.create(device_wifi(graph_sim, root.id, displayName="third",
                                groups=[f"exclude:{OTHER_GROUP} filter:include:{LAB_FILTER['id']}"]))


def test_a_filter_serves_only_its_own_platform(graph_sim, lab_ca_der):
    root = Managed(TrustedCertificateProfileProvider())
    root.create(root_props(graph_sim, lab_ca_der, "ios"))
    scep = Managed(ScepProfileProvider())
    with pytest.raises(Exception, match="made for platform 'windows10AndLater'"):
        scep.create(scep_props(graph_sim, "ios", root.id, groups=[f"allDevices filter:include:{FILTER_NAME}"]))


def test_trusted_root_keeps_an_admins_exclusion_and_drops_a_group_the_config_removed(graph_sim, lab_ca_der):
    root = Managed(TrustedCertificateProfileProvider())
    root.create(root_props(graph_sim, lab_ca_der, "ios", groups=[LAB_GROUP, OTHER_GROUP]))
    hand = {"@odata.type": "#microsoft.graph.exclusionGroupAssignmentTarget",
            "groupId": "6f1c1e0a-1111-4a4a-9b9b-000000000002"}
    graph_sim.admin("/edit", {"collection": "deviceConfigurations", "id": root.id, "targets": [hand]})
    assert root.converge(root_props(graph_sim, lab_ca_der, "ios", groups=[LAB_GROUP])) is True
    st = graph_sim.state()
    assert st["assignments"][root.id] == [LAB_GROUP] and st["assignmentTargets"][root.id] == [hand]
    root.delete()
