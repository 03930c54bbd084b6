"""AzureNdesHost: the config block, the resource graph under Pulumi mocks, and the Key Vault secret reader."""
from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

import httpx
import pulumi
import pytest
import yaml
from pulumi.runtime.rpc import is_rpc_secret, unwrap_rpc_secret

from ndes.model import ConfigError, DeploymentConfig, load_config
from ndes.model.azure import azure_host_problems

from .azure_doubles import restarting_vm  # noqa: F401  (autouse: every HostReady meets the join's restart)
from .sample_config import sample

ROOT = Path(__file__).resolve().parents[2]
SUB = "00000000-0000-4000-8000-0000000000a1"
SUBNET = (f"/subscriptions/{SUB}/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/vnet-hub/"
          "subnets/snet-servers")
VAULT = f"/subscriptions/{SUB}/resourceGroups/rg-kv/providers/Microsoft.KeyVault/vaults/kv-ndes"
CERT_URL = "https://kv-ndes.vault.azure.net/secrets/ndes01-winrm/5f1c9d1e0b2a4c3d8e7f6a5b4c3d2e1f"
ADMIN_PW = "Adm1n-Pa55word!x"
JOIN_PW = "J0in-Pa55word!y"
AZURE = {
    "resourceGroupName": "rg-ndes", "location": "westeurope", "vmSize": "Standard_D4s_v5",
    "image": {"publisher": "MicrosoftWindowsServer", "offer": "WindowsServer", "sku": "2025-datacenter-azure-edition",
              "version": "latest"},
    "subnetId": SUBNET, "managementCidr": "10.20.30.0/24", "adminUsername": "ndesadmin", "adminPassword": ADMIN_PW,
    "domainJoin": {"user": "CONTOSO\\join-ndes", "password": JOIN_PW, "ou": "OU=NDES,OU=Servers,DC=contoso,DC=com"},
    "keyVaultId": VAULT, "winrmCertificateUrl": CERT_URL,
}


def raw_with_azure(**azure_changes) -> dict:
    raw = sample()
    az = copy.deepcopy(AZURE)
    for k, v in azure_changes.items():
        if v is None:
            az.pop(k, None)
        else:
            az[k] = v
    raw["ndesHosts"][0]["azure"] = az
    return raw


def config_keys(raw) -> list[str]:
    with pytest.raises(ConfigError) as exc:
        load_config(raw)
    return exc.value.keys


# ---- the config block --------------------------------------------------------------------------------------

def test_azure_block_is_optional_and_parses():
    assert load_config(sample()).ndes_hosts[0].azure is None
    az = load_config(raw_with_azure(location="West Europe")).ndes_hosts[0].azure
    assert (az.vm_size, az.image.sku, az.location, az.public_ip) == (
        "Standard_D4s_v5", "2025-datacenter-azure-edition", "westeurope", False)
    assert az.domain_join.ou == "OU=NDES,OU=Servers,DC=contoso,DC=com"
    assert ADMIN_PW not in repr(az) and JOIN_PW not in repr(az)


@pytest.mark.parametrize("change,key", [
    ({"vmSize": "D4s_v5"}, "ndes:ndesHosts[0].azure.vmSize"),
    ({"managementCidr": "0.0.0.0/0"}, "ndes:ndesHosts[0].azure.managementCidr"),
    ({"managementCidr": "Internet"}, "ndes:ndesHosts[0].azure.managementCidr"),
    ({"managementCidr": "10.20.30.7/24"}, "ndes:ndesHosts[0].azure.managementCidr"),
    ({"subnetId": "snet-servers"}, "ndes:ndesHosts[0].azure.subnetId"),
    ({"adminUsername": "Administrator"}, "ndes:ndesHosts[0].azure.adminUsername"),
    ({"adminPassword": "alllowercase-but-long"}, "ndes:ndesHosts[0].azure.adminPassword"),
    ({"adminPassword": "Sh0rt!"}, "ndes:ndesHosts[0].azure.adminPassword"),
    ({"domainJoin": {"user": "join-ndes", "password": JOIN_PW}}, "ndes:ndesHosts[0].azure.domainJoin.user"),
    ({"domainJoin": {"user": "CONTOSO\\j", "password": JOIN_PW, "ou": "NDES"}},
     "ndes:ndesHosts[0].azure.domainJoin.ou"),
    ({"domainJoin": {"user": "CONTOSO\\j"}}, "ndes:ndesHosts[0].azure.domainJoin.password"),
    ({"keyVaultId": "kv-ndes"}, "ndes:ndesHosts[0].azure.keyVaultId"),
    ({"winrmCertificateUrl": "https://other-kv.vault.azure.net/secrets/c/1"},
     "ndes:ndesHosts[0].azure.winrmCertificateUrl"),
    ({"winrmCertificateUrl": "https://kv-ndes.vault.azure.net/certificates/ndes01-winrm"},
     "ndes:ndesHosts[0].azure.winrmCertificateUrl"),
    ({"winrmCertificateUrl": "http://kv-ndes.vault.azure.net/secrets/c/1"},
     "ndes:ndesHosts[0].azure.winrmCertificateUrl"),
    ({"subscriptionId": "prod"}, "ndes:ndesHosts[0].azure.subscriptionId"),
    ({"privateIpAddress": "20.1.2.3"}, "ndes:ndesHosts[0].azure.privateIpAddress"),
    ({"publicIp": "maybe"}, "ndes:ndesHosts[0].azure.publicIp"),
    ({"vmSzie": "Standard_D2s_v5"}, "ndes:ndesHosts[0].azure.vmSzie"),
    ({"location": None}, "ndes:ndesHosts[0].azure.location"),
])
def test_validation_names_the_key(change, key):
    assert key in config_keys(raw_with_azure(**change))


def test_password_errors_never_echo_the_password():
    with pytest.raises(ConfigError) as exc:
        load_config(raw_with_azure(adminPassword="ndesadmin-Pa55word"))
    assert "ndesadmin-Pa55word" not in str(exc.value) and "administrator name" in str(exc.value)


def test_host_name_must_be_what_the_domain_join_gives():
    raw = raw_with_azure()
    raw["ndesHosts"][0]["fqdn"] = "ndes01.corp.contoso.net"
    with pytest.raises(ConfigError) as exc:  # load_config runs it with the other cross-checks
        load_config(raw)
    assert exc.value.keys == ["ndes:ndesHosts[0].fqdn"]
    assert "set fqdn to ndes01.contoso.com" in str(exc.value)
    raw["ndesHosts"][0]["fqdn"] = "ndes-scep-server-01.contoso.com"
    raw["ndesHosts"][0]["externalUrl"] = "https://ndes-scep-server-01-contoso.msappproxy.net/"
    with pytest.raises(ConfigError) as exc:  # every NDES host's short name is a NetBIOS name (model rule)
        load_config(raw)
    assert exc.value.keys == ["ndes:ndesHosts[0].fqdn"] and "longer than 15 characters" in str(exc.value)


def test_dev_stack_example_switches_azure_on_for_ndes02_and_validates():
    doc = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())["config"]
    raw = {k.split(":", 1)[1]: copy.deepcopy(v) for k, v in doc.items()}
    # What `pulumi config set --secret --path ...` adds (the file holds no secrets):
    raw["domain"]["bindPassword"] = "x-Bind-Pa55"
    raw["serviceAccount"]["password"] = "x-Svc-Pa55"
    raw["ndesRole"]["installCredential"]["password"] = "x-Install-Pa55"
    raw["ca"]["winrm"]["password"] = "x-CA-WinRM-Pa55"
    hosts = raw["ndesHosts"]
    az = hosts[1]["azure"]
    assert "adminPassword" not in az and "password" not in az["domainJoin"]
    az["adminPassword"] = ADMIN_PW
    az["domainJoin"]["password"] = JOIN_PW
    cfg = load_config(raw)
    assert cfg.ndes_hosts[0].azure is None and cfg.ndes_hosts[1].azure is not None
    assert cfg.ndes_hosts[1].azure.public_ip is False
    assert azure_host_problems(cfg) == []


def test_lab_stack_does_not_use_it():
    doc = yaml.safe_load((ROOT / "Pulumi.lab.yaml").read_text())["config"]
    assert all("azure" not in h for h in doc["ndes:ndesHosts"])


# ---- the resource graph under Pulumi mocks -----------------------------------------------------------------

VAULT_READ = {"location": "westeurope", "properties": {"enabledForDeployment": True, "tenantId": SUB,
                                                        "sku": {"family": "A", "name": "standard"}}}


class Mocks(pulumi.runtime.Mocks):
    def __init__(self, vault: dict | None = None, stack_config: dict | None = None):
        self.resources: list[pulumi.runtime.MockResourceArgs] = []
        self.calls: list[pulumi.runtime.MockCallArgs] = []
        self.vault = VAULT_READ if vault is None else vault
        # the raw ndes: config the engine hands the provider's configure() (HostReady resolves its WinRM connection
        # from it): the test's own, else the Azure sample's (every test's host has the same WinRM settings)
        self.stack_config = stack_config if stack_config is not None else raw_with_azure()

    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        self.resources.append(args)
        if args.typ.endswith("ndes:HostReady"):  # as the engine would: the provider's create runs
            from ndes.providers.host_ready import HostReadyProvider
            import json

            from pulumi.dynamic import Config, ConfigureRequest
            p = HostReadyProvider()
            p.configure(ConfigureRequest(Config({f"ndes:{k}": json.dumps(v) for k, v in
                                                 (self.stack_config or {}).items()}, "ndes")))
            made = p.create(unwrap_all(dict(args.inputs)))
            return made.id, made.outs
        return f"{args.name}-id", dict(args.inputs)

    def call(self, args: pulumi.runtime.MockCallArgs):
        self.calls.append(args)
        if args.token == "azure-native:keyvault:getVault":
            return self.vault
        return {}

    def of_type(self, typ: str) -> list[pulumi.runtime.MockResourceArgs]:
        return [r for r in self.resources if r.typ == typ]

    def one(self, typ: str, *, raw: bool = False) -> dict:
        """The inputs of the one resource of a type, secrets unwrapped (raw=True keeps the secret markers)."""
        found = self.of_type(typ)
        assert len(found) == 1, f"{len(found)} resources of type {typ}"
        return found[0].inputs if raw else unwrap_all(found[0].inputs)


def build(raw: dict):
    """Register an AzureNdesHost for ndesHosts[0] under fresh mocks; returns (mocks, component)."""
    mocks = Mocks(stack_config=raw)
    pulumi.runtime.set_mocks(mocks, project="ndes", stack="unit", preview=False)
    from ndes.components.azure_host import AzureNdesHost
    host = AzureNdesHost("ndes01", load_config(raw), 0)
    return mocks, host


def settled(host) -> pulumi.Output:
    """Resolves once every resource of the component is registered (the join extension comes last)."""
    return pulumi.Output.all(host.vm_id, host.fqdn, host.winrm_url, host.private_ip, host.public_ip)


def unwrap_all(value):
    if is_rpc_secret(value):
        return unwrap_all(unwrap_rpc_secret(value))
    if isinstance(value, dict):
        return {k: unwrap_all(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unwrap_all(v) for v in value]
    return value


def secret_at(inputs: dict, *path: str) -> bool:
    """True when the value at `path` is secret: it, or an enclosing value, is marked secret (the SDK marks the
    whole top-level property secret when a secret Output sits inside a plain dict)."""
    node, secret = inputs, False
    for key in path:
        if is_rpc_secret(node):
            node, secret = unwrap_rpc_secret(node), True
        node = node[key]
    return secret or is_rpc_secret(node)


def strip_secrets(value):
    """The inputs with every secret replaced by a marker: what must never hold a password in clear."""
    if is_rpc_secret(value):
        return "<secret>"
    if isinstance(value, dict):
        return {k: strip_secrets(v) for k, v in value.items()}
    if isinstance(value, list):
        return [strip_secrets(v) for v in value]
    return value


@pulumi.runtime.test
def test_vm_size_image_and_names_come_from_config():
    mocks, host = build(raw_with_azure())

    def check(_):
        vm = mocks.one("azure-native:compute:VirtualMachine")
        assert vm["hardwareProfile"] == {"vmSize": "Standard_D4s_v5"}
        assert vm["storageProfile"]["imageReference"] == AZURE["image"]
        assert vm["osProfile"]["computerName"] == "ndes01" and vm["vmName"] == "ndes01"
        assert vm["osProfile"]["adminUsername"] == "ndesadmin"
        assert (vm["resourceGroupName"], vm["location"]) == ("rg-ndes", "westeurope")
        nic = mocks.one("azure-native:network:NetworkInterface")
        assert nic["ipConfigurations"][0]["subnet"] == {"id": SUBNET}
        assert nic["ipConfigurations"][0]["privateIPAllocationMethod"] == "Dynamic"
        assert vm["networkProfile"]["networkInterfaces"][0]["id"] == "ndes01-nic-id"
        assert nic["networkSecurityGroup"] == {"id": "ndes01-nsg-id"}
    return settled(host).apply(check)


@pulumi.runtime.test
def test_no_public_ip_unless_asked():
    mocks, host = build(raw_with_azure())

    def check(_):
        assert mocks.of_type("azure-native:network:PublicIPAddress") == []
        nic = mocks.one("azure-native:network:NetworkInterface")
        assert all("publicIPAddress" not in c for c in nic["ipConfigurations"])
    return settled(host).apply(check)


@pulumi.runtime.test
def test_public_ip_when_asked_is_attached_and_the_nsg_still_closes_the_internet():
    mocks, host = build(raw_with_azure(publicIp=True))

    def check(_):
        pip = mocks.one("azure-native:network:PublicIPAddress")
        assert pip["sku"] == {"name": "Standard"}
        nic = mocks.one("azure-native:network:NetworkInterface")
        assert nic["ipConfigurations"][0]["publicIPAddress"] == {"id": "ndes01-pip-id"}
        rules = mocks.one("azure-native:network:NetworkSecurityGroup")["securityRules"]
        assert any(r["sourceAddressPrefix"] == "Internet" and r["access"] == "Deny" for r in rules)
    return settled(host).apply(check)


def first_match(rules: list[dict], source: str, port: int) -> dict | None:
    """The rule Azure applies to inbound TCP from `source` (a prefix or service tag) to `port`: lowest priority
    number among the rules whose source and port match."""
    def matches(r):
        src_ok = r["sourceAddressPrefix"] in ("*", source)
        rng = r["destinationPortRange"]
        port_ok = rng == "*" or (rng.isdigit() and int(rng) == port)
        return r["direction"] == "Inbound" and src_ok and port_ok and r["protocol"] in ("*", "Tcp")
    hits = sorted((r for r in rules if matches(r)), key=lambda r: r["priority"])
    return hits[0] if hits else None


@pulumi.runtime.test
def test_nsg_denies_the_internet_and_opens_winrm_https_to_the_management_cidr_only():
    mocks, host = build(raw_with_azure())

    def check(_):
        rules = mocks.one("azure-native:network:NetworkSecurityGroup")["securityRules"]
        assert len({r["priority"] for r in rules}) == len(rules)
        internet = [r for r in rules if r["sourceAddressPrefix"] == "Internet"]
        assert [(r["access"], r["destinationPortRange"], r["protocol"]) for r in internet] == [("Deny", "*", "*")]
        allows = [r for r in rules if r["access"] == "Allow"]
        assert [(r["sourceAddressPrefix"], r["destinationPortRange"]) for r in allows] == [("10.20.30.0/24", "5986")]
        # First-match evaluation, as Azure does it:
        assert first_match(rules, "10.20.30.0/24", 5986)["access"] == "Allow"
        assert first_match(rules, "10.99.0.0/16", 5986)["access"] == "Deny"   # another VNet/on-prem range
        assert first_match(rules, "10.20.30.0/24", 5985)["access"] == "Deny"  # WinRM over HTTP: never
        for port in (443, 3389, 5986, 5985):
            assert first_match(rules, "Internet", port)["access"] == "Deny"
    return settled(host).apply(check)


@pulumi.runtime.test
def test_winrm_listener_is_https_only_with_the_key_vault_certificate():
    mocks, host = build(raw_with_azure())

    def check(_):
        os_profile = mocks.one("azure-native:compute:VirtualMachine")["osProfile"]
        listeners = os_profile["windowsConfiguration"]["winRM"]["listeners"]
        assert listeners == [{"protocol": "Https", "certificateUrl": CERT_URL}]
        assert os_profile["secrets"] == [{"sourceVault": {"id": VAULT},
                                          "vaultCertificates": [{"certificateUrl": CERT_URL,
                                                                 "certificateStore": "My"}]}]
    return settled(host).apply(check)


@pulumi.runtime.test
def test_domain_join_extension_and_secrets_stay_secret():
    mocks, host = build(raw_with_azure())

    def check(_):
        vm = mocks.one("azure-native:compute:VirtualMachine", raw=True)
        assert secret_at(vm, "osProfile", "adminPassword")
        assert unwrap_all(vm)["osProfile"]["adminPassword"] == ADMIN_PW
        assert not secret_at(vm, "hardwareProfile", "vmSize")  # only what must be secret is
        ext = mocks.one("azure-native:compute:VirtualMachineExtension", raw=True)
        assert (ext["publisher"], ext["type"], ext["vmName"]) == ("Microsoft.Compute", "JsonADDomainExtension", "ndes01")
        assert ext["settings"] == {"Name": "contoso.com", "OUPath": "OU=NDES,OU=Servers,DC=contoso,DC=com",
                                   "User": "CONTOSO\\join-ndes", "Restart": "true", "Options": "3"}
        assert secret_at(ext, "protectedSettings", "Password") and not secret_at(ext, "settings", "User")
        assert unwrap_all(ext["protectedSettings"]) == {"Password": JOIN_PW}
        for r in mocks.resources:
            clear = json.dumps(strip_secrets(r.inputs), default=str)
            assert ADMIN_PW not in clear and JOIN_PW not in clear, r.typ
    return settled(host).apply(check)


@pulumi.runtime.test
def test_hands_fqdn_and_winrm_url_to_ndes_host():
    mocks, host = build(raw_with_azure(privateIpAddress="10.1.2.10"))

    def check(values):
        fqdn, url, ip, pub, account = values
        assert (fqdn, url, account) == ("ndes01.contoso.com", "https://ndes01.contoso.com:5986/wsman", "NDES01$")
        assert ip == "10.1.2.10" and pub is None
        nic = mocks.one("azure-native:network:NetworkInterface")
        assert nic["ipConfigurations"][0]["privateIPAllocationMethod"] == "Static"
    return pulumi.Output.all(host.fqdn, host.winrm_url, host.private_ip, host.public_ip,
                             host.computer_account).apply(check)


@pulumi.runtime.test
def test_a_subscription_gets_its_own_provider():
    mocks, host = build(raw_with_azure(subscriptionId=SUB.upper()))

    def check(_):
        prov = mocks.one("pulumi:providers:azure-native")
        assert prov["subscriptionId"] == SUB
        vm = mocks.of_type("azure-native:compute:VirtualMachine")[0]
        assert "ndes01-azure" in vm.provider
    return settled(host).apply(check)


def test_component_refuses_a_host_the_join_would_rename():
    raw = raw_with_azure()
    raw["ndesHosts"][0]["fqdn"] = "ndes01.other.example"
    pulumi.runtime.set_mocks(Mocks(), project="ndes", stack="unit", preview=False)
    from ndes.components.azure_host import AzureNdesHost
    with pytest.raises(ConfigError) as exc:  # a config built without load_config's cross-checks
        AzureNdesHost("ndes01", DeploymentConfig.model_validate(raw), 0)
    assert exc.value.keys == ["ndes:ndesHosts[0].fqdn"]


def test_component_refuses_a_host_without_an_azure_block():
    pulumi.runtime.set_mocks(Mocks(), project="ndes", stack="unit", preview=False)
    from ndes.components.azure_host import AzureNdesHost
    with pytest.raises(ConfigError) as exc:
        AzureNdesHost("ndes01", load_config(sample()), 0)
    assert exc.value.keys == ["ndes:ndesHosts[0].azure"]


# ---- imports: only the submodules used ---------------------------------------------------------------------

LOADED_AZURE_SUBMODULES = (
    "import sys, types\n"
    "def loaded():\n"
    "    # The package root registers every submodule lazily; a loaded one has become a plain module.\n"
    "    return sorted(n.split('.')[1] for n, m in list(sys.modules.items()) if n.count('.') == 1\n"
    "                  and n.startswith('pulumi_azure_native.') and type(m) is types.ModuleType\n"
    "                  and not n.split('.')[1].startswith('_'))\n")


def test_imports_only_the_azure_native_submodules_it_uses():
    src = (ROOT / "ndes/components/azure_host.py").read_text()
    assert "import pulumi_azure_native\n" not in src and "from pulumi_azure_native import" not in src
    probe = LOADED_AZURE_SUBMODULES + (
        "import pulumi, ndes.components.azure_host\n"
        "print(loaded())\n"
        "from tests.unit.test_azure_host import build, raw_with_azure, SUB\n"
        "build(raw_with_azure(publicIp=True, subscriptionId=SUB))\n"
        "print(loaded())\n")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT)
    after_import, after_build = out.stdout.split("\n")[:2]
    assert after_import == str(["provider"])  # the package root's own provider module, nothing else yet
    assert after_build == str(["compute", "keyvault", "network", "provider"])  # keyvault: the preview-time vault read


# ---- Key Vault data plane ----------------------------------------------------------------------------------

class FakeToken:
    def __init__(self):
        self.scopes: list[str] = []

    def get_token(self, *scopes):
        self.scopes.extend(scopes)
        return type("Token", (), {"token": "tkn"})()


def vault_transport(status: int, body: dict, seen: list):
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(status, json=body)
    return httpx.MockTransport(handler)


def test_reads_a_secret_from_the_key_vault_data_plane():
    from ndes.components.azure_host import read_key_vault_secret
    seen: list[httpx.Request] = []
    cred = FakeToken()
    url = "https://kv-ndes.vault.azure.net/secrets/svc-ndes-password"
    value = read_key_vault_secret(url, cred, vault_transport(200, {"value": "Svc-Pa55!", "id": url}, seen))
    assert value == "Svc-Pa55!"
    assert cred.scopes == ["https://vault.azure.net/.default"]
    assert seen[0].url.params["api-version"] == "7.4" and seen[0].headers["Authorization"] == "Bearer tkn"
    assert seen[0].url.scheme == "https"


def test_key_vault_scope_follows_the_cloud():
    from ndes.components.azure_host import key_vault_scope
    assert key_vault_scope("https://kv.vault.usgovcloudapi.net/secrets/a") == "https://vault.usgovcloudapi.net/.default"
    assert key_vault_scope("https://kv.vault.azure.cn/secrets/a/1") == "https://vault.azure.cn/.default"


@pytest.mark.parametrize("status,body,kind,expect", [
    (403, {"error": {"code": "Forbidden", "message": "no access"}}, "KeyVaultAccessDenied", "HTTP 403 Forbidden"),
    (401, {"error": {"code": "Unauthorized"}}, "KeyVaultAccessDenied", "HTTP 401 Unauthorized"),
    (404, {"error": {"code": "SecretNotFound"}}, "KeyVaultNotFound", "HTTP 404 SecretNotFound"),
    (503, {}, "KeyVaultUnavailable", "HTTP 503"),
    (429, {"error": {"code": "Throttled"}}, "KeyVaultUnavailable", "HTTP 429 Throttled"),
    (200, {"id": "x"}, "KeyVaultError", "the answer holds no value"),
])
def test_key_vault_failures_are_typed_and_name_the_secret(status, body, kind, expect):
    import ndes.components.azure_host as mod
    url = "https://kv-ndes.vault.azure.net/secrets/svc-ndes-password/1"
    with pytest.raises(mod.KeyVaultError) as exc:
        mod.read_key_vault_secret(url, FakeToken(), vault_transport(status, body, []))
    assert type(exc.value) is getattr(mod, kind)
    assert str(exc.value) == f"failed to read secret 'svc-ndes-password/1' on kv-ndes.vault.azure.net: {expect}"


def test_key_vault_unreachable_and_no_token_are_told_apart():
    import ndes.components.azure_host as mod
    url = "https://kv-ndes.vault.azure.net/secrets/s"

    def refuse(request):
        raise httpx.ConnectError("connection refused", request=request)
    with pytest.raises(mod.KeyVaultUnavailable):
        mod.read_key_vault_secret(url, FakeToken(), httpx.MockTransport(refuse))

    class NoToken:
        def get_token(self, *scopes):
            raise RuntimeError("DefaultAzureCredential failed to retrieve a token")
    with pytest.raises(mod.KeyVaultAccessDenied) as exc:
        mod.read_key_vault_secret(url, NoToken(), vault_transport(200, {"value": "v"}, []))
    assert "https://vault.azure.net/.default" in str(exc.value)


def test_key_vault_refuses_a_non_secret_url():
    from ndes.components.azure_host import KeyVaultError, read_key_vault_secret
    for url in ("https://kv-ndes.vault.azure.net/keys/k", "http://kv-ndes.vault.azure.net/secrets/s",
                "https://example.com/secrets/s"):
        with pytest.raises(KeyVaultError):
            read_key_vault_secret(url, FakeToken(), vault_transport(200, {"value": "v"}, []))


@pulumi.runtime.test
def test_key_vault_secret_is_a_secret_output():
    mocks = Mocks()
    pulumi.runtime.set_mocks(mocks, project="ndes", stack="unit", preview=False)
    from ndes.components.azure_host import key_vault_secret
    out = key_vault_secret("https://kv.vault.azure.net/secrets/s", reader=lambda url: f"value-of-{url.rsplit('/', 1)[1]}")
    sink = pulumi.CustomResource("test:index:Sink", "sink", {"value": out})

    def check(_):
        value = mocks.one("test:index:Sink", raw=True)["value"]
        assert is_rpc_secret(value) and unwrap_rpc_secret(value) == "value-of-s"
    return sink.urn.apply(check)


# ---- wired into the whole chain ----------------------------------------------------------------------------

@pulumi.runtime.test
def test_deployment_builds_the_vm_first_and_the_ssl_template_waits_for_its_join():
    """NdesScepDeployment builds the Azure VM before the directory plane, grants the SSL template to the
    computer account the join creates, and reaches the host at the VM's WinRM URL."""
    mocks = Mocks()
    pulumi.runtime.set_mocks(mocks, project="ndes", stack="unit", preview=False)
    from ndes.components.deployment import NdesScepDeployment
    d = NdesScepDeployment("ndes", load_config(raw_with_azure()))
    assert "azure" in d.chain.resources and d.chain.outputs["azureHosts"]

    def check(_):
        types = [r.typ for r in mocks.resources]
        vm = types.index("azure-native:compute:VirtualMachine")
        tpl = [i for i, r in enumerate(mocks.resources) if r.typ.endswith("ndes:CertificateTemplate")
               and unwrap_all(r.inputs).get("kind") == "ssl"]
        assert tpl and vm < tpl[0]
        ssl = unwrap_all(mocks.resources[tpl[0]].inputs)
        assert ssl["enrollPrincipals"] == ["NDES01$"]
        hosts = [unwrap_all(r.inputs) for r in mocks.resources if r.typ.endswith("ndes:WindowsFeatures")]
        assert hosts and hosts[0]["connection"]["ref"] == "winrm:ndes01.contoso.com"
        assert hosts[0]["connection"]["url"] == "https://ndes01.contoso.com:5986/wsman"
    return pulumi.Output.all(*[r.urn for rs in d.chain.resources.values() for r in rs]).apply(check)


@pulumi.runtime.test
def test_a_stack_without_azure_hosts_builds_no_vm():
    mocks = Mocks()
    pulumi.runtime.set_mocks(mocks, project="ndes", stack="unit", preview=False)
    from ndes.components.deployment import NdesScepDeployment
    d = NdesScepDeployment("ndes", load_config(sample()))
    assert "azure" not in d.chain.resources

    def check(_):
        assert not [r for r in mocks.resources if r.typ.startswith("azure-native:")]
    return pulumi.Output.all(*[r.urn for rs in d.chain.resources.values() for r in rs]).apply(check)
