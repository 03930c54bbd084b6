"""The optional `azure` block of an NDES host: provision the NDES server itself as an Azure VM.

`ndes:ndesHosts[i].azure` switches on `AzureNdesHost` (ndes/components/azure_host.py) for that host: a Windows
Server VM with its NIC and NSG in an existing subnet, joined to the domain by the JsonADDomainExtension, with a
WinRM HTTPS listener whose certificate comes from Key Vault. Everything Azure would refuse minutes into a
deployment (names, sizes, passwords, ids) is refused here, at preview, with the config key named.

Pure data and validation: no I/O, no Pulumi. Secrets (`adminPassword`, `domainJoin.password`) are SecretStr.
"""
from __future__ import annotations

import ipaddress
import re
from typing import TYPE_CHECKING, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationInfo, field_validator
from pydantic.alias_generators import to_camel

from .errors import Problem
from .urls import WINRM_HTTPS_PORT

if TYPE_CHECKING:  # config.py imports this module: no runtime import back
    from .config import DeploymentConfig

WINRM_HTTP_PORT = 5985
_GUID = r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}"
_SUBNET_ID = re.compile(rf"^/subscriptions/{_GUID}/resourceGroups/[^/]+/providers/Microsoft\.Network/"
                        r"virtualNetworks/[^/]+/subnets/[^/]+$", re.IGNORECASE)
_VAULT_ID = re.compile(rf"^/subscriptions/{_GUID}/resourceGroups/[^/]+/providers/Microsoft\.KeyVault/"
                       r"vaults/(?P<name>[A-Za-z0-9-]{3,24})$", re.IGNORECASE)
_VAULT_HOST = re.compile(r"^(?P<name>[a-z0-9-]{3,24})\.vault\.(?:azure\.net|azure\.cn|usgovcloudapi\.net|"
                         r"microsoftazure\.de)$")
_VM_SIZE = re.compile(r"^(?:Standard|Basic)_[A-Za-z0-9_-]+$")
_RG_NAME = re.compile(r"^[-\w._()]{1,90}(?<!\.)$")
_COMPUTER_NAME = re.compile(r"^(?!-)[A-Za-z0-9-]{1,15}$")
# Names Azure refuses for a Windows VM's administrator (documented list, compared case-insensitively).
RESERVED_ADMIN_NAMES = frozenset("""administrator admin user user1 test user2 test1 user3 admin1 1 123 a actuser
    adm admin2 aspnet backup console david guest john owner root server sql support support_388945a0 sys test2
    test3 user4 user5""".split())


class _Model(BaseModel):
    # Same settings as config._Model (camelCase keys, unknown keys refused, frozen); config.py imports this module.
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True)


class AzureImage(_Model):
    """A Marketplace image reference; Windows Server 2022 Datacenter Azure Edition by default."""
    publisher: str = "MicrosoftWindowsServer"
    offer: str = "WindowsServer"
    sku: str = "2022-datacenter-azure-edition"
    version: str = "latest"

    @field_validator("publisher", "offer", "sku", "version")
    @classmethod
    def _token(cls, v: str) -> str:
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}", v):
            raise ValueError(f"'{v}' is not an image publisher/offer/sku/version (letters, digits, '.', '-', '_')")
        return v


class AzureDomainJoin(_Model):
    """What the JsonADDomainExtension needs to join the VM to `ndes:domain.dnsName`."""
    user: str
    """The joining account, as CONTOSO\\join-ndes or join-ndes@contoso.com."""
    password: SecretStr = Field(repr=False)
    ou: str | None = None
    """DN of the OU for the computer account (e.g. OU=NDES,OU=Servers,DC=contoso,DC=com); the default
    Computers container when unset."""
    restart: bool = True
    """Restart after the join (the join only takes effect after a restart): must stay true, the Windows plane
    needs the joined host."""

    @field_validator("restart")
    @classmethod
    def _restart(cls, v: bool) -> bool:
        if not v:
            raise ValueError("restart must be true: the join takes effect only after the restart, and the Windows "
                             "plane logs on with a domain account (remove the key or set it to true)")
        return v

    @field_validator("user")
    @classmethod
    def _user(cls, v: str) -> str:
        if v != v.strip() or not re.fullmatch(r"[^\\@\s]+\\[^\\@]+|[^\\@\s]+@[^\\@\s]+\.[^\\@\s]+", v):
            raise ValueError(f"'{v}' is not a domain account: write it as CONTOSO\\user or user@contoso.com")
        return v

    @field_validator("ou")
    @classmethod
    def _ou(cls, v: str | None) -> str | None:
        if v is not None and not re.fullmatch(r"(?i)(OU|CN)=[^,]+(,(OU|CN|DC)=[^,]+)*,DC=[^,]+", v.strip()):
            raise ValueError(f"'{v}' is not an OU distinguished name (e.g. OU=NDES,OU=Servers,DC=contoso,DC=com)")
        return None if v is None else v.strip()


class AzureReadiness(_Model):
    """`azure.readiness`: how long the readiness step waits for the joined VM (ndes/providers/host_ready.py)."""
    timeout_seconds: int = Field(default=1800, ge=60, le=7200)
    poll_seconds: float = Field(default=15.0, ge=1, le=300)
    stable_reads: int = Field(default=2, ge=1, le=10)
    """Answers with the domain identity needed in a row, in one boot, before the host is handed over."""


class AzureHostConfig(_Model):
    """`ndes:ndesHosts[i].azure`: the NDES server as an Azure VM (see docs/azure-ndes-host.md)."""
    subscription_id: str | None = None
    """The subscription of the VM; the azure-native provider's (azure-native:subscriptionId /
    ARM_SUBSCRIPTION_ID) when unset."""
    resource_group_name: str
    """An existing resource group: the component creates the VM, NIC, NSG (and public IP) in it."""
    location: str
    """Azure region, e.g. westeurope."""
    vm_name: str | None = None
    """The Azure resource name of the VM; the host's short name by default. The Windows computer name is
    always the short name of `fqdn` (15 characters at most)."""
    vm_size: str = "Standard_D2s_v5"
    image: AzureImage = AzureImage()
    os_disk_type: str = "Premium_LRS"
    """Premium_LRS, StandardSSD_LRS or Standard_LRS (Premium SSD v2 and Ultra Disks cannot be OS disks)."""
    zone: Literal["1", "2", "3", "none"] | None = None
    """The availability zone of the VM (fixed at creation: a change rebuilds the VM). Unset: the Azure hosts of
    one region are spread over zones 1, 2, 3 in the order of ndesHosts; "none" for a region without zones."""
    trusted_launch: bool = True
    """securityType TrustedLaunch with Secure Boot and vTPM (the default image is Generation 2); false leaves
    the security type to the platform."""
    patch_mode: Literal["AutomaticByPlatform", "AutomaticByOS", "Manual"] = "AutomaticByPlatform"
    """Windows patching: AutomaticByPlatform (Azure orchestrates, availability-first: not two zones at once),
    AutomaticByOS (Windows Update's own schedule), Manual. Fixed at creation in practice: enableAutomaticUpdates
    follows it and Azure refuses to change that on an existing VM."""
    hotpatching: bool = False
    """enableHotpatching: only with patchMode AutomaticByPlatform and an Azure Edition image."""
    boot_diagnostics: bool = True
    """Boot diagnostics with managed storage (serial console and screenshots when a join or WinRM never comes
    up)."""
    readiness: AzureReadiness = AzureReadiness()
    subnet_id: str
    """ARM id of the existing subnet (one the App Proxy connectors and the domain controllers reach)."""
    private_ip_address: str | None = None
    """A static private address in that subnet; dynamic when unset."""
    management_cidr: str
    """The only source allowed to reach WinRM over HTTPS (5986), e.g. the deployment agents' subnet."""
    admin_username: str
    admin_password: SecretStr = Field(repr=False)
    domain_join: AzureDomainJoin
    key_vault_id: str
    """ARM id of the Key Vault holding the WinRM certificate (enabledForDeployment must be true)."""
    winrm_certificate_url: str
    """The certificate's secret URL with its version: https://<vault>.vault.azure.net/secrets/<name>/<version>.
    Its subject or SAN must be the host's FQDN (WinRM clients verify it)."""
    public_ip: bool = False
    """Attach a public IP. Off by default: App Proxy connectors dial out, nothing needs to reach NDES from the
    internet. Even with it, the NSG only lets the management CIDR in (to 5986)."""
    tags: dict[str, str] = {}

    @field_validator("subscription_id")
    @classmethod
    def _subscription(cls, v: str | None) -> str | None:
        if v is not None and not re.fullmatch(_GUID, v):
            raise ValueError(f"'{v}' is not a subscription id (a GUID)")
        return None if v is None else v.lower()

    @field_validator("resource_group_name")
    @classmethod
    def _rg(cls, v: str) -> str:
        if not _RG_NAME.fullmatch(v):
            raise ValueError(f"'{v}' is not a resource group name (1-90 letters, digits, '-', '_', '.', '(' or ')', "
                             "not ending in '.')")
        return v

    @field_validator("location")
    @classmethod
    def _location(cls, v: str) -> str:
        loc = v.replace(" ", "").lower()
        if not re.fullmatch(r"[a-z]+[a-z0-9]*", loc):
            raise ValueError(f"'{v}' is not an Azure region name (e.g. westeurope)")
        return loc

    @field_validator("vm_name")
    @classmethod
    def _vm_name(cls, v: str | None) -> str | None:
        if v is not None and not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,62}(?<![.-])", v):
            raise ValueError(f"'{v}' is not a VM name (1-64 letters, digits, '-', '_', '.', not ending in '.' or '-')")
        return v

    @field_validator("vm_size")
    @classmethod
    def _vm_size(cls, v: str) -> str:
        if not _VM_SIZE.fullmatch(v):
            raise ValueError(f"'{v}' is not an Azure VM size (e.g. Standard_D2s_v5)")
        return v

    @field_validator("os_disk_type")
    @classmethod
    def _os_disk(cls, v: str) -> str:
        if v in NOT_OS_DISKS:
            raise ValueError(f"Azure cannot use {v} as an OS disk ({NOT_OS_DISKS[v]}): set osDiskType to "
                             f"{', '.join(OS_DISK_TYPES)}")
        if v not in OS_DISK_TYPES:
            raise ValueError(f"'{v}' is not an OS disk type: use one of {', '.join(OS_DISK_TYPES)}")
        return v

    @field_validator("subnet_id")
    @classmethod
    def _subnet(cls, v: str, info: ValidationInfo) -> str:
        if not _SUBNET_ID.fullmatch(v):
            raise ValueError("subnetId must be a subnet's ARM id: /subscriptions/<guid>/resourceGroups/<rg>/providers/"
                             "Microsoft.Network/virtualNetworks/<vnet>/subnets/<subnet>")
        sub = info.data.get("subscription_id")
        if sub and subscription_of(v) != sub:
            raise ValueError(f"the subnet is in subscription {subscription_of(v)}, the VM in {sub} (subscriptionId): "
                             "a NIC must be in its virtual network's subscription; use a subnet of that subscription")
        return v

    @field_validator("hotpatching")
    @classmethod
    def _hotpatch(cls, v: bool, info: ValidationInfo) -> bool:
        if v and info.data.get("patch_mode") != "AutomaticByPlatform":
            raise ValueError("hotpatching needs patchMode AutomaticByPlatform: set patchMode to AutomaticByPlatform "
                             "or hotpatching to false")
        return v

    @field_validator("private_ip_address")
    @classmethod
    def _private_ip(cls, v: str | None) -> str | None:
        if v is None:
            return None
        try:
            ip = ipaddress.ip_address(v)
        except ValueError:
            raise ValueError(f"'{v}' is not an IP address") from None
        if not ip.is_private:
            raise ValueError(f"'{v}' is not a private address")
        return str(ip)

    @field_validator("management_cidr")
    @classmethod
    def _management(cls, v: str) -> str:
        return normalize_management_cidr(v)

    @field_validator("admin_username")
    @classmethod
    def _admin(cls, v: str) -> str:
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,19}", v) or v.endswith("."):
            raise ValueError(f"'{v}' is not a Windows administrator name Azure accepts (1-20 letters, digits, "
                             "'.', '-', '_', not ending in '.')")
        if v.lower() in RESERVED_ADMIN_NAMES:
            raise ValueError(f"Azure refuses '{v}' as the administrator name; choose a less guessable one")
        return v

    @field_validator("admin_password")
    @classmethod
    def _password(cls, v: SecretStr, info: ValidationInfo) -> SecretStr:
        problem = windows_password_problem(v.get_secret_value(), info.data.get("admin_username"))
        if problem:
            raise ValueError(problem)  # never the value itself
        return v

    @field_validator("key_vault_id")
    @classmethod
    def _vault(cls, v: str, info: ValidationInfo) -> str:
        if not _VAULT_ID.fullmatch(v):
            raise ValueError("keyVaultId must be a Key Vault's ARM id: /subscriptions/<guid>/resourceGroups/<rg>/"
                             "providers/Microsoft.KeyVault/vaults/<name>")
        # Azure reads osProfile.secrets only from a vault in the VM's subscription (and region: checked against
        # the vault itself at preview, ndes/components/azure_host.py).
        vm_sub = info.data.get("subscription_id") or subscription_of(info.data.get("subnet_id") or "")
        if vm_sub and subscription_of(v) != vm_sub:
            where = "subscriptionId" if info.data.get("subscription_id") else "the subnet's (subnetId)"
            raise ValueError(f"the Key Vault is in subscription {subscription_of(v)}, but the VM is in {vm_sub} "
                             f"({where}): Azure installs the WinRM certificate only from a vault in the VM's "
                             "subscription and region; move the certificate to such a vault")
        return v

    @field_validator("winrm_certificate_url")
    @classmethod
    def _cert_url(cls, v: str, info: ValidationInfo) -> str:
        vault = info.data.get("key_vault_id")
        return normalize_certificate_url(v, vault_name(vault) if vault else None)


OS_DISK_TYPES = ("Premium_LRS", "StandardSSD_LRS", "Standard_LRS")
NOT_OS_DISKS = {"PremiumV2_LRS": "Premium SSD v2 disks can't be used as an OS disk",
                "UltraSSD_LRS": "Ultra Disks can't be used as an OS disk"}
"""Learn, "Azure managed disk types" (the comparison's "Usable as OS disk?" row) and "Using Azure Ultra Disks"."""


def subscription_of(arm_id: str) -> str | None:
    """The subscription GUID (lower case) of an ARM id, or None."""
    m = re.match(rf"^/subscriptions/({_GUID})/", arm_id or "", re.IGNORECASE)
    return m.group(1).lower() if m else None


def vault_resource_group(key_vault_id: str) -> str:
    m = re.match(r"^/subscriptions/[^/]+/resourceGroups/([^/]+)/", key_vault_id, re.IGNORECASE)
    if not m:
        raise ValueError(f"'{key_vault_id}' is not a Key Vault ARM id")
    return m.group(1)


def vault_name(key_vault_id: str) -> str:
    """The vault name at the end of a Key Vault ARM id (lower-cased: vault names are case-insensitive)."""
    m = _VAULT_ID.fullmatch(key_vault_id)
    if not m:
        raise ValueError(f"'{key_vault_id}' is not a Key Vault ARM id")
    return m.group("name").lower()


def normalize_management_cidr(v: str) -> str:
    """A CIDR (or one address) that WinRM may be reached from; everyone ('*', 'Internet', /0) is refused."""
    raw = v.strip()
    if raw.lower() in ("*", "any", "internet", "virtualnetwork"):
        raise ValueError(f"managementCidr '{v}' would open WinRM to everyone in it: give the management "
                         "network's CIDR, e.g. 10.20.0.0/24")
    try:
        net = ipaddress.ip_network(raw, strict=True)
    except ValueError:
        try:
            loose = ipaddress.ip_network(raw, strict=False)
        except ValueError:
            raise ValueError(f"managementCidr '{v}' is not a CIDR (e.g. 10.20.0.0/24)") from None
        raise ValueError(f"managementCidr '{v}' has host bits set: did you mean {loose}?") from None
    if net.prefixlen == 0:
        raise ValueError(f"managementCidr '{v}' is the whole address space: WinRM must not be open to everyone")
    return str(net)


def normalize_certificate_url(url: str, vault: str | None) -> str:
    """https://<vault>.vault.azure.net/secrets/<name>/<version>, checked against the vault of keyVaultId."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    m = _VAULT_HOST.fullmatch(host)
    segments = [s for s in parts.path.split("/") if s]
    if parts.scheme.lower() != "https" or not m or parts.query or parts.fragment or parts.port not in (None, 443):
        raise ValueError(f"winrmCertificateUrl '{url}' is not a Key Vault secret URL "
                         "(https://<vault>.vault.azure.net/secrets/<name>/<version>)")
    if len(segments) != 3 or segments[0] != "secrets":
        raise ValueError(f"winrmCertificateUrl '{url}' must name the certificate's secret with its version: "
                         "https://<vault>.vault.azure.net/secrets/<name>/<version> (Azure needs the version; a "
                         "certificate's /certificates/ URL is not accepted)")
    if vault is not None and m.group("name") != vault:
        raise ValueError(f"winrmCertificateUrl is in vault '{m.group('name')}' but keyVaultId names vault '{vault}': "
                         "Azure reads the certificate from the vault of keyVaultId")
    return f"https://{host}/secrets/{segments[1]}/{segments[2]}"


def windows_password_problem(password: str, username: str | None) -> str | None:
    """Why Azure would refuse this Windows administrator password, or None. Never echoes the password."""
    if not 12 <= len(password) <= 123:
        return "adminPassword must be 12 to 123 characters long (Azure's rule for Windows VMs)"
    classes = sum(bool(re.search(p, password)) for p in (r"[a-z]", r"[A-Z]", r"[0-9]", r"[^A-Za-z0-9]"))
    if classes < 3:
        return ("adminPassword needs three of: a lower-case letter, an upper-case letter, a digit, a special "
                "character (Azure's rule for Windows VMs)")
    if username and username.lower() in password.lower():
        return "adminPassword must not contain the administrator name"
    return None


def azure_host_problems(cfg: "DeploymentConfig") -> list[Problem]:
    """Checks that need the rest of the configuration, each naming its key.

    The VM's Windows computer name is the short name of the host's `fqdn` (15 characters at most), and joining
    `domain.dnsName` gives it the FQDN `<short name>.<domain.dnsName>`: the configured `fqdn` must be that name,
    or NdesHost, the SSL certificate and App Proxy's internal URL would point at a name nobody registers.
    """
    problems: list[Problem] = []
    for i, host in enumerate(cfg.ndes_hosts):
        if host.azure is None:
            continue
        key = f"ndesHosts[{i}]"
        short = host.short_name
        if not _COMPUTER_NAME.fullmatch(short) or short.isdigit():
            problems.append(Problem(f"{key}.fqdn", f"'{short}' cannot be a Windows computer name (1-15 letters, "
                                    "digits or hyphens, not only digits)", "choose a shorter host name"))
        expected = f"{short}.{cfg.domain.dns_name}"
        if host.fqdn != expected:
            problems.append(Problem(f"{key}.fqdn", f"an Azure VM joined to {cfg.domain.dns_name} is named {expected}, "
                                    f"not {host.fqdn}", f"set fqdn to {expected}"))
    seen: dict[tuple[str, str], int] = {}
    for i, zone in vm_zones(cfg).items():
        az = cfg.ndes_hosts[i].azure
        region = az.location  # type: ignore[union-attr]
        if zone is None or az.zone is None:  # defaults avoid the named zones (more than 3 hosts: they wrap)
            continue
        other = seen.setdefault((region, zone), i)
        if other != i:
            problems.append(Problem(f"ndesHosts[{i}].azure.zone", f"ndesHosts[{other}] is in zone {zone} of {region} "
                                    "too: a zone outage would take both NDES servers", "give each host its own zone"))
    return problems


def vm_zones(cfg: "DeploymentConfig") -> dict[int, str | None]:
    """The availability zone of each Azure host (index -> "1".."3", or None for no zone).

    A host's own `zone` wins; the others of one region take zones 1, 2, 3 in the order of ndesHosts, skipping
    the zones named explicitly in that region, so two hosts never share a zone by default (Learn: "Availability
    zones": zones are separate datacenters; zonal VMs in different zones survive the loss of one)."""
    hosts = [(i, h.azure) for i, h in enumerate(cfg.ndes_hosts) if h.azure is not None]
    taken: dict[str, set[str]] = {}
    for _, az in hosts:
        if az.zone not in (None, "none"):
            taken.setdefault(az.location, set()).add(az.zone)
    zones: dict[int, str | None] = {}
    for i, az in hosts:
        if az.zone == "none":
            zones[i] = None
        elif az.zone is not None:
            zones[i] = az.zone
        else:
            free = [z for z in ("1", "2", "3") if z not in taken.setdefault(az.location, set())] or ["1", "2", "3"]
            zones[i] = free[0]
            taken[az.location].add(free[0])
    return zones
