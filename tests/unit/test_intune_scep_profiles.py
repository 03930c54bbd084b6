"""Issue 20: named SCEP profiles (intune.scepProfiles), variables checked against the certificate type, the
Windows 4096-bit/KSP rule, assignments as Intune has them (include/exclude, All users/devices, filters) in the
component, and the assignment convergence that keeps an admin's targets."""
from __future__ import annotations

import copy

import pulumi
import pytest
from pydantic import ValidationError

from ndes.graph import intune
from ndes.model import load_config

from .sample_config import GROUP, sample
from .test_graph_components import FAKE_DER, Mocks, _by_type

EXCLUDED = "cccccccc-0000-4000-8000-000000000003"
FILTER_ID = "dddddddd-0000-4000-8000-000000000004"

TWO = {"platforms": ["ios", "androidWorkProfile", "windows"], "scepProfiles": [
    {"name": "VPN user", "certificateStore": "user", "extendedKeyUsage": ["clientAuth"],
     "assignments": {"include": [{"id": GROUP}], "exclude": [{"id": EXCLUDED}]}},
    {"name": "WiFi device", "certificateStore": "machine", "subjectName": "CN={{AAD_Device_ID}}",
     "subjectAlternativeNames": [{"type": "domainNameService", "value": "{{DeviceName}}"}],
     "keySize": 4096, "keyStorageProvider": "useSoftwareKsp",
     "assignments": {"allDevices": True, "filter": {"name": "Corporate devices", "mode": "include"}}},
]}


def cfg(intune: dict):
    return load_config(sample(intune=intune))


def error(intune: dict) -> str:
    with pytest.raises((ValidationError, ValueError)) as e:
        cfg(intune)
    return str(e.value)


def test_device_certificate_refuses_user_variables_with_the_allowed_list():
    msg = error({"scep": {"certificateStore": "machine"}})  # the default subject is CN={{UserPrincipalName}}
    assert "{{UserPrincipalName}}" in msg and "device certificate" in msg and "{{AAD_Device_ID}}" in msg


def test_user_certificate_refuses_device_variables_in_a_san():
    msg = error({"scep": {"subjectAlternativeNames": [{"type": "domainNameService", "value": "{{DeviceName}}"}]}})
    assert "subjectAlternativeNames[0]" in msg and "{{DeviceName}}" in msg and "{{UserPrincipalName}}" in msg


def test_device_certificate_with_device_variables_is_accepted():
    c = cfg({"scep": {"certificateStore": "machine", "subjectName": "CN={{AAD_Device_ID}}",
                      "subjectAlternativeNames": [{"type": "domainNameService", "value": "{{FullyQualifiedDomainName}}"}]}})
    assert c.intune.scep.certificate_store == "machine"


@pytest.mark.parametrize("ksp", ["useTpmKspOtherwiseFail", "usePassportForWorkKspOtherwiseFail",
                                 "useTpmKspOtherwiseUseSoftwareKsp"])
def test_windows_4096_needs_the_software_ksp(ksp):
    msg = error({"platforms": ["windows"], "scep": {"keySize": 4096, "keyStorageProvider": ksp}})
    assert "useSoftwareKsp" in msg and "intune.scep" in msg
    assert cfg({"platforms": ["ios"], "scep": {"keySize": 4096, "keyStorageProvider": ksp}})
    assert cfg({"platforms": ["windows"], "scep": {"keySize": 4096, "keyStorageProvider": "useSoftwareKsp"}})


def test_named_profiles_and_their_platforms():
    c = cfg({**TWO, "scepProfiles": [*TWO["scepProfiles"][:1], {**TWO["scepProfiles"][1], "platforms": ["macos"]}]})
    entries = c.intune.scep_profile_entries()
    assert [(k, ps) for k, _, ps in entries] == [("intune.scepProfiles[0]", ["ios", "androidWorkProfile", "windows"]),
                                                  ("intune.scepProfiles[1]", ["macos"])]
    assert c.intune.all_platforms == ["ios", "macos", "androidWorkProfile", "windows"]


def test_scep_and_scep_profiles_together_or_twice_the_same_name_are_refused():
    assert "not both" in error({**TWO, "scep": {"groups": [{"id": GROUP}]}})
    assert "must differ" in error({"scepProfiles": [{"name": "A"}, {"name": "a"}]})
    assert "unknown platform" in error({"scepProfiles": [{"name": "A", "platforms": ["tvos"]}]})
    assert "4096-bit" in error({"scepProfiles": [{"name": "A", "keySize": 4096}]})


def test_a_filter_by_id_or_name_exactly_one():
    assert "exactly one" in error({"scep": {"assignments": {"filter": {"mode": "include"}}}})
    assert "GUID" in error({"scep": {"assignments": {"filter": {"id": "nope"}}}})


@pytest.fixture
def mocks():
    m = Mocks()
    pulumi.runtime.set_mocks(m, project="ndes", stack="unit", preview=False)
    return m


@pulumi.runtime.test
def test_two_profiles_declare_one_scep_profile_per_platform_with_full_assignments(mocks):
    from ndes.components.intune import Intune
    plane = Intune("intune", cfg(TWO), {}, {"root": FAKE_DER, "issuing": FAKE_DER + "i"})

    def check(_):
        sceps = {r.name: r.inputs for r in _by_type(mocks, "ndes:ScepProfile")}
        assert sorted(sceps) == sorted(f"intune-{s}-{p}-scep" for s in ("vpn-user", "wifi-device")
                                       for p in ("ios", "androidWorkProfile", "windows"))
        vpn, wifi = sceps["intune-vpn-user-ios-scep"], sceps["intune-wifi-device-windows-scep"]
        assert vpn["groups"] == sorted([GROUP, f"exclude:{EXCLUDED}"]) and vpn["certificateStore"] == "user"
        assert vpn["displayName"] == "NDES VPN user - iOS/iPadOS" and vpn["configKey"] == "ndes:intune.scepProfiles[0]"
        assert wifi["groups"] == ["allDevices filter:include:Corporate devices"]
        assert wifi["certificateStore"] == "machine" and wifi["keySize"] == 4096 and wifi["keepUnmanaged"] is True
        roots = [r for r in _by_type(mocks, "ndes:TrustedCertificateProfile")]
        # one root per platform, shared by both profiles, going wherever a certificate goes (no exclusion/filter)
        assert sorted(r.name for r in roots if r.inputs["role"] == "root") == sorted(
            f"intune-{p}-root" for p in ("ios", "androidWorkProfile", "windows"))
        assert all(r.inputs["groups"] == sorted([GROUP, "allDevices"]) for r in roots)
    return pulumi.Output.all(*[r.urn for r in plane.resources]).apply(check)


class FakeGraph:
    """The assign/assignments calls of ndes.graph.intune over an in-memory list of targets."""

    def __init__(self, live: list[dict], filters: dict[str, str] | None = None):
        self.live, self.filters, self.posts = live, filters or {}, []

    def list(self, path, op, **_):
        if path.endswith("/assignments"):
            return [{"target": t} for t in self.live]
        assert path == intune.FILTERS
        return [{"id": k, "displayName": v} for k, v in self.filters.items()]

    def request(self, method, path, op, json=None, **_):
        assert method == "POST" and path.endswith("/assign")
        self.posts.append(json)
        self.live = [a["target"] for a in json["assignments"]]


def test_converge_keeps_an_admins_exclusion_and_drops_what_the_config_removed():
    admin = {"@odata.type": "#microsoft.graph.exclusionGroupAssignmentTarget", "groupId": EXCLUDED}
    old = {"@odata.type": intune.GROUP_TARGET, "groupId": "eeeeeeee-0000-4000-8000-000000000005"}
    g = FakeGraph([{"@odata.type": intune.GROUP_TARGET, "groupId": GROUP}, admin, old])
    managed = intune.converge_assignments(g, "p1", [GROUP], [GROUP, old["groupId"]], True, "SCEP profile", "k")
    assert managed == [GROUP]
    assert sorted(intune.target_word(t) for t in g.live) == sorted([GROUP, f"exclude:{EXCLUDED}"])
    # keepUnmanaged: false replaces everything
    intune.converge_assignments(g, "p1", [GROUP], [GROUP], False, "SCEP profile", "k")
    assert [intune.target_word(t) for t in g.live] == [GROUP]
    # nothing to change: no POST
    n = len(g.posts)
    intune.converge_assignments(g, "p1", [GROUP], [GROUP], True, "SCEP profile", "k")
    assert len(g.posts) == n


def test_filters_by_name_resolve_to_ids_and_read_back_as_names():
    g = FakeGraph([], {FILTER_ID: "Corporate devices"})
    intune.converge_assignments(g, "p1", ["allDevices filter:include:Corporate devices"], None, True, "SCEP", "k")
    assert g.live == [{"@odata.type": "#microsoft.graph.allDevicesAssignmentTarget",
                       "deviceAndAppManagementAssignmentFilterType": "include",
                       "deviceAndAppManagementAssignmentFilterId": FILTER_ID}]
    live = intune.get_assigned_groups(g, "p1", "SCEP")
    assert intune.name_filters_as(g, live, ["allDevices filter:include:Corporate devices"], "SCEP") == \
        ["allDevices filter:include:Corporate devices"]
    with pytest.raises(ValueError, match="k.assignments.filter: no assignment filter named 'Nope'"):
        intune.converge_assignments(g, "p1", ["allDevices filter:include:Nope"], None, True, "SCEP", "k")


def test_preview_names_a_profile_whose_key_usage_has_no_template():
    from ndes.model.errors import ConfigError
    with pytest.raises(ConfigError) as e:
        cfg({"scepProfiles": [{"name": "VPN user"}, {"name": "Signing", "keyUsage": ["digitalSignature"]}]})
    problems = [p for p in e.value.problems if p.key.endswith("keyUsage")]
    assert [p.key for p in problems] == ["intune.scepProfiles[1].keyUsage"]
    assert "'Signing'" in problems[0].message and "SignatureTemplate" in problems[0].message
    assert cfg({"scepProfiles": [{"name": "VPN user"}]})


def _ca_der(ca: bool = True) -> str:
    import base64
    import datetime
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Contoso Policy CA")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True).sign(key, hashes.SHA256()))
    return base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()


def test_extra_trusted_certificate_must_be_a_ca_certificate():
    assert "not a CA certificate" in error({"trustedRoot": {"extraCertificates": [
        {"name": "Leaf", "certificate": _ca_der(ca=False)}]}})
    assert "base64 of a DER" in error({"trustedRoot": {"extraCertificates": [{"name": "X", "certificate": "nope"}]}})
    assert "not a profile id" in error({"scepProfiles": [{"name": "A", "rootProfileIds": {"ios": "x"}}]})


@pulumi.runtime.test
def test_extra_certificates_per_platform_and_a_root_linked_by_id(mocks):
    from ndes.components.intune import Intune
    der = _ca_der()
    existing_root = "ffffffff-0000-4000-8000-000000000006"
    intune_cfg = {"platforms": ["ios", "windows"],
                  "trustedRoot": {"extraCertificates": [{"name": "Policy CA", "certificate": der},
                                                        {"name": "User CA", "certificate": der,
                                                         "store": "userIntermediate"}]},
                  "scepProfiles": [{"name": "VPN user", "rootProfileIds": {"ios": existing_root.upper()},
                                    "groups": [{"id": GROUP}]}]}
    plane = Intune("intune", cfg(intune_cfg), {}, {"root": FAKE_DER, "issuing": None})

    def check(_):
        extra = {r.name: r.inputs for r in _by_type(mocks, "ndes:TrustedCertificateProfile")
                 if "-trusted-policy-ca" in r.name}
        assert sorted(extra) == ["intune-ios-trusted-policy-ca", "intune-windows-trusted-policy-ca"]
        assert all(i["certificate"] == der and i["role"] == "issuing" for i in extra.values())
        user = {r.name: r.inputs for r in _by_type(mocks, "ndes:TrustedCertificateProfile") if "-user-ca" in r.name}
        assert {n: i["role"] for n, i in user.items()} == {"intune-ios-trusted-user-ca": "userIssuing",
                                                            "intune-windows-trusted-user-ca": "userIssuing"}
        sceps = {r.inputs["platform"]: r.inputs for r in _by_type(mocks, "ndes:ScepProfile")}
        assert sceps["ios"]["rootProfileId"] == existing_root and sceps["ios"]["rootOutsideStack"] is True
        assert sceps["windows"]["rootProfileId"] == "intune-windows-root-pid"
        assert "rootOutsideStack" not in sceps["windows"]  # a stack's own root: the inputs as they were
    return pulumi.Output.all(*[r.urn for r in plane.resources]).apply(check)


def test_validity_longer_than_the_issuing_cas_remaining_life_is_refused():
    from ndes.components.intune import checked_validity
    der = _ca_der()  # expires in 30 days
    c = cfg({"scepProfiles": [{"name": "Short", "validity": "14 days"}, {"name": "Long", "validity": "1 year"}]})
    short, long_ = c.intune.scep_profiles
    assert checked_validity(short, der, "intune.scepProfiles[0]") == "14 days"
    with pytest.raises(ValueError, match=r"ndes:intune.scepProfiles\[1\].validity: a validity of 365 days outlives "
                                         r"the issuing CA 'CN=Contoso Policy CA', which expires in (29|30) days"):
        checked_validity(long_, der, "intune.scepProfiles[1]")


def test_validity_in_months_is_checked_too():
    from ndes.components.intune import checked_validity
    c = cfg({"scepProfiles": [{"name": "Months", "validity": "2 months"}]})
    with pytest.raises(ValueError, match="62 days outlives"):
        checked_validity(c.intune.scep_profiles[0], _ca_der(), "intune.scepProfiles[0]")


@pulumi.runtime.test
def test_per_platform_filters_override_the_common_one(mocks):
    from ndes.components.intune import Intune
    intune_cfg = {"platforms": ["ios", "windows"], "scepProfiles": [{
        "name": "WiFi device", "certificateStore": "machine", "subjectName": "CN={{AAD_Device_ID}}",
        "subjectAlternativeNames": [],
        "assignments": {"allDevices": True, "filter": {"id": FILTER_ID},
                        "filters": {"ios": {"name": "Corporate iPhones", "mode": "exclude"}}}}]}
    plane = Intune("intune", cfg(intune_cfg), {}, {"root": FAKE_DER, "issuing": None})

    def check(_):
        sceps = {r.inputs["platform"]: r.inputs for r in _by_type(mocks, "ndes:ScepProfile")}
        assert sceps["ios"]["groups"] == ["allDevices filter:exclude:Corporate iPhones"]
        assert sceps["windows"]["groups"] == [f"allDevices filter:include:{FILTER_ID}"]
    return pulumi.Output.all(*[r.urn for r in plane.resources]).apply(check)


def test_filters_name_known_platforms_only():
    assert "unknown platform" in error({"scep": {"assignments": {"filters": {"tvos": {"id": FILTER_ID}}}}})


def test_verify_reads_every_named_profile_on_each_of_its_platforms():
    from ndes.verify.graph import intune_profiles
    from .verify_fakes import FakeGraph, context
    two = copy.deepcopy(TWO)
    del two["scepProfiles"][1]["assignments"]["filter"]  # a filter by name: the sample tenant has none
    c = cfg(two)

    def sceps(graph):
        return [r for r in intune_profiles(c, context(c, graph=graph)[0]) if r.check.startswith("SCEP profile")]
    res = sceps(FakeGraph(c))
    assert [r.check for r in res] == [f"SCEP profile NDES {n} - {t}" for n in ("VPN user", "WiFi device") for t in
                                      ("iOS/iPadOS", "Android Enterprise work profile", "Windows 10 and later")]
    assert {r.status for r in res} == {"pass"}
    res = sceps(FakeGraph(cfg({"scep": {"groups": [{"id": GROUP}]}})))  # the tenant holds the shorthand's only
    assert len(res) == 6 and {r.status for r in res} == {"fail"}
    assert res[-1].detail.startswith("no SCEP profile named 'NDES WiFi device - Windows 10 and later'")
    assert res[-1].fix.endswith("(ndes:intune.scepProfiles[1])")


SIGNING = {"name": "NDES-Signing", "keyUsage": ["digitalSignature"], "extendedKeyUsage": ["emailProtection"]}
ENCRYPTION = {"name": "NDES-Encryption", "keyUsage": ["keyEncipherment"], "extendedKeyUsage": ["emailProtection"]}
SMIME = {"scepProfiles": [{"name": "VPN user"},
                          {"name": "SMIME signing", "keyUsage": ["digitalSignature"],
                           "extendedKeyUsage": ["emailProtection"]},
                          {"name": "SMIME encryption", "keyUsage": ["keyEncipherment"],
                           "extendedKeyUsage": ["emailProtection"]}]}


def test_three_templates_one_per_purpose_serve_three_profiles():
    c = load_config(sample(intune=SMIME, **{"templates.moreClients": [SIGNING, ENCRYPTION]}))
    assert {v: t.name for v, (_, t) in c.templates.clients_by_mscep_value().items()} == {
        "GeneralPurposeTemplate": "NDES-Intune", "SignatureTemplate": "NDES-Signing",
        "EncryptionTemplate": "NDES-Encryption"}
    from ndes.declare.hosts import mscep_inputs
    assert mscep_inputs(c) == {"keyUsage": ["digitalSignature", "keyEncipherment"],
                               "additional": {"SignatureTemplate": "NDES-Signing",
                                              "EncryptionTemplate": "NDES-Encryption"}}
    # the shorthand keeps its mapping inputs exactly (no change in preview)
    assert mscep_inputs(cfg({"scep": {"groups": [{"id": GROUP}]}})) == {
        "keyUsage": ["digitalSignature", "keyEncipherment"]}


def test_a_profile_without_a_template_for_its_purpose_is_named_at_preview():
    from ndes.model.errors import ConfigError
    with pytest.raises(ConfigError) as e:
        load_config(sample(intune=SMIME, **{"templates.moreClients": [SIGNING]}))
    problems = [p for p in e.value.problems if p.key.endswith("keyUsage")]
    assert [p.key for p in problems] == ["intune.scepProfiles[2].keyUsage"]
    assert "'SMIME encryption'" in problems[0].message and "EncryptionTemplate" in problems[0].message
    assert "templates.moreClients" in problems[0].fix


def test_more_clients_need_distinct_purposes_and_names():
    with pytest.raises((ValidationError, ValueError), match="purpose 'Signature'"):
        load_config(sample(**{"templates.moreClients": [SIGNING, {**SIGNING, "name": "Other"}]}))
    with pytest.raises((ValidationError, ValueError), match="is taken"):
        load_config(sample(**{"templates.moreClients": [{**SIGNING, "name": "NDES-Intune"}]}))
    with pytest.raises((ValidationError, ValueError), match="purpose 'Signature and encryption'"):
        load_config(sample(**{"templates.moreClients": [{**SIGNING, "keyUsage": ["digitalSignature",
                                                                               "keyEncipherment"]}]}))


def test_mapping_reads_the_other_purposes_values_back():
    from ndes.providers.mscep_template_mapping import MscepTemplateMappingProvider
    prov = MscepTemplateMappingProvider()
    from .test_windows_providers import p as windows_props
    inp = prov.parse({**windows_props(), "owner": "o", "keyUsage": ["digitalSignature", "keyEncipherment"], "templateName": "NDES-Intune",
                      "additional": {"SignatureTemplate": "NDES-Signing"}})
    live = prov._live(inp, {"exists": True, "values": {"GeneralPurposeTemplate": "NDES-Intune",
                                                       "SignatureTemplate": "User",
                                                       "EncryptionTemplate": "IPSECIntermediateOffline"}})
    assert live["additional"] == {"SignatureTemplate": "User"}  # a hand change shows as drift
    with pytest.raises(ValidationError, match="MSCEP values"):
        prov.parse({**windows_props(), "keyUsage": ["digitalSignature"], "templateName": "NDES-Intune",
                    "additional": {"Nope": "x"}})


@pytest.mark.parametrize("key_usage", [["nonRepudiation"], ["digitalSignature", "dataEncipherment"], []])
def test_mapping_refuses_the_key_usages_the_scep_profile_refuses_with_its_message(key_usage):
    """One rule (scep_fields.ScepKeyUsage) for ndes:intune.scep.keyUsage and the mapping derived from it."""
    from ndes.providers.mscep_template_mapping import MscepTemplateMappingProvider
    from .test_windows_providers import p as windows_props
    with pytest.raises((ValidationError, ValueError)) as config_error:
        load_config(sample(**{"intune.scep.keyUsage": key_usage}))
    with pytest.raises(ValidationError) as inputs_error:
        MscepTemplateMappingProvider().parse({**windows_props(), "keyUsage": key_usage, "templateName": "NDES-Intune"})
    message = inputs_error.value.errors()[0]["msg"].removeprefix("Value error, ")
    assert message.startswith("Intune SCEP profiles offer only") and message in str(config_error.value)


@pulumi.runtime.test
def test_directory_plane_makes_and_issues_the_other_purposes_templates():
    from .test_directory_providers import Mocks as DirectoryMocks
    m = DirectoryMocks()
    pulumi.runtime.set_mocks(m, project="ndes", stack="unit", preview=False)
    from ndes.components.directory import DirectoryPlane
    c = load_config(sample(intune=SMIME, **{"templates.moreClients": [SIGNING, ENCRYPTION]}))
    plane = DirectoryPlane("directory", c, {})

    def check(_):
        tpls = {r.name: r.inputs for r in m.resources if r.typ.endswith("ndes:CertificateTemplate")}
        assert tpls["directory-client-template-ndes-signing"]["keyUsage"] == ["digitalSignature"]
        assert tpls["directory-client-template-ndes-signing"]["configKey"] == "ndes:templates.moreClients[0]"
        assert tpls["directory-client-template-ndes-encryption"]["enrollPrincipals"] == ["svc-ndes"]
        iss = sorted(r.inputs["templateName"] for r in m.resources if r.typ.endswith("ndes:TemplateIssuance"))
        assert iss == ["NDES-Encryption", "NDES-Intune", "NDES-SSL", "NDES-Signing"]
    return pulumi.Output.all(*[r.urn for r in plane.resources]).apply(check)


def test_target_words_keep_the_all_users_and_all_devices_spelling():
    """Found by tests/graph/test_intune_assignments.py: lower-casing every word sent 'alldevices' as a group id."""
    from ndes.providers.trusted_certificate_profile import normalize_groups
    assert normalize_groups([" allDevices filter:Include:Corporate devices", "EXCLUDE:" + EXCLUDED.upper(),
                             "allLicensedUsers", GROUP.upper() + f" filter:exclude:{FILTER_ID.upper()}"]) == sorted([
        "allDevices filter:include:Corporate devices", f"exclude:{EXCLUDED}", "allLicensedUsers",
        f"{GROUP} filter:exclude:{FILTER_ID}"])
