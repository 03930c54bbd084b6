"""NdesHost and CaHost under Pulumi mocks: the resources each declares, in the guide's order, with the inputs
the configuration gives them; secrets stay secret; the deployment wires both planes into the chain."""
from __future__ import annotations

import pulumi
import pytest
from pulumi.runtime.rpc import is_rpc_secret, unwrap_rpc_secret

from ndes.model import load_config
from ndes.providers import connections

from .sample_config import sample

ORDER = ["features", "iis-iusrs", "ndes-role", "scep-pool-identity", "iis-request-limits", "http-sys", "reboot", "ssl-certificate",
         "https-binding", "mscep-mapping", "intune-connector", "ra-renewal"]
THUMB = "A1" * 20


class Mocks(pulumi.runtime.Mocks):
    def __init__(self):
        self.resources: list[pulumi.runtime.MockResourceArgs] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        self.resources.append(args)
        outs = dict(args.inputs)
        if args.typ.endswith("ndes:MachineCertificate"):
            outs["thumbprint"] = THUMB
        if args.typ.endswith("ndes:CaCertificate"):
            outs.update(rootDerBase64="cm9vdA==", issuingDerBase64="aXNzdWluZw==")
        if args.typ.endswith("ndes:ServiceAccount"):
            outs.update(sid="S-1-5-21-1-2-3-1105", dn="CN=svc-ndes,CN=Users,DC=contoso,DC=com")
        return f"{args.name}-id", outs

    def call(self, args: pulumi.runtime.MockCallArgs):
        return {}


@pytest.fixture
def mocks():
    m = Mocks()
    pulumi.runtime.set_mocks(m, project="ndes", stack="unit", preview=False)
    return m


def _secrets(cfg):
    from ndes.program import secret_outputs
    return secret_outputs(cfg)


def _plain(v):
    return unwrap_rpc_secret(v) if is_rpc_secret(v) else v


def by_name(mocks: Mocks) -> dict[str, pulumi.runtime.MockResourceArgs]:
    return {r.name: r for r in mocks.resources}


@pulumi.runtime.test
def test_ndes_host_declares_the_guides_steps_in_order(mocks):
    from ndes.components.ndes_host import NdesHost
    cfg = load_config(sample(**{"ndesRole.raCompany": "Contoso", "httpSys.allowReboot": False}))
    host = NdesHost("ndes-host-ndes01", cfg, cfg.ndes_hosts[0], 0, _secrets(cfg))
    assert list(host.graph) == ORDER
    assert host.graph["iis-iusrs"] == ["features"] and host.graph["ndes-role"] == ["iis-iusrs"]
    assert host.graph["iis-request-limits"] == ["ndes-role"] and host.graph["http-sys"] == ["ndes-role"]
    assert host.graph["reboot"] == ["iis-request-limits", "http-sys"]
    assert host.graph["ssl-certificate"] == ["reboot"] and host.graph["https-binding"] == ["ssl-certificate"]
    assert host.graph["mscep-mapping"] == ["https-binding"] and host.graph["intune-connector"] == ["mscep-mapping"]
    assert host.graph["ra-renewal"] == ["ndes-role", "https-binding"]  # GetCACert over https tells what NDES uses
    assert host.graph["scep-pool-identity"] == ["ndes-role"]  # and the directory's service account (AD first)

    def check(_):
        r = by_name(mocks)
        types = [a.typ.rsplit(":", 1)[1] for a in mocks.resources if a.typ.startswith("pulumi-python:dynamic/")]
        assert types[:10] == ["WindowsFeatures", "LocalGroupMember", "NdesRole", "ScepPoolIdentity",
                              "IisRequestLimits", "RegistryValues", "HostReboot", "MachineCertificate",
                              "IisHttpsBinding", "MscepTemplateMapping"]
        # the last two both follow the binding (registration order between them is the engine's)
        assert sorted(types[10:]) == ["IntuneConnector", "RaCertificateRenewal"]
        role = r["ndes-host-ndes01-ndes-role"].inputs
        assert role["serviceAccount"] == "CONTOSO\\svc-ndes" and role["caConfig"] == "ca01.contoso.com\\Contoso Issuing CA"
        assert role["raName"] == "NDES01-MSCEP-RA" and role["raCompany"] == "Contoso"
        assert is_rpc_secret(role["serviceAccountPassword"]) and _plain(role["serviceAccountPassword"]) == "Svc-Pa55!word"
        assert role["signingProvider"] == "Microsoft Strong Cryptographic Provider" and role["signingKeyLength"] == 2048
        # the inputs name the connection (no password, no plumbing); the provider resolves it from stack config
        assert "endpoint" not in role and not is_rpc_secret(role["connection"])
        assert role["connection"]["ref"] == "winrm:ndes01.contoso.com" and len(role["connection"]["fingerprint"]) == 16
        ep = connections.resolve(cfg, role["connection"]["ref"])["endpoint"]
        assert ep["url"] == "https://ndes01.contoso.com:5986/wsman" and ep["username"] == "CONTOSO\\pulumi"
        assert ep["password"] == "WinRM-Pa55!" and ep["host"] == "ndes01.contoso.com"
        cert = r["ndes-host-ndes01-ssl-certificate"].inputs
        assert cert["commonName"] == "ndes01-contoso.msappproxy.net"
        assert cert["dnsNames"] == ["ndes01-contoso.msappproxy.net", "ndes01.contoso.com"]
        assert cert["template"] == "NDES-SSL" and cert["renewBeforeDays"] == 30 and cert["keySize"] == 2048
        binding = r["ndes-host-ndes01-https-binding"].inputs
        assert binding["thumbprint"] == THUMB and binding["hostName"] == "" and binding["port"] == 443
        http = r["ndes-host-ndes01-http-sys"].inputs
        assert {v["name"]: v["value"] for v in http["values"]} == {"MaxFieldLength": 65534, "MaxRequestBytes": 65534}
        assert http["markRebootPending"] is True
        assert r["ndes-host-ndes01-reboot"].inputs["allowReboot"] is False
        assert r["ndes-host-ndes01-iis-iusrs"].inputs["member"] == "CONTOSO\\svc-ndes"
        mapping = r["ndes-host-ndes01-mscep-mapping"].inputs
        assert mapping["templateName"] == "NDES-Intune" and mapping["keyUsage"] == ["digitalSignature", "keyEncipherment"]
        assert r["ndes-host-ndes01-intune-connector"].inputs["requireRegistered"] is False
        assert {a.inputs["owner"] for a in mocks.resources if "owner" in a.inputs} == \
            {f"ndes/unit/ndes-host-ndes01-{s}" for s in ORDER}
    return pulumi.Output.all(*[x.urn for x in host.resources]).apply(check)


@pulumi.runtime.test
def test_internal_common_name_extra_sans_and_a_hosts_own_winrm(mocks):
    from ndes.components.ndes_host import NdesHost
    cfg = load_config(sample(**{
        "sslCertificate": {"commonName": "internal", "subjectAlternativeNames": ["ndes.contoso.com"],
                           "keySize": 4096},
        "ndesHosts": [{"fqdn": "ndes01.contoso.com", "externalUrl": "https://ndes01-contoso.msappproxy.net/",
                       "winrm": {"url": "https://10.0.0.5:5986/wsman", "password": "Own-Pa55!"}}],
        "ndesRole.raName": "Contoso NDES RA"}))
    host = NdesHost("h", cfg, cfg.ndes_hosts[0], 0, _secrets(cfg))

    def check(_):
        r = by_name(mocks)
        cert = r["h-ssl-certificate"].inputs
        assert cert["commonName"] == "ndes01.contoso.com" and cert["keySize"] == 4096  # the key size is requested
        assert cert["dnsNames"] == ["ndes.contoso.com", "ndes01-contoso.msappproxy.net", "ndes01.contoso.com"]
        ep = connections.resolve(cfg, r["h-features"].inputs["connection"]["ref"])["endpoint"]
        assert ep["url"] == "https://10.0.0.5:5986/wsman" and ep["password"] == "Own-Pa55!"
        assert r["h-ndes-role"].inputs["raName"] == "Contoso NDES RA"
    return pulumi.Output.all(*[x.urn for x in host.resources]).apply(check)


@pulumi.runtime.test
def test_ca_host_grants_and_exports(mocks):
    from ndes.components.ca_host import CaHost
    cfg = load_config(sample())
    ca = CaHost("ca-host", cfg, _secrets(cfg), service_account_sid="S-1-5-21-9-9-9-1105")

    def check(args):
        root, issuing = args
        assert (root, issuing) == ("cm9vdA==", "aXNzdWluZw==")
        r = by_name(mocks)
        access = r["ca-host-request-certificates"].inputs
        assert access["caName"] == "Contoso Issuing CA" and access["account"] == "CONTOSO\\svc-ndes"
        assert access["accountSid"] == "S-1-5-21-9-9-9-1105" and access["configKey"] == "ndes:ca"
        ep = connections.resolve(cfg, access["connection"]["ref"])["endpoint"]
        assert ep["url"] == "https://ca01.contoso.com:5986/wsman"
        assert r["ca-host-certificate"].typ == "pulumi-python:dynamic/ndes:CaCertificate"
    return pulumi.Output.all(ca.root_der_b64, ca.issuing_der_b64).apply(check)


@pulumi.runtime.test
def test_deployment_wires_ca_and_ndes_hosts_into_the_chain(mocks):
    from ndes.components.deployment import NdesScepDeployment
    cfg = load_config(sample(ndesHosts=[
        {"fqdn": "ndes01.contoso.com", "externalUrl": "https://ndes01-contoso.msappproxy.net/"},
        {"fqdn": "ndes02.contoso.com", "externalUrl": "https://ndes02-contoso.msappproxy.net/"}]))
    d = NdesScepDeployment("ndes", cfg, _secrets(cfg))
    assert len(d.chain.resources["ca_host"]) == 2
    assert len(d.chain.resources["ndes_hosts"]) == 2 * len(ORDER)
    assert set(d.chain.outputs["ndesHosts"]) == {"ndes01.contoso.com", "ndes02.contoso.com"}
    assert set(d.chain.outputs["caCertificates"]) == {"root", "issuing"}

    def check(args):
        sid = args[0]
        r = by_name(mocks)
        assert r["ca-host-request-certificates"].inputs["accountSid"] == sid == "S-1-5-21-1-2-3-1105"
        assert "ndes-host-ndes02-ndes-role" in r and "ndes-host-ndes01-intune-connector" in r
        # the Intune plane got the CA host's certificates: its trusted-root profiles exist
        assert any(a.typ.endswith("ndes:TrustedCertificateProfile") for a in mocks.resources)
    return pulumi.Output.all(d.chain.outputs["directory"]["serviceAccountSid"],
                             *[x.urn for x in d.chain.resources["ndes_hosts"] + d.chain.resources["intune"]]
                             ).apply(check)
