"""Typed arguments of the plane components, for Pulumi programs that use ndes as a library.

Every `*Args` is a TypedDict (keys in snake_case; call it like a class: `IntuneProfilesArgs(graph=..., ...)`).
Secrets and values that other resources produce are `pulumi.Input`s: a password from `cfg.require_secret`, a
Key Vault secret, an FQDN from a VM, CA certificates from a `StackReference`. The settings dictionaries hold the
same keys as the stack configuration's sections (README, Configuration), in snake_case, and are validated by the
same model (ndes/model/config.py): an error names the argument and the fix.

Each plane takes the connection (identity) it uses and nothing else:
    DirectoryPlane  LdapConnectionArgs (the AD bind account; an SPN administrator when the DC asks for one)
    CaHost          WinrmConnectionArgs (an account that administers the CA host)
    NdesHost        WinrmConnectionArgs (an account that administers the NDES host)
    AppProxy        GraphConnectionArgs (App Proxy's delegated sign-in)
    IntuneProfiles  GraphConnectionArgs (the Intune app, app-only)

No `from __future__ import annotations` here: Pulumi's component analyzer (pulumi.provider.experimental) reads
these annotations at run time to build a schema for other languages.
"""
from typing import Any, NotRequired, Optional, TypedDict

import pulumi


# ---- connections ---------------------------------------------------------------------------------------------------
class LdapConnectionArgs(TypedDict):
    """A domain controller over LDAPS, signed in as the account that writes to AD (docs/identities.md)."""
    url: str
    """ldaps://dc01.contoso.com (or ldap://... with start_tls)."""
    bind_user: str
    """UPN of the account that writes to AD."""
    bind_password: pulumi.Input[str]
    start_tls: NotRequired[bool]
    ca_bundle: NotRequired[str]
    """Path of a PEM file of the CAs to trust (the system store when unset)."""
    insecure_skip_tls_verify: NotRequired[bool]
    spn_admin_user: NotRequired[str]
    """An administrator that writes only the service account's http/<host> SPNs (KB5008382)."""
    spn_admin_password: NotRequired[pulumi.Input[str]]
    reader_urls: NotRequired[list[str]]
    replication_timeout: NotRequired[int]


class WinrmConnectionArgs(TypedDict):
    """A Windows host over WinRM/HTTPS, signed in as an administrator of that host."""
    username: str
    password: pulumi.Input[str]
    url: NotRequired[pulumi.Input[str]]
    """https://<host>:5986/wsman when unset."""
    auth: NotRequired[str]
    """ntlm (default), kerberos or credssp."""
    ca_bundle: NotRequired[str]
    insecure_skip_tls_verify: NotRequired[bool]
    operation_timeout_seconds: NotRequired[int]


class GraphConnectionArgs(TypedDict):
    """Microsoft Graph: the Intune app's identity (app-only) and, for App Proxy, the delegated sign-in."""
    tenant_id: str
    client_id: NotRequired[str]
    credential: NotRequired[str]
    """clientSecret (default), certificate, workloadIdentity or azureCli."""
    client_secret: NotRequired[pulumi.Input[str]]
    certificate_path: NotRequired[str]
    cloud: NotRequired[str]
    """global (default), usGov, usGovDoD, china, custom (with graph_endpoint and authority)."""
    graph_endpoint: NotRequired[str]
    authority: NotRequired[str]
    ca_bundle: NotRequired[str]
    insecure_skip_tls_verify: NotRequired[bool]
    app_proxy_credential: NotRequired[str]
    """App Proxy's delegated sign-in: azureCli (default), deviceCode, none."""
    app_proxy_client_id: NotRequired[str]


# ---- settings (the stack configuration's sections, snake_case) -----------------------------------------------------
class ServiceAccountArgs(TypedDict):
    """The NDES service account (ndes:serviceAccount)."""
    name: str
    password: pulumi.Input[str]
    ou: NotRequired[str]
    password_never_expires: NotRequired[bool]
    description: NotRequired[str]
    spn_short_name: NotRequired[bool]
    adopt: NotRequired[bool]


class CertificateTemplateArgs(TypedDict, total=False):
    """A certificate template (ndes:templates.ssl / .client); unset keys take the template's defaults."""
    name: str
    display_name: str
    validity: str
    renewal_period: str
    minimum_key_size: int
    key_usage: list[str]
    extended_key_usage: list[str]
    exportable: bool
    enrollee_supplies_subject: bool
    publish_to_ad: bool
    remove_extra_grants: bool
    adopt: bool


class GroupRefArgs(TypedDict, total=False):
    """An Entra group by object id, or by name (create: true creates it with pulumi-azuread)."""
    id: str
    name: str
    create: bool


class ScepSettingsArgs(TypedDict, total=False):
    """A SCEP profile's settings (ndes:intune.scep); assignments as in the README."""
    key_usage: list[str]
    key_size: int
    hash_algorithm: str
    subject_name_format: str
    subject_name: str
    subject_alternative_names: list[dict[str, str]]
    extended_key_usage: list[str]
    validity: str
    renewal_threshold_percent: int
    certificate_store: str
    key_storage_provider: str
    groups: list[GroupRefArgs]
    strong_mapping: bool
    assignments: dict[str, Any]


class ScepProfileArgs(ScepSettingsArgs, total=False):
    """One named SCEP profile (ndes:intune.scepProfiles[])."""
    name: str
    platforms: list[str]
    root_profile_ids: dict[str, str]


class TrustedRootArgs(TypedDict, total=False):
    groups: list[GroupRefArgs]
    cert_file_name: str
    extra_certificates: list[dict[str, str]]


class InstallCredentialArgs(TypedDict):
    """-Credential of the NDES install: a Domain Admins member."""
    username: str
    password: pulumi.Input[str]


class NdesRoleArgs(TypedDict, total=False):
    """ndes:ndesRole (install-time settings: a change replaces the role)."""
    ra_name: str
    ra_email: str
    ra_company: str
    ra_department: str
    ra_city: str
    ra_state: str
    ra_country: str
    signing_provider: str
    signing_key_length: int
    encryption_provider: str
    encryption_key_length: int
    install_credential: InstallCredentialArgs
    adopt: bool


# ---- planes ---------------------------------------------------------------------------------------------------------
class DirectoryPlaneArgs(TypedDict):
    """The service account with its SPNs, the SSL and client templates and their issuance on the CA."""
    connection: LdapConnectionArgs
    domain_dns_name: str
    domain_netbios_name: str
    service_account: ServiceAccountArgs
    ndes_hosts: list[str]
    """FQDNs of the NDES servers: the SPNs http/<fqdn>, and the computer accounts the SSL template grants."""
    ca_common_name: str
    """The Enterprise CA the templates are issued on."""
    computer_accounts: NotRequired[list[pulumi.Input[str]]]
    """The NDES hosts' computer accounts (default <HOST>$ from ndes_hosts), e.g. an Azure VM's once joined."""
    ssl_template: NotRequired[CertificateTemplateArgs]
    client_template: NotRequired[CertificateTemplateArgs]
    more_client_templates: NotRequired[list[CertificateTemplateArgs]]
    adopt_issuance: NotRequired[bool]


class CaHostArgs(TypedDict):
    """"Request Certificates" for the service account on the Enterprise CA, and the CA's certificates."""
    host: str
    """The CA host's FQDN."""
    common_name: str
    connection: WinrmConnectionArgs
    service_account: str
    """DOMAIN\\name of the NDES service account."""
    service_account_sid: NotRequired[pulumi.Input[str]]
    """Its SID (e.g. DirectoryPlane.service_account_sid): the ACE then waits for the account."""
    adopt: NotRequired[bool]


class NdesHostArgs(TypedDict):
    """One NDES server, from its Windows features to the Intune Certificate Connector."""
    fqdn: str
    external_url: str
    """The App Proxy external URL devices use."""
    connection: WinrmConnectionArgs
    ca_config: str
    """<CA host FQDN>\\<CA common name>."""
    service_account: str
    """DOMAIN\\name of the NDES service account."""
    service_account_password: pulumi.Input[str]
    internal_url: NotRequired[str]
    ssl_template_name: NotRequired[str]
    client_template_name: NotRequired[str]
    ssl_template_oid: NotRequired[pulumi.Input[str]]
    scep_key_usage: NotRequired[list[str]]
    """The SCEP profiles' key usage: it picks the MSCEP registry value that names the client template."""
    ndes_role: NotRequired[NdesRoleArgs]
    ssl_certificate: NotRequired[dict[str, Any]]
    iis: NotRequired[dict[str, int]]
    http_sys: NotRequired[dict[str, Any]]
    connector: NotRequired[dict[str, Any]]


class AppProxyApplicationArgs(TypedDict):
    fqdn: str
    external_url: str
    internal_url: NotRequired[str]


class AppProxyArgs(TypedDict):
    """Each NDES host published through Entra application proxy."""
    graph: GraphConnectionArgs
    applications: list[AppProxyApplicationArgs]
    display_name: NotRequired[str]
    connector_group: NotRequired[str]
    pre_authentication: NotRequired[str]
    translate_host_header: NotRequired[bool]
    translate_links_in_body: NotRequired[bool]
    adopt: NotRequired[bool]


class IntuneProfilesArgs(TypedDict):
    """Trusted certificate profiles and SCEP profiles for an NDES that exists (built here or elsewhere)."""
    graph: GraphConnectionArgs
    scep_urls: pulumi.Input[list[pulumi.Input[str]]]
    """https://<external FQDN>/certsrv/mscep/mscep.dll, one per NDES server."""
    root_certificate_der: pulumi.Input[str]
    """Base64 DER of the root CA certificate."""
    issuing_certificate_der: NotRequired[Optional[pulumi.Input[str]]]
    """Base64 DER of the issuing CA certificate (Android and Windows profiles get it too)."""
    platforms: NotRequired[list[str]]
    profile_name_prefix: NotRequired[str]
    scep: NotRequired[ScepSettingsArgs]
    scep_profiles: NotRequired[list[ScepProfileArgs]]
    trusted_root: NotRequired[TrustedRootArgs]
    adopt: NotRequired[bool]


class DeploymentSecretsArgs(TypedDict, total=False):
    """The chain's secrets as Inputs; each overrides the same secret in the configuration document."""
    bind_password: pulumi.Input[str]
    spn_admin_password: pulumi.Input[str]
    service_account_password: pulumi.Input[str]
    winrm_password: pulumi.Input[str]
    graph_client_secret: pulumi.Input[str]
    install_credential_password: pulumi.Input[str]


class NdesScepDeploymentArgs(TypedDict):
    """The whole chain: the `ndes` stack-configuration document (keys as in Pulumi.<stack>.yaml, camelCase or
    snake_case, with or without `ndes:`; values as objects or as the JSON text the engine gives a program;
    `{fromEnv: NAME}` read from the environment), with its secrets given as Inputs in `secrets` (they may then be
    left out of the document). It goes through the model's config pipeline (ndes/model/load.py) once."""
    config: dict[str, Any]
    secrets: NotRequired[DeploymentSecretsArgs]
    stack: NotRequired[str]
    """The stack name the TLS rule checks (insecureSkipTlsVerify only on the lab stacks): the current stack."""
    connections_from_stack_config: NotRequired[bool]
    """True only when `config` is this stack's own `ndes:` configuration (the repository's program): resources then
    name their connections and the providers read them from the stack config at every run, so a rotated password
    works for refresh, the drift job and destroy without an `up` (README, "Credentials from stack config"). Left
    False, the connections travel with the resources (their secrets encrypted in state)."""
