"""The library API (ndes/components/library.py, args.py) under Pulumi mocks: each plane alone from its typed
Args, with only the identities it needs; the same resources and inputs as the chain's plane built from stack
config; secrets from Inputs and never the placeholder; errors that name the argument."""
from __future__ import annotations

import base64
import json

import pulumi

from ndes.components.connection import INLINE
import pytest

import ndes
from ndes.components.views import INPUT_SECRET, ArgsError
from ndes.model import load_config

from .sample_config import GROUP, sample

FAKE_DER = base64.b64encode(b"not-checked-under-mocks").decode()
SCEP_URL = "https://ndes01-contoso.msappproxy.net/certsrv/mscep/mscep.dll"


class Mocks(pulumi.runtime.Mocks):
    def __init__(self):
        self.resources: list[pulumi.runtime.MockResourceArgs] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        self.resources.append(args)
        outs = dict(args.inputs)
        if "platform" in outs:
            outs["profileId"] = f"{args.name}-pid"
        return f"{args.name}-id", outs

    def call(self, args: pulumi.runtime.MockCallArgs):
        return {}


@pytest.fixture
def mocks():
    m = Mocks()
    pulumi.runtime.set_mocks(m, project="ndes", stack="unit", preview=False)
    return m


def dynamic(mocks: Mocks) -> list[pulumi.runtime.MockResourceArgs]:
    return [r for r in mocks.resources if r.typ.startswith("pulumi-python:dynamic/ndes:")]


def kinds(mocks: Mocks) -> list[str]:
    return sorted(r.typ.rsplit(":", 1)[-1] for r in dynamic(mocks))


SIG = "4dabf18193072939515e22adb298388d"  # Pulumi's special-signature key: the mocks show a secret as its wrapper


def secret(value) -> str:
    """The value of a secret input (fails on a plain one: a password must stay a Pulumi secret)."""
    assert isinstance(value, dict) and SIG in value, f"not a secret: {type(value).__name__}"
    return value["value"]


def no_placeholder(mocks: Mocks) -> None:
    text = json.dumps([r.inputs for r in mocks.resources], default=str)
    assert INPUT_SECRET not in text


GRAPH = ndes.GraphConnectionArgs(tenant_id="t", client_id="c", client_secret=pulumi.Output.secret("Graph-S3cret!"))


def intune_args(**more) -> ndes.IntuneProfilesArgs:
    return ndes.IntuneProfilesArgs(graph=GRAPH, scep_urls=[SCEP_URL], root_certificate_der=FAKE_DER,
                                   issuing_certificate_der=FAKE_DER, platforms=["ios", "androidWorkProfile", "windows"],
                                   scep=ndes.ScepSettingsArgs(groups=[ndes.GroupRefArgs(id=GROUP)]), **more)


@pulumi.runtime.test
def test_intune_profiles_alone_needs_only_graph(mocks):
    intune = ndes.IntuneProfiles("intune", intune_args())

    def check(args):
        root_ids, scep_ids, _ = args
        assert kinds(mocks) == ["ScepProfile"] * 3 + ["TrustedCertificateProfile"] * 5
        comp = [r for r in mocks.resources if r.typ == "ndes:index:IntuneProfiles"]
        assert len(comp) == 1
        for r in dynamic(mocks):
            assert r.inputs["tenantId"] == "t" and secret(r.inputs["clientSecret"]) == "Graph-S3cret!"
            assert not {"ldapUrl", "endpoint", "bindPassword"} & set(r.inputs), r.inputs
        scep = [r for r in dynamic(mocks) if r.typ.endswith("ScepProfile")]
        assert all(r.inputs["scepServerUrls"] == [SCEP_URL] for r in scep)
        assert set(scep_ids) == {"ios", "androidWorkProfile", "windows"}
        assert scep_ids["ios"] == "intune-ios-scep-id" and root_ids["ios"] == "intune-ios-root-id"  # resource ids
        no_placeholder(mocks)
    return pulumi.Output.all(intune.trusted_root_profile_ids, intune.scep_profile_ids, intune.urn).apply(check)


@pulumi.runtime.test
def test_intune_profiles_take_outputs_from_another_stack(mocks):
    urls = pulumi.Output.from_input([SCEP_URL, SCEP_URL.replace("ndes01", "ndes02")])
    intune = ndes.IntuneProfiles("intune", ndes.IntuneProfilesArgs(
        graph=GRAPH, scep_urls=urls, root_certificate_der=pulumi.Output.from_input(FAKE_DER), platforms=["ios"]))

    def check(_):
        scep = [r for r in dynamic(mocks) if r.typ.endswith("ScepProfile")]
        assert [r.inputs["scepServerUrls"] for r in scep] == [[SCEP_URL, SCEP_URL.replace("ndes01", "ndes02")]]
    return intune.scep_profile_ids.apply(check)


def _inputs_by_name(mocks: Mocks) -> dict[str, dict]:
    return {r.name: {k: v for k, v in r.inputs.items() if k != "owner"} for r in dynamic(mocks)}


@pulumi.runtime.test
def test_intune_profiles_declare_what_the_chain_plane_declares(mocks):
    from ndes.components.intune import Intune
    from ndes.program import secret_outputs
    cfg = load_config(sample(**{"intune.platforms": ["ios", "androidWorkProfile", "windows"]}))
    # a library plane's connections travel inline (its caller has no ndes: stack config): the chain's plane in
    # the same form (test_deployment_args_match_the_stack_config_path compares the by-reference form)
    chain = Intune("chain", cfg, {**secret_outputs(cfg), INLINE: True}, {"root": FAKE_DER, "issuing": FAKE_DER})
    lib = ndes.IntuneProfiles("lib", intune_args())

    def check(_):
        by = _inputs_by_name(mocks)
        chain_side = {k[len("chain"):]: json.loads(json.dumps(v).replace('"chain-', '"')) for k, v in by.items()
                      if k.startswith("chain-")}
        lib_side = {k[len("lib"):]: json.loads(json.dumps(v).replace('"lib-', '"')) for k, v in by.items()
                    if k.startswith("lib-")}
        assert set(chain_side) == set(lib_side)
        for k in chain_side:
            assert chain_side[k] == lib_side[k], k
    return pulumi.Output.all(chain.outputs["scepProfiles"], lib.scep_profile_ids).apply(check)


def test_args_errors_name_the_argument():
    with pytest.raises(ArgsError) as exc:
        from ndes.components.views import intune_view
        args = intune_args()
        args["scep"] = ndes.ScepSettingsArgs(key_size=1024)
        intune_view(args)
    assert "IntuneProfilesArgs.scep.key_size" in str(exc.value) and "2048" in str(exc.value)
    assert "Graph-S3cret!" not in str(exc.value)


LDAP = ndes.LdapConnectionArgs(url="ldaps://dc01.contoso.com", bind_user="pulumi@contoso.com",
                               bind_password=pulumi.Output.secret("Bind-Pa55!"))


@pulumi.runtime.test
def test_directory_plane_alone_given_a_domain(mocks):
    plane = ndes.DirectoryPlane("directory", ndes.DirectoryPlaneArgs(
        connection=LDAP, domain_dns_name="contoso.com", domain_netbios_name="contoso",
        service_account=ndes.ServiceAccountArgs(name="svc-ndes", password=pulumi.Output.secret("Svc-Pa55!word")),
        ndes_hosts=["ndes01.contoso.com"], ca_common_name="Contoso Issuing CA",
        client_template=ndes.CertificateTemplateArgs(validity="2 years")))

    def check(args):
        _, name = args
        assert kinds(mocks) == ["CertificateTemplate"] * 2 + ["ServiceAccount"] + ["TemplateIssuance"] * 2
        by = {r.name: r.inputs for r in dynamic(mocks)}
        sa = by["directory-service-account"]
        assert secret(sa["password"]) == "Svc-Pa55!word" and secret(sa["bindPassword"]) == "Bind-Pa55!"
        assert sa["spnHosts"] == ["ndes01.contoso.com"] and sa["upn"] == "svc-ndes@contoso.com"
        assert by["directory-client-template"]["validity"] == "2 years"
        assert by["directory-ssl-template"]["enrollPrincipals"] == ["NDES01$"]
        assert by["directory-ssl-issuance"]["caCommonName"] == "Contoso Issuing CA"
        assert all("tenantId" not in i and "endpoint" not in i for i in by.values())
        assert name == "CONTOSO\\svc-ndes"
        no_placeholder(mocks)
    return pulumi.Output.all(plane.client_issuance.urn, plane.service_account_name).apply(check)


WINRM = ndes.WinrmConnectionArgs(username="CONTOSO\\pulumi", password=pulumi.Output.secret("WinRM-Pa55!"))


@pulumi.runtime.test
def test_ca_host_and_ndes_host_from_args(mocks):
    vm_url = pulumi.Output.from_input("https://10.0.0.4:5986/wsman")
    ca = ndes.CaHost("ca-host", ndes.CaHostArgs(host="ca01.contoso.com", common_name="Contoso Issuing CA",
                                                 connection=WINRM, service_account="CONTOSO\\svc-ndes"))
    host = ndes.NdesHost("ndes-host-ndes01", ndes.NdesHostArgs(
        fqdn="ndes01.contoso.com", external_url="https://ndes01-contoso.msappproxy.net/",
        connection=ndes.WinrmConnectionArgs(username="CONTOSO\\pulumi", password=pulumi.Output.secret("WinRM-Pa55!"),
                                            url=vm_url),
        ca_config="ca01.contoso.com\\Contoso Issuing CA", service_account="CONTOSO\\svc-ndes",
        service_account_password=pulumi.Output.secret("Svc-Pa55!word"),
        ndes_role=ndes.NdesRoleArgs(install_credential=ndes.InstallCredentialArgs(
            username="CONTOSO\\ndes-install", password=pulumi.Output.secret("Install-Pa55!")))))

    def check(args):
        scep_url = args[2]
        by = {r.name: r.inputs for r in dynamic(mocks)}
        access = by["ca-host-request-certificates"]
        access["endpoint"] = secret(access["endpoint"])
        assert access["account"] == "CONTOSO\\svc-ndes" and access["caName"] == "Contoso Issuing CA"
        assert access["endpoint"]["url"] == "https://ca01.contoso.com:5986/wsman"
        assert access["endpoint"]["password"] == "WinRM-Pa55!"
        role = by["ndes-host-ndes01-ndes-role"]
        role = {k: secret(v) if k in ("endpoint", "serviceAccountPassword", "installCredential") else v
                for k, v in role.items()}
        assert role["caConfig"] == "ca01.contoso.com\\Contoso Issuing CA"
        assert role["serviceAccountPassword"] == "Svc-Pa55!word"
        assert role["installCredential"] == {"username": "CONTOSO\\ndes-install", "password": "Install-Pa55!"}
        assert role["endpoint"]["url"] == "https://10.0.0.4:5986/wsman"
        assert by["ndes-host-ndes01-mscep-mapping"]["templateName"] == "NDES-Intune"
        assert scep_url == SCEP_URL
        no_placeholder(mocks)
    return pulumi.Output.all(ca.ca_certificate.urn, host.connector.urn, host.scep_url).apply(check)


@pulumi.runtime.test
def test_app_proxy_from_args(mocks):
    plane = ndes.AppProxy("app-proxy", ndes.AppProxyArgs(
        graph=ndes.GraphConnectionArgs(tenant_id="t", client_id="c", credential="clientSecret",
                                       client_secret=pulumi.Output.secret("Graph-S3cret!"),
                                       app_proxy_credential="deviceCode"),
        applications=[ndes.AppProxyApplicationArgs(fqdn="ndes01.contoso.com",
                                                    external_url="https://ndes01-contoso.msappproxy.net/")]))

    def check(args):
        urls = args[1]
        (app,) = dynamic(mocks)
        assert app.inputs["credential"] == "deviceCode" and app.inputs["internalUrl"] == "https://ndes01.contoso.com/"
        assert app.inputs["displayName"] == "NDES"
        assert urls == {"ndes01.contoso.com": "https://ndes01-contoso.msappproxy.net/"}
        no_placeholder(mocks)
    return pulumi.Output.all(plane.resources[0].urn, plane.external_urls).apply(check)


def declared(build) -> list[str]:
    """The resources (type, name, inputs but the owner mark) a program declares under fresh mocks."""
    mocks = Mocks()
    pulumi.runtime.set_mocks(mocks, project="ndes", stack="unit", preview=False)

    @pulumi.runtime.test
    def run():
        d = build()
        return pulumi.Output.all(d.intune_profile_ids, d.ndes_host_state, d.notes)

    run()
    return sorted(repr((r.typ, r.name, {k: v for k, v in r.inputs.items() if k != "owner"})) for r in mocks.resources)


def test_deployment_args_match_the_stack_config_path():
    """NdesScepDeploymentArgs with secrets as Inputs declares the same resources and inputs as the stack-config
    path the program took before (a validated DeploymentConfig and its secrets)."""
    from ndes.program import secret_outputs
    raw = sample()

    def from_config(inline: bool):
        cfg = load_config(raw)
        return ndes.NdesScepDeployment("ndes", cfg, {**secret_outputs(cfg), **({INLINE: True} if inline else {})})

    def from_args(stack_config: bool):
        doc = dict(raw)
        doc["domain"] = {k: v for k, v in raw["domain"].items() if k != "bindPassword"}
        doc["graph"] = {k: v for k, v in raw["graph"].items() if k != "clientSecret"}
        return ndes.NdesScepDeployment("ndes", ndes.NdesScepDeploymentArgs(
            config=doc, stack="unit", connections_from_stack_config=stack_config,
            secrets=ndes.DeploymentSecretsArgs(bind_password=pulumi.Output.secret("Bind-Pa55!"),
                                               graph_client_secret=pulumi.Output.secret("Graph-S3cret!"))))

    # a library caller: connections inline, with the secrets it gave
    a, b = declared(lambda: from_config(True)), declared(lambda: from_args(False))
    assert len(a) > 20 and a == b
    assert INPUT_SECRET not in "".join(b)
    assert "'ldapUrl'" in "".join(b) and "'connection'" not in "".join(b)
    # the repository's program: connections by reference (the providers read the stack config)
    c, d = declared(lambda: from_config(False)), declared(lambda: from_args(True))
    assert len(c) > 20 and c == d
    assert "'connection'" in "".join(d) and "'ldapUrl'" not in "".join(d)


def test_deployment_args_config_errors_name_the_key():
    from ndes.components.views import deployment_config
    from ndes.model import ConfigError
    with pytest.raises(ConfigError) as exc:
        deployment_config(ndes.NdesScepDeploymentArgs(config=sample(**{"intune.scep.keySize": 1024}), stack="unit"))
    assert "ndes:intune.scep.keySize" in str(exc.value)
    with pytest.raises(ConfigError) as exc:
        deployment_config({"config": sample(), "stack": "unit", "secrets": {"bind_pasword": "x"}})
    assert "bind_pasword" in str(exc.value)


def test_directory_args_errors_name_the_argument():
    from ndes.components.views import directory_view
    args = ndes.DirectoryPlaneArgs(
        connection=ndes.LdapConnectionArgs(url="ldap://dc01.contoso.com", bind_user="pulumi@contoso.com",
                                           bind_password="Bind-Pa55!"),
        domain_dns_name="contoso.com", domain_netbios_name="CONTOSO",
        service_account=ndes.ServiceAccountArgs(name="svc-ndes", password="Svc-Pa55!word"),
        ndes_hosts=["ndes01.contoso.com"], ca_common_name="Contoso Issuing CA",
        client_template=ndes.CertificateTemplateArgs(validity="6 months"))
    with pytest.raises(ArgsError) as exc:
        directory_view(args)
    text = str(exc.value)
    assert "DirectoryPlaneArgs.connection: ldapUrl uses ldap:// without startTls" in text
    args["connection"]["url"] = "ldaps://dc01.contoso.com"
    with pytest.raises(ArgsError) as exc:
        directory_view(args)
    assert "DirectoryPlaneArgs.client_template.validity: '6 months'" in str(exc.value)
    assert "Bind-Pa55!" not in text + str(exc.value) and "Svc-Pa55!word" not in text + str(exc.value)


def test_deployment_args_take_snake_case_and_every_secret_as_input():
    from ndes.components.views import INPUT_SECRET, deployment_config
    doc = {"service_account": {"name": "svc-ndes"}, **{k: v for k, v in sample().items() if k != "serviceAccount"}}
    doc["ndesRole"] = {"install_credential": {"username": "CONTOSO\\ndes-install"}}
    cfg, secrets = deployment_config({"config": doc, "stack": "unit", "secrets": {
        "service_account_password": "Svc-Pa55!word", "install_credential_password": "Install-Pa55!"}})
    assert cfg.service_account.name == "svc-ndes"
    assert cfg.service_account.password.get_secret_value() == INPUT_SECRET
    assert set(secrets) >= {"serviceAccount.password", "ndesRole.installCredential.password", "domain.bindPassword",
                            "graph.clientSecret", "winrm.password"}
