"""AppProxy and Intune components under Pulumi mocks: what resources they declare, with which inputs; groups
by id, by name (pulumi-azuread get_group) and created (azuread.Group); the trusted root assigned to every
group of its SCEP profiles."""
from __future__ import annotations

import base64

import pulumi
import pytest

from ndes.model import load_config
from ndes.model.graph_enums import PLATFORMS

from .sample_config import GROUP, sample

NAMED_GROUP_ID = "aaaaaaaa-0000-4000-8000-000000000001"
CREATED_GROUP_ID = "bbbbbbbb-0000-4000-8000-000000000002"
FAKE_DER = base64.b64encode(b"not-checked-under-mocks").decode()


class Mocks(pulumi.runtime.Mocks):
    def __init__(self):
        self.resources: list[pulumi.runtime.MockResourceArgs] = []
        self.calls: list[pulumi.runtime.MockCallArgs] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        self.resources.append(args)
        outs = dict(args.inputs)
        if args.typ == "azuread:index/group:Group":
            outs["objectId"] = CREATED_GROUP_ID.upper()
        if "profileId" not in outs and "platform" in outs:
            outs["profileId"] = f"{args.name}-pid"
        return f"{args.name}-id", outs

    def call(self, args: pulumi.runtime.MockCallArgs):
        self.calls.append(args)
        if args.token == "azuread:index/getGroup:getGroup":
            return {"objectId": NAMED_GROUP_ID, "displayName": args.args.get("displayName"), "id": NAMED_GROUP_ID}
        return {}


def _cfg(**changes):
    return load_config(sample(**changes))


def _by_type(mocks: Mocks, suffix: str) -> list[pulumi.runtime.MockResourceArgs]:
    return [r for r in mocks.resources if r.typ.endswith(suffix)]


@pytest.fixture
def mocks():
    m = Mocks()
    pulumi.runtime.set_mocks(m, project="ndes", stack="unit", preview=False)
    return m


@pulumi.runtime.test
def test_app_proxy_one_application_per_host(mocks):
    from ndes.components.app_proxy import AppProxy
    cfg = _cfg(ndesHosts=[{"fqdn": "ndes01.contoso.com", "externalUrl": "https://ndes01-contoso.msappproxy.net/"},
                          {"fqdn": "ndes02.contoso.com", "externalUrl": "https://ndes02-contoso.msappproxy.net/"}])
    plane = AppProxy("app-proxy", cfg, {"graph.clientSecret": pulumi.Output.secret("Graph-S3cret!")})

    def check(_):
        apps = _by_type(mocks, "ndes:AppProxyApplication")
        assert [a.typ for a in apps] == ["pulumi-python:dynamic/ndes:AppProxyApplication"] * 2
        by_name = {a.inputs["displayName"]: a.inputs for a in apps}
        assert set(by_name) == {"NDES ndes01", "NDES ndes02"}
        one = by_name["NDES ndes01"]
        assert one["externalUrl"] == "https://ndes01-contoso.msappproxy.net/"
        assert one["internalUrl"] == "https://ndes01.contoso.com/"
        assert one["preAuthentication"] == "passthrough" and one["connectorGroup"] == "Default"
        assert one["configKey"] == "ndes:appProxy" and one["owner"] == "ndes/unit/app-proxy-ndes01"
    return pulumi.Output.all(*[r.urn for r in plane.resources]).apply(check)


@pulumi.runtime.test
def test_intune_profiles_for_every_platform_with_ids(mocks):
    from ndes.components.intune import Intune
    platforms = list(PLATFORMS)
    cfg = _cfg(**{"intune.platforms": platforms})
    plane = Intune("intune", cfg, {}, {"root": FAKE_DER, "issuing": FAKE_DER + "i"})

    def check(_):
        roots = _by_type(mocks, "ndes:TrustedCertificateProfile")
        sceps = _by_type(mocks, "ndes:ScepProfile")
        assert sorted(r.inputs["platform"] for r in sceps) == sorted(platforms)
        root_only = [r for r in roots if r.inputs["role"] == "root"]
        issuing = [r for r in roots if r.inputs["role"] == "issuing"]
        assert sorted(r.inputs["platform"] for r in root_only) == sorted(platforms)
        assert sorted(r.inputs["platform"] for r in issuing) == ["androidDeviceOwner", "androidWorkProfile", "windows"]
        assert all(r.inputs["certificate"] == FAKE_DER + "i" for r in issuing)
        for s in sceps:
            i = s.inputs
            assert i["rootProfileId"] == f"intune-{i['platform']}-root-pid"
            assert i["scepServerUrls"] == ["https://ndes01-contoso.msappproxy.net/certsrv/mscep/mscep.dll"]
            assert i["groups"] == [GROUP] and i["keySize"] == 2048 and i["validity"] == "1 year"
        assert all(r.inputs["groups"] == [GROUP] for r in roots)
        assert not [r for r in mocks.resources if r.typ.startswith("azuread")] and not mocks.calls
    return pulumi.Output.all(*[r.urn for r in plane.resources]).apply(check)


@pulumi.runtime.test
def test_groups_by_name_and_created_with_azuread_and_root_covers_scep_groups(mocks):
    from ndes.components.intune import Intune
    cfg = _cfg(**{"intune.platforms": ["ios"],
                  "intune.scep.groups": [{"id": GROUP}, {"name": "NDES devices"},
                                         {"name": "NDES new", "create": True}],
                  "intune.trustedRoot.groups": [{"id": GROUP}, {"name": "NDES devices"},
                                                {"name": "NDES new", "create": True},
                                                {"id": "cccccccc-0000-4000-8000-000000000003"}]})
    plane = Intune("intune", cfg, {}, {"root": FAKE_DER, "issuing": None})

    def check(_):
        created = [r for r in mocks.resources if r.typ == "azuread:index/group:Group"]
        assert len(created) == 1 and created[0].inputs["displayName"] == "NDES new"
        assert created[0].inputs["securityEnabled"] is True
        calls = [c for c in mocks.calls if c.token == "azuread:index/getGroup:getGroup"]
        assert [c.args["displayName"] for c in calls] == ["NDES devices"]
        scep = _by_type(mocks, "ndes:ScepProfile")[0].inputs
        root = _by_type(mocks, "ndes:TrustedCertificateProfile")[0].inputs
        assert scep["groups"] == sorted([GROUP, NAMED_GROUP_ID, CREATED_GROUP_ID.lower()])
        assert set(scep["groups"]) <= set(root["groups"])
        assert "cccccccc-0000-4000-8000-000000000003" in root["groups"]
    return pulumi.Output.all(*[r.urn for r in plane.resources]).apply(check)


@pulumi.runtime.test
def test_trusted_root_gets_scep_groups_even_when_config_lists_fewer(mocks):
    from ndes.components.intune import trusted_root_group_refs
    from ndes.model.config import DeploymentConfig
    cfg = _cfg(**{"intune.scep.groups": [{"id": GROUP}]})
    # the model refuses such a config (check_groups); the component enforces it on its own as well
    raw = cfg.model_dump(by_alias=True)
    raw["intune"]["trustedRoot"]["groups"] = [{"id": "dddddddd-0000-4000-8000-000000000004"}]
    bent = DeploymentConfig.model_validate(raw)
    keys = [g.key for g in trusted_root_group_refs(bent)]
    assert keys == ["dddddddd-0000-4000-8000-000000000004", GROUP]
    return pulumi.Output.from_input(True)


@pulumi.runtime.test
def test_deployment_builds_intune_from_the_ca_hosts_certificate(mocks):
    """NdesScepDeployment._intune takes the CA host plane's CaCertificate outputs (root + issuing DER)."""
    from ndes.components.deployment import NdesScepDeployment
    from ndes.providers.resources import CaCertificate

    class WithCa(NdesScepDeployment):
        def _ca_host(self, opts):
            self.chain.resources["ca_host"] = [CaCertificate("ca-cert", {"caName": "Contoso Issuing CA"}, opts)]

    orig = mocks.new_resource

    def new_resource(args):
        rid, outs = orig(args)
        if args.typ.endswith("ndes:CaCertificate"):
            outs.update(rootDerBase64=FAKE_DER, issuingDerBase64=FAKE_DER + "i")
        return rid, outs
    mocks.new_resource = new_resource
    d = WithCa("ndes", _cfg(), {"graph.clientSecret": pulumi.Output.secret("Graph-S3cret!")})

    def check(_):
        kinds = [r.typ.rsplit(":", 1)[-1] for r in mocks.resources]
        assert kinds.count("AppProxyApplication") == 1
        assert kinds.count("ScepProfile") == 3  # ios, androidWorkProfile, windows (the sample's platforms)
        roots = _by_type(mocks, "ndes:TrustedCertificateProfile")
        assert sorted((r.inputs["platform"], r.inputs["certificate"]) for r in roots) == sorted(
            [("ios", FAKE_DER), ("androidWorkProfile", FAKE_DER), ("windows", FAKE_DER),
             ("androidWorkProfile", FAKE_DER + "i"), ("windows", FAKE_DER + "i")])
    return pulumi.Output.all(*[r.urn for r in d.chain.after("app_proxy", "intune")]).apply(check)
