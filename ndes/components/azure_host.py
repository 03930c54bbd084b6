"""AzureNdesHost: the NDES server itself as an Azure VM, for a host whose config has an `azure` block.

    NSG (on the NIC)   allow 5986/tcp from azure.managementCidr only; deny 5985 (WinRM over HTTP) and 5986 from
                       anywhere else; deny everything from the Internet service tag (App Proxy connectors dial
                       out, so nothing on the internet ever needs to reach NDES)
    NIC                in azure.subnetId; no public IP unless azure.publicIp: true
    VM                 azure.vmSize, azure.image, azure.zone (hosts of one region default to different zones);
                       Trusted Launch, patch mode and boot diagnostics set explicitly; computer name = the short
                       name of the host's fqdn; WinRM with one HTTPS listener whose certificate Azure installs
                       from azure.keyVaultId (checked at preview: same region, enabledForDeployment)
    domain join        the JsonADDomainExtension (join password in protectedSettings, a secret), restart
    readiness          HostReady (ndes/providers/host_ready.py): waits until WinRM answers with the domain
                       identity in a boot that lasts (the join restarts the VM after it reports success)

Outputs for `NdesHost` (the Windows plane): `fqdn` and `winrm_url` (https://<fqdn>:5986/wsman), both from the
readiness step, so the Windows plane starts only once the joined VM answers. What Azure fixes at creation (the
WinRM listener, e.g. a renewed certificate's URL; the zone; the names; the image) rebuilds the VM, and the join
and the readiness step with it. `key_vault_secret()` reads a secret's value from Key Vault's data plane (for
the service account password): azure-native's `keyvault.get_secret` / `Secret.get` cannot, ARM never returns
secret values.

Imports: only `pulumi_azure_native.compute`, `.network` and `.keyvault` (and `.provider` with a subscriptionId);
never the whole package (scripts/bench_imports.py measures why).
"""
from __future__ import annotations

from typing import Any, Callable, Protocol
from urllib.parse import urlsplit

import pulumi
import pulumi_azure_native.compute as compute
import pulumi_azure_native.network as network

from ..model.azure import (WINRM_HTTP_PORT, WINRM_HTTPS_PORT, AzureHostConfig, azure_host_problems, vault_name,
                           vault_resource_group, vm_zones)
from ..model.config import DeploymentConfig, NdesHostConfig
from ..model.errors import ConfigError, Problem
from ..model.urls import winrm_url
from . import connection

DOMAIN_JOIN_EXTENSION = {"publisher": "Microsoft.Compute", "type": "JsonADDomainExtension",
                         "type_handler_version": "1.3"}
NETSETUP_JOIN_DOMAIN_AND_CREATE_ACCOUNT = 3  # NETSETUP_JOIN_DOMAIN (1) | NETSETUP_ACCT_CREATE (2)
INTERNET_DENY_PRIORITY = 200
"""Low number on purpose: a rule someone adds later (300 and up) cannot open the VM to the internet."""


def security_rules(management_cidr: str) -> list[network.SecurityRuleArgs]:
    """The NSG's inbound rules, first match wins (lower priority number first).

    Azure's default rules stay below them: AllowVnetInBound lets the App Proxy connectors (in the VNet or on
    premises over the site-to-site link) reach 443 and the domain controllers talk to the VM; they are not
    widened here.
    """
    def rule(name: str, priority: int, access: str, protocol: str, source: str, port: str,
             why: str) -> network.SecurityRuleArgs:
        return network.SecurityRuleArgs(
            name=name, priority=priority, direction="Inbound", access=access, protocol=protocol,
            source_address_prefix=source, source_port_range="*", destination_address_prefix="*",
            destination_port_range=port, description=why)

    return [
        rule("allow-winrm-https-management", 100, "Allow", "Tcp", management_cidr, str(WINRM_HTTPS_PORT),
             "WinRM over HTTPS from the management network only (Pulumi's Windows plane)"),
        rule("deny-winrm-https-elsewhere", 110, "Deny", "Tcp", "*", str(WINRM_HTTPS_PORT),
             "WinRM from anywhere but the management network"),
        rule("deny-winrm-http", 120, "Deny", "Tcp", "*", str(WINRM_HTTP_PORT),
             "WinRM over HTTP: credentials must not cross the network in clear"),
        rule("deny-internet-inbound", INTERNET_DENY_PRIORITY, "Deny", "*", "Internet", "*",
             "NDES is published by App Proxy, whose connectors dial out: nothing comes in from the internet"),
    ]


class AzureNdesHost(pulumi.ComponentResource):
    """One NDES host as an Azure VM. Create it only for a host with `azure` set (`cfg.ndes_hosts[index].azure`).

    Raises ConfigError (naming `ndesHosts[<index>]...`) when the host cannot be an Azure VM as configured.
    """

    fqdn: pulumi.Output[str]
    """The host's FQDN (= its config `fqdn`), resolved once the readiness step saw the joined host: hand it to
    NdesHost."""
    winrm_url: pulumi.Output[str]
    """https://<fqdn>:5986/wsman, resolved once the readiness step saw the joined host: hand it to NdesHost."""
    computer_account: pulumi.Output[str]
    """NDES02$: the computer account the join creates, resolved after the join's restart. The SSL template's Read + Enroll
    ACE for this host must wait for it (the account does not exist before), so the Directory plane should take
    its principal from here for an Azure host."""
    private_ip: pulumi.Output[str]
    public_ip: pulumi.Output[str | None]
    vm_id: pulumi.Output[str]

    def __init__(self, name: str, cfg: DeploymentConfig, index: int, opts: pulumi.ResourceOptions | None = None,
                 secrets: dict[str, Any] | None = None):
        host: NdesHostConfig = cfg.ndes_hosts[index]
        az: AzureHostConfig | None = host.azure
        if az is None:
            raise ConfigError([Problem(f"ndesHosts[{index}].azure", "is not set: this host is not an Azure VM")])
        problems = [p for p in azure_host_problems(cfg) if p.key.startswith(f"ndesHosts[{index}].")]
        if problems:  # before anything is registered
            raise ConfigError(problems)
        super().__init__("ndes:azure:AzureNdesHost", name, None, opts)

        provider = self._azure_provider(name, az)
        child = pulumi.ResourceOptions(parent=self, provider=provider)
        short = host.short_name
        vm_name = az.vm_name or short
        tags = {"managed-by": "pulumi-ndes", "ndes-host": host.fqdn, **az.tags}
        where = {"resource_group_name": az.resource_group_name, "location": az.location}

        self.nsg = network.NetworkSecurityGroup(
            f"{name}-nsg", network_security_group_name=f"{vm_name}-nsg", security_rules=security_rules(
                az.management_cidr), tags=tags, **where, opts=child)

        self.public_ip_address = None
        if az.public_ip:
            self.public_ip_address = network.PublicIPAddress(
                f"{name}-pip", public_ip_address_name=f"{vm_name}-pip", sku=network.PublicIPAddressSkuArgs(name="Standard"),
                public_ip_allocation_method="Static", tags=tags, **where, opts=child)

        ip_config = network.NetworkInterfaceIPConfigurationArgs(
            name="ipconfig1", primary=True, subnet={"id": az.subnet_id},  # a reference: SubnetArgs would add its defaults
            private_ip_allocation_method="Static" if az.private_ip_address else "Dynamic",
            private_ip_address=az.private_ip_address,
            public_ip_address=(None if self.public_ip_address is None
                               else network.PublicIPAddressArgs(id=self.public_ip_address.id)))
        self.nic = network.NetworkInterface(
            f"{name}-nic", network_interface_name=f"{vm_name}-nic", ip_configurations=[ip_config],
            network_security_group=network.NetworkSecurityGroupArgs(id=self.nsg.id), tags=tags, **where, opts=child)

        cert_url = az.winrm_certificate_url
        zone = vm_zones(cfg)[index]
        vault_id = self._checked_vault(az, index, provider)
        # What Azure fixes at creation: a change of any of these rebuilds the VM (the WinRM listener, e.g. a
        # renewed certificate's URL: "Changing property 'windowsConfiguration.winRM.listeners' is not allowed").
        # The join and the readiness step run again for the new VM.
        rebuild_key = vm_rebuild_key(vm_name, short, az, zone)
        patch = az.patch_mode
        self.vm = compute.VirtualMachine(
            f"{name}-vm", vm_name=vm_name, tags=tags, **where,
            zones=[zone] if zone else None,
            hardware_profile=compute.HardwareProfileArgs(vm_size=az.vm_size),
            storage_profile=compute.StorageProfileArgs(
                image_reference=compute.ImageReferenceArgs(**az.image.model_dump()),
                os_disk=compute.OSDiskArgs(create_option="FromImage", delete_option="Delete",
                                           managed_disk=compute.ManagedDiskParametersArgs(
                                               storage_account_type=az.os_disk_type))),
            security_profile=compute.SecurityProfileArgs(
                security_type=compute.SecurityTypes.TRUSTED_LAUNCH,
                uefi_settings=compute.UefiSettingsArgs(secure_boot_enabled=True, v_tpm_enabled=True),
            ) if az.trusted_launch else None,
            diagnostics_profile=compute.DiagnosticsProfileArgs(boot_diagnostics=compute.BootDiagnosticsArgs(
                enabled=az.boot_diagnostics)),  # no storageUri: managed storage
            os_profile=compute.OSProfileArgs(
                computer_name=short,
                admin_username=az.admin_username,
                admin_password=pulumi.Output.secret(az.admin_password.get_secret_value()),
                windows_configuration=compute.WindowsConfigurationArgs(
                    provision_vm_agent=True,
                    # Manual needs it off, the automatic modes on (PatchSettings API reference)
                    enable_automatic_updates=patch != "Manual",
                    patch_settings=compute.PatchSettingsArgs(
                        patch_mode=patch, enable_hotpatching=az.hotpatching,
                        assessment_mode="AutomaticByPlatform" if patch == "AutomaticByPlatform" else "ImageDefault"),
                    # HTTPS only: no Http listener is declared, and the NSG drops 5985 anyway.
                    win_rm=compute.WinRMConfigurationArgs(listeners=[compute.WinRMListenerArgs(
                        protocol=compute.ProtocolTypes.HTTPS, certificate_url=cert_url)])),
                secrets=[compute.VaultSecretGroupArgs(
                    source_vault=compute.SubResourceArgs(id=vault_id),
                    vault_certificates=[compute.VaultCertificateArgs(certificate_url=cert_url,
                                                                     certificate_store="My")])]),
            network_profile=compute.NetworkProfileArgs(network_interfaces=[
                compute.NetworkInterfaceReferenceArgs(id=self.nic.id, primary=True)]),
            opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(
                # The admin password is set once, at creation (osProfile is fixed then): rotating it in config
                # must not replace the NDES server. Rotate it on the VM (e.g. the VMAccess extension).
                ignore_changes=["osProfile.adminPassword"],
                # the rebuild key's parts (vmName is the resource's name: a new one is a new VM anyway)
                replace_on_changes=["osProfile.windowsConfiguration.winRM", "osProfile.secrets", "zones",
                                    "osProfile.computerName", "osProfile.adminUsername",
                                    "storageProfile.imageReference"],
                delete_before_replace=True,  # fixed names: the new VM cannot exist beside the old one
                # the VM is where NDES lives: ndes:protect guards it as it guards the NDES role, so a rebuild
                # stops before the old VM is deleted, not after, at the role's replacement
                protect=cfg.protect)))

        join = az.domain_join
        self.domain_join = compute.VirtualMachineExtension(
            f"{name}-domain-join", vm_name=vm_name, vm_extension_name="JoinDomain", **where,
            **DOMAIN_JOIN_EXTENSION, auto_upgrade_minor_version=True,
            settings={"Name": cfg.domain.dns_name, "OUPath": join.ou or "", "User": join.user,
                      "Restart": "true" if join.restart else "false",
                      "Options": str(NETSETUP_JOIN_DOMAIN_AND_CREATE_ACCOUNT)},
            protected_settings=pulumi.Output.secret({"Password": join.password.get_secret_value()}),
            tags=tags, opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(
                depends_on=[self.vm], replacement_trigger=rebuild_key)))

        # The join restarts the VM after the extension reports success: the readiness step waits until WinRM
        # answers with the domain identity in a boot that lasts, and the outputs come from it.
        from ..providers.resources import HostReady
        key = f"ndes:ndesHosts[{index}]"
        url = winrm_url(host.fqdn)
        r = az.readiness
        self.ready = HostReady(f"{name}-ready", {
            **connection.windows(cfg, host.fqdn, host.winrm, key, secrets or {}, url),
            "owner": f"{pulumi.get_project()}/{pulumi.get_stack()}/{name}-ready", "configKey": f"{key}.azure",
            "fqdn": host.fqdn, "domain": cfg.domain.dns_name, "vmInstance": rebuild_key,
            "timeoutSeconds": r.timeout_seconds, "pollSeconds": r.poll_seconds, "stableReads": r.stable_reads,
        }, pulumi.ResourceOptions(parent=self, depends_on=[self.domain_join]))

        self.rebuild_key = rebuild_key
        """Changes exactly when the VM is rebuilt: the Windows plane's resources on this host take it as their
        replacement trigger (`rebuilt_with`), so a new VM is configured again in the same `pulumi up`."""
        self.fqdn = self.ready.fqdn
        self.winrm_url = self.ready.winrmUrl
        self.computer_account = self.ready.fqdn.apply(lambda _: host.computer_account)
        self.zone = zone
        self.private_ip = self.nic.ip_configurations.apply(_first_private_ip)
        self.public_ip = (self.public_ip_address.ip_address if self.public_ip_address is not None
                          else pulumi.Output.from_input(None))
        self.vm_id = self.vm.id
        self.register_outputs({"fqdn": self.fqdn, "winrmUrl": self.winrm_url,
                               "computerAccount": self.computer_account, "privateIp": self.private_ip,
                               "publicIp": self.public_ip, "vmId": self.vm_id, "zone": zone})

    def _checked_vault(self, az: AzureHostConfig, index: int,
                       provider: pulumi.ProviderResource | None) -> pulumi.Output[str]:
        """keyVaultId, once the vault itself (an ARM read at preview) says the VM can use it: same region,
        enabledForDeployment. Otherwise a ConfigError naming ndesHosts[i].azure.keyVaultId, before the VM."""
        import pulumi_azure_native.keyvault as keyvault
        vault = keyvault.get_vault_output(resource_group_name=vault_resource_group(az.key_vault_id),
                                          vault_name=vault_name(az.key_vault_id),
                                          opts=pulumi.InvokeOutputOptions(parent=self, provider=provider))
        return vault.apply(lambda v: _vault_usable(v, az, index))

    def _azure_provider(self, name: str, az: AzureHostConfig) -> pulumi.ProviderResource | None:
        """An explicit azure-native provider when the host names its subscription; the default one otherwise."""
        if az.subscription_id is None:
            return None
        from pulumi_azure_native.provider import Provider  # loaded with the package root already: no extra cost
        return Provider(f"{name}-azure", subscription_id=az.subscription_id, location=az.location,
                        opts=pulumi.ResourceOptions(parent=self))


def rebuilt_with(rebuild_key: str):
    """A transformation for the Windows plane's component of an Azure host: each of its resources is replaced
    when the VM is rebuilt (`replacement_trigger`), so the new VM gets features, NDES, certificates and binding
    in the same `pulumi up`. The old resources' deletes then meet the new VM, where nothing carries their
    generation: they keep what the replacements made (ndes/providers/generation.py)."""
    def transform(args: pulumi.ResourceTransformationArgs) -> pulumi.ResourceTransformationResult | None:
        if not isinstance(args.resource, pulumi.CustomResource):
            return None
        return pulumi.ResourceTransformationResult(args.props, pulumi.ResourceOptions.merge(
            args.opts, pulumi.ResourceOptions(replacement_trigger=rebuild_key)))
    return transform


def vm_rebuild_key(vm_name: str, computer_name: str, az: AzureHostConfig, zone: str | None) -> str:
    """What Azure fixes at creation, in one string: the join extension and the readiness step are replaced when
    it changes (the VM itself through replaceOnChanges and the provider's own replacements), and so are the
    Windows plane's resources of the host (`rebuilt_with`). Its format is a contract with existing stacks: a
    different string for the same VM would replace all of them."""
    return "|".join([vm_name, computer_name, az.winrm_certificate_url, zone or "", az.admin_username,
                     *az.image.model_dump().values()])


def _vault_usable(vault: Any, az: AzureHostConfig, index: int) -> str:
    """The vault's ARM id when the VM can take its certificate from it; ConfigError otherwise.

    Learn, "Set up Key Vault for virtual machines": "The Key Vault needs to be created in the same subscription
    and location as the Virtual Machine", and enabledForDeployment lets the compute platform fetch it."""
    key = f"ndesHosts[{index}].azure.keyVaultId"
    where = str(getattr(vault, "location", None) or "").replace(" ", "").lower()
    problems = []
    if where and where != az.location:
        problems.append(Problem(key, f"the Key Vault is in {where}, the VM in {az.location} (location): Azure "
                                "installs the WinRM certificate only from a vault in the VM's region",
                                f"use a vault in {az.location} (import the certificate there) and point keyVaultId "
                                "and winrmCertificateUrl at it"))
    props = getattr(vault, "properties", None)
    if props is not None and getattr(props, "enabled_for_deployment", None) is False:
        problems.append(Problem(key, "the Key Vault has enabledForDeployment off: Azure cannot fetch the WinRM "
                                "certificate for the VM", "az keyvault update --enabled-for-deployment true"))
    if problems:
        raise ConfigError(problems)
    return az.key_vault_id


def _first_private_ip(configs: Any) -> str | None:
    for c in configs or []:
        ip = c.get("private_ip_address") if isinstance(c, dict) else getattr(c, "private_ip_address", None)
        if ip:
            return ip
    return None


# ---- Key Vault data plane: the value of a secret (ARM, hence azure-native, never returns one) ----------------

KEY_VAULT_API_VERSION = "7.4"


class _TokenCredential(Protocol):
    def get_token(self, *scopes: str) -> Any: ...


class KeyVaultError(RuntimeError):
    """Reading a Key Vault secret failed: "failed to read secret '<name>' on <vault host>: <cause>".
    Never holds the value."""


class KeyVaultNotFound(KeyVaultError):
    """The vault answered: no such secret (or version). HTTP 404."""


class KeyVaultAccessDenied(KeyVaultError):
    """No token, or the identity may not read the secret (401/403: an access policy or RBAC role is missing)."""


class KeyVaultUnavailable(KeyVaultError):
    """The vault could not be reached or answered with a transient failure (network, TLS, 429, 5xx)."""


def _split_secret_url(secret_url: str) -> tuple[str, str]:
    """(vault host, 'name' or 'name/version') of a secret URL; KeyVaultError when it is not one."""
    parts = urlsplit(secret_url)
    segments = [s for s in parts.path.split("/") if s]
    host = (parts.hostname or "").lower()
    if parts.scheme != "https" or len(segments) not in (2, 3) or segments[0] != "secrets" or ".vault." not in host:
        raise KeyVaultError(f"failed to read secret '{secret_url}': not a Key Vault secret URL "
                            "(https://<vault>.vault.azure.net/secrets/<name>[/<version>])")
    return host, "/".join(segments[1:])


def key_vault_scope(secret_url: str) -> str:
    """The token scope for a vault URL: https://vault.azure.net/.default for <vault>.vault.azure.net, the same
    pattern in the national clouds (vault.usgovcloudapi.net, vault.azure.cn)."""
    host, _ = _split_secret_url(secret_url)
    return f"https://{host.split('.', 1)[1]}/.default"


def read_key_vault_secret(secret_url: str, credential: _TokenCredential | None = None,
                          transport: Any = None, timeout: float = 30.0) -> str:
    """GET <secret_url>?api-version=7.4 with a bearer token; returns the secret's value.

    `credential` is an azure-identity credential (DefaultAzureCredential when None: az login, managed identity,
    workload identity in a pipeline). `transport` is an httpx transport (tests pass a double). TLS is verified.
    Raises KeyVaultNotFound / KeyVaultAccessDenied / KeyVaultUnavailable (all KeyVaultError).
    """
    import httpx

    host, name = _split_secret_url(secret_url)
    scope = key_vault_scope(secret_url)

    def fail(kind: type[KeyVaultError], cause: str) -> KeyVaultError:
        return kind(f"failed to read secret '{name}' on {host}: {cause}")

    if credential is None:
        from azure.identity import DefaultAzureCredential
        credential = DefaultAzureCredential()
    try:
        token = credential.get_token(scope).token
    except Exception as exc:  # azure-identity raises several types; their messages name no secret value
        raise fail(KeyVaultAccessDenied, f"no Azure token for {scope} ({type(exc).__name__})") from exc
    try:
        with httpx.Client(transport=transport, timeout=timeout) as client:
            resp = client.get(secret_url, params={"api-version": KEY_VAULT_API_VERSION},
                              headers={"Authorization": f"Bearer {token}"})
    except httpx.HTTPError as exc:
        raise fail(KeyVaultUnavailable, f"{type(exc).__name__}: {exc}") from exc
    if resp.status_code != 200:
        cause = f"HTTP {resp.status_code} {_error_code(resp)}".rstrip()
        kind = {404: KeyVaultNotFound, 401: KeyVaultAccessDenied, 403: KeyVaultAccessDenied}.get(
            resp.status_code, KeyVaultUnavailable if resp.status_code == 429 or resp.status_code >= 500
            else KeyVaultError)
        raise fail(kind, cause)
    try:
        value = resp.json().get("value")
    except ValueError:
        value = None
    if not isinstance(value, str):
        raise fail(KeyVaultError, "the answer holds no value")
    return value


def _error_code(resp: Any) -> str:
    try:
        return str(resp.json().get("error", {}).get("code", ""))
    except (ValueError, AttributeError):
        return ""


def key_vault_secret(secret_url: pulumi.Input[str],
                     reader: Callable[[str], str] = read_key_vault_secret) -> pulumi.Output[str]:
    """A secret Output with the value of a Key Vault secret, read when the program runs (preview included).

    Use it for the service account password (`NdesScepDeployment(..., secrets={"serviceAccount.password":
    key_vault_secret(url)})`) or anywhere a secret Output is expected.
    """
    return pulumi.Output.secret(pulumi.Output.from_input(secret_url).apply(reader))
