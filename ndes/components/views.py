"""From typed `*Args` (ndes/components/args.py) to what the plane components read: a validated view of the
configuration (the same section models as the stack config, only the sections a plane reads) and the secrets as
Outputs keyed like the stack config.

Secrets never enter a view: a secret field that the model requires holds INPUT_SECRET, and the planes take the
value from the secrets dict (`secrets.get(key) or ...`), so the placeholder never reaches a resource
(tests/unit/test_library_args.py checks every declared input for it).
"""
from __future__ import annotations

import os
import re
from typing import Any, Mapping

import pulumi
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from ..model.config import (AppProxyConfig, AppProxyIdentityConfig, CaConfig, ConnectorConfig, DeploymentConfig,
                            DomainConfig, GraphConfig, HttpSysConfig, IisConfig, IntuneConfig, NdesHostConfig,
                            NdesRoleConfig, ScepConfig, ServiceAccountConfig, SslCertificateConfig, TemplatesConfig,
                            WinRMConfig)
from ..model.errors import ConfigError, Problem
from ..model.field_rules import plain_name
from ..model.load import load_document, problems_from_validation, stack_values
from ..model.urls import normalize_fqdn
from .connection import INLINE

INPUT_SECRET = "<secret given as a pulumi.Input>"


class ArgsError(ValueError):
    """Typed arguments a model refuses; each line names the argument (`IntuneProfilesArgs.scep.key_size`)."""

    def __init__(self, where: str, problems: list[Problem], rename: Mapping[str, str] | None = None):
        self.problems = problems
        super().__init__("invalid arguments:\n" + "\n".join(
            f"  - {'.'.join(x for x in (where, _arg_path(_strip(where, p.key), rename or {})) if x)}: {p.message}"
            for p in problems))


def _arg_path(key: str, rename: Mapping[str, str]) -> str:
    """A model's key as the argument that carries it (`client.validity` -> `client_template.validity`)."""
    if not key:
        return rename.get("", "")
    head, dot, rest = key.partition(".")
    head = rename.get(head.split("[", 1)[0], head) + (head[len(head.split("[", 1)[0]):] if "[" in head else "")
    return _snake(head + dot + rest)


def _strip(where: str, key: str) -> str:
    """A cross-check names the stack config key (intune.scep.keySize); IntuneProfilesArgs has scep at its top."""
    return key.removeprefix("intune.") if where == "IntuneProfilesArgs" else key


def _snake(key: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", lambda m: "_" + m.group(1).lower(), key)


class _View(BaseModel):
    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True, extra="forbid")

    def winrm_for(self, host: str, own: WinRMConfig | None) -> WinRMConfig:
        return DeploymentConfig.winrm_for(self, host, own)  # type: ignore[arg-type]  # reads self.winrm only

    # the names the model derives, read from the sections a view holds (domain, service_account, ssl_certificate)
    service_account_logon = DeploymentConfig.service_account_logon
    ssl_names_of = DeploymentConfig.ssl_names_of


class HostName(_View):
    fqdn: str

    @field_validator("fqdn")
    @classmethod
    def _fqdn(cls, v: str) -> str:
        v = normalize_fqdn(v)
        if len(v.split(".")[0]) > 15:
            raise ValueError(f"the host name '{v.split('.')[0]}' is longer than 15 characters (NetBIOS)")
        return v

    @property
    def computer_account(self) -> str:
        return self.fqdn.split(".")[0].upper() + "$"


class AccountRef(_View):
    """DOMAIN\\name of the service account, split as the planes read it (cfg.domain.netbios_name,
    cfg.service_account.name)."""
    netbios_name: str
    name: str
    password: Any = None


class CaRef(_View):
    common_name: str | None = None
    config_string: str | None = None
    adopt: bool = False

    @property
    def config(self) -> str:
        return self.config_string or ""


class DirectoryView(_View):
    domain: DomainConfig
    service_account: ServiceAccountConfig
    ndes_hosts: list[HostName]
    templates: TemplatesConfig
    ca: CaRef


class CaView(_View):
    domain: AccountRef
    service_account: AccountRef
    ca: CaConfig
    winrm: WinRMConfig


class HostView(_View):
    domain: AccountRef
    service_account: AccountRef
    ca: CaRef
    winrm: WinRMConfig
    ndes_role: NdesRoleConfig
    iis: IisConfig
    http_sys: HttpSysConfig
    ssl_certificate: SslCertificateConfig
    connector: ConnectorConfig
    templates: TemplatesConfig
    intune: IntuneConfig


class AppProxyView(_View):
    graph: GraphConfig
    app_proxy: AppProxyConfig
    ndes_hosts: list[NdesHostConfig]


class IntuneView(_View):
    graph: GraphConfig
    intune: IntuneConfig
    scep_urls: Any


def _build(where: str, fn, rename: Mapping[str, str] | None = None):
    try:
        return fn()
    except ValidationError as exc:
        raise ArgsError(where, problems_from_validation(exc), rename) from None


DIRECTORY_ARGS = {"": "connection", "ldapUrl": "connection.url", "bindUser": "connection.bind_user", "caBundle": "connection.ca_bundle",
                  "startTls": "connection.start_tls", "readerUrls": "connection.reader_urls",
                  "spnAdminUser": "connection.spn_admin_user", "dnsName": "domain_dns_name",
                  "netbiosName": "domain_netbios_name", "ssl": "ssl_template", "client": "client_template",
                  "moreClients": "more_client_templates", "name": "service_account.name", "ou": "service_account.ou"}


def _checked(where: str, view: _View, *checks) -> None:
    """The stack config's cross-checks that a plane's view holds the settings for (ndes/model/checks.py), and the
    TLS rule: verification may be off only on the lab stacks."""
    from ..model.checks import INSECURE_TLS_STACKS
    problems = [p for check in checks for p in check(view)]
    stack = pulumi.get_stack()
    if stack not in INSECURE_TLS_STACKS:
        for key in ("domain", "graph", "winrm"):
            opt = getattr(view, key, None)
            if getattr(opt, "insecure_skip_tls_verify", False):
                problems.append(Problem(f"{key}.insecureSkipTlsVerify", f"TLS verification is off on stack '{stack}'"
                                        ": anyone on the path could pose as the server and read the credentials"))
    if problems:
        raise ArgsError(where, problems)


def _intune_key_sizes(view: "IntuneView") -> list[Problem]:
    return [Problem(f"{key}.keySize", f"{prof.key_size}-bit keys are too weak: NDES and Intune need at least 2048")
            for key, prof, _ in view.intune.scep_profile_entries() if prof.key_size < 2048]


def _secret(value: Any) -> pulumi.Output[str]:
    return pulumi.Output.secret(value)


def account(where: str, value: str) -> AccountRef:
    if "\\" not in value:
        raise ArgsError(where, [Problem("serviceAccount", f"'{value}' is not DOMAIN\\name")])
    netbios, name = value.split("\\", 1)
    return AccountRef(netbios_name=plain_name(netbios, "the domain", 15).upper(), name=plain_name(name, "the account", 20))


def winrm_config(conn: Mapping[str, Any]) -> tuple[dict[str, Any], Any]:
    """(WinRMConfig fields, the URL when it is an Output) from WinrmConnectionArgs; the password stays out."""
    url = conn.get("url")
    fields = {k: v for k, v in conn.items() if k not in ("password", "url")}
    if isinstance(url, str):
        fields["url"] = url
    return fields, (url if url is not None and not isinstance(url, str) else None)


def graph_config(g: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(GraphConfig fields, secrets) from GraphConnectionArgs."""
    fields = {k: v for k, v in g.items() if k not in ("client_secret", "app_proxy_credential", "app_proxy_client_id")}
    ident = {k: g[f"app_proxy_{k}"] for k in ("credential", "client_id") if g.get(f"app_proxy_{k}") is not None}
    if ident:
        fields["app_proxy"] = AppProxyIdentityConfig(**ident)
    secrets: dict[str, Any] = {}
    if g.get("client_secret") is not None:
        fields["client_secret"] = INPUT_SECRET
        secrets["graph.clientSecret"] = _secret(g["client_secret"])
    return fields, secrets


def directory_view(a: Mapping[str, Any]) -> tuple[DirectoryView, dict[str, Any]]:
    where = "DirectoryPlaneArgs"
    c = a["connection"]
    sa = a["service_account"]
    secrets = {"domain.bindPassword": _secret(c["bind_password"]), "serviceAccount.password": _secret(sa["password"])}
    domain = {k: v for k, v in c.items() if k not in ("url", "bind_password", "spn_admin_password")}
    domain.update(ldap_url=c["url"], bind_password=INPUT_SECRET, dns_name=a["domain_dns_name"],
                  netbios_name=a["domain_netbios_name"])
    if c.get("spn_admin_password") is not None:
        domain["spn_admin_password"] = INPUT_SECRET
        secrets["domain.spnAdminPassword"] = _secret(c["spn_admin_password"])
    templates = {"ssl": a.get("ssl_template") or {}, "client": a.get("client_template") or {},
                 "more_clients": a.get("more_client_templates") or []}
    view = _build(where, lambda: DirectoryView(
        domain=DomainConfig.model_validate(domain),
        service_account=ServiceAccountConfig.model_validate({**sa, "password": INPUT_SECRET}),
        ndes_hosts=[HostName(fqdn=f) for f in a["ndes_hosts"]],
        templates=TemplatesConfig.model_validate(templates),
        ca=CaRef(common_name=plain_name(a["ca_common_name"], "ca_common_name", 64),
                 adopt=bool(a.get("adopt_issuance")))), DIRECTORY_ARGS)
    _checked(where, view)
    secrets[INLINE] = True  # a library caller: the connections travel with the resources
    return view, secrets


def ca_view(a: Mapping[str, Any]) -> tuple[CaView, dict[str, Any], Any]:
    where = "CaHostArgs"
    ref = account(where, a["service_account"])
    fields, url = winrm_config(a["connection"])
    view = _build(where, lambda: CaView(
        domain=ref, service_account=ref, winrm=WinRMConfig.model_validate(fields),
        ca=CaConfig.model_validate({"host": a["host"], "common_name": a["common_name"],
                                    "adopt": bool(a.get("adopt"))})))
    _checked(where, view)
    return view, {"winrm.password": _secret(a["connection"]["password"]), INLINE: True}, url


def host_view(a: Mapping[str, Any]) -> tuple[HostView, NdesHostConfig, dict[str, Any], Any]:
    where = "NdesHostArgs"
    ref = account(where, a["service_account"])
    fields, url = winrm_config(a["connection"])
    secrets = {"winrm.password": _secret(a["connection"]["password"]),
               "serviceAccount.password": _secret(a["service_account_password"])}
    role = dict(a.get("ndes_role") or {})
    if role.get("install_credential"):
        ic = role["install_credential"]
        role["install_credential"] = {"username": ic["username"], "password": INPUT_SECRET}
        secrets["ndesRole.installCredential.password"] = _secret(ic["password"])
    templates = {"ssl": {"name": a.get("ssl_template_name") or "NDES-SSL"},
                 "client": {"name": a.get("client_template_name") or "NDES-Intune"}}
    scep = {"key_usage": a["scep_key_usage"]} if a.get("scep_key_usage") else {}
    view = _build(where, lambda: HostView(
        domain=ref, service_account=ref, ca=CaRef(config_string=plain_name(a["ca_config"], "ca_config", 300)),
        winrm=WinRMConfig.model_validate(fields), ndes_role=NdesRoleConfig.model_validate(role),
        iis=IisConfig.model_validate(a.get("iis") or {}), http_sys=HttpSysConfig.model_validate(a.get("http_sys") or {}),
        ssl_certificate=SslCertificateConfig.model_validate(a.get("ssl_certificate") or {}),
        connector=ConnectorConfig.model_validate(a.get("connector") or {}),
        templates=TemplatesConfig.model_validate(templates),
        intune=IntuneConfig.model_validate({"scep": ScepConfig.model_validate(scep)})))
    host = _build(where, lambda: NdesHostConfig.model_validate(
        {k: a[k] for k in ("fqdn", "external_url", "internal_url") if a.get(k) is not None}))
    _checked(where, view)
    secrets[INLINE] = True  # a library caller: the connections travel with the resources
    return view, host, secrets, url


def app_proxy_view(a: Mapping[str, Any]) -> tuple[AppProxyView, dict[str, Any]]:
    where = "AppProxyArgs"
    graph, secrets = graph_config(a["graph"])
    settings = {k: v for k, v in a.items() if k not in ("graph", "applications")}
    view = _build(where, lambda: AppProxyView(
        graph=GraphConfig.model_validate(graph), app_proxy=AppProxyConfig.model_validate(settings),
        ndes_hosts=[NdesHostConfig.model_validate(dict(app)) for app in a["applications"]]))
    _checked(where, view)
    secrets[INLINE] = True  # a library caller: the connections travel with the resources
    return view, secrets


def intune_view(a: Mapping[str, Any]) -> tuple[IntuneView, dict[str, Any], dict[str, Any]]:
    where = "IntuneProfilesArgs"
    graph, secrets = graph_config(a["graph"])
    settings = {k: v for k, v in a.items() if k in ("platforms", "profile_name_prefix", "scep", "scep_profiles",
                                                      "trusted_root", "adopt")}
    view = _build(where, lambda: IntuneView(graph=GraphConfig.model_validate(graph),
                                            intune=IntuneConfig.model_validate(settings), scep_urls=a["scep_urls"]))
    from ..model.profile_checks import check_profile_groups, check_profile_platform_fields
    _checked(where, view, check_profile_platform_fields, check_profile_groups, _intune_key_sizes)
    certs = {"root": a["root_certificate_der"], "issuing": a.get("issuing_certificate_der")}
    secrets[INLINE] = True  # a library caller: the connections travel with the resources
    return view, secrets, certs


# ---- the whole chain -------------------------------------------------------------------------------------------------
SECRET_PATHS = {  # DeploymentSecretsArgs key -> (path in the configuration document, secrets-dict key)
    "bind_password": (("domain", "bindPassword"), "domain.bindPassword"),
    "spn_admin_password": (("domain", "spnAdminPassword"), "domain.spnAdminPassword"),
    "service_account_password": (("serviceAccount", "password"), "serviceAccount.password"),
    "winrm_password": (("winrm", "password"), "winrm.password"),
    "graph_client_secret": (("graph", "clientSecret"), "graph.clientSecret"),
    "install_credential_password": (("ndesRole", "installCredential", "password"),
                                    "ndesRole.installCredential.password"),
}


def _camel(key: str) -> str:
    head, *rest = key.split("_")
    return head + "".join(p[:1].upper() + p[1:] for p in rest)


def _put(doc: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    node = doc
    for part in path[:-1]:
        found = node.get(part, node.get(_snake(part)))
        if not isinstance(found, dict):
            found = {}
        node[part] = found = dict(found)
        node.pop(_snake(part), None) if _snake(part) != part else None
        node = found
    node.pop(_snake(path[-1]), None)
    node[path[-1]] = value


def deployment_config(a: Mapping[str, Any]) -> tuple[DeploymentConfig, dict[str, Any]]:
    """(the validated DeploymentConfig, its secrets as Outputs) from NdesScepDeploymentArgs. Raises ConfigError
    naming the `ndes:` key, as a stack configuration does. `config` goes through the model's config pipeline
    (ndes/model/load.py) once: raw stack config values (JSON text, as the program reads them) or a parsed
    document, `{fromEnv: NAME}` read from this process's environment."""
    from ..config_files import check_files

    doc = {(_camel(k) if "_" in k else k): v for k, v in stack_values(a["config"]).items()}
    given = {k: v for k, v in (a.get("secrets") or {}).items() if v is not None}
    unknown = sorted(set(given) - set(SECRET_PATHS))
    if unknown:
        raise ConfigError([Problem("", f"unknown secret(s) {', '.join(unknown)}", ", ".join(SECRET_PATHS))])
    for key in given:
        _put(doc, SECRET_PATHS[key][0], INPUT_SECRET)
    stack = a.get("stack")
    cfg = load_document(doc, stack=stack if stack is not None else pulumi.get_stack(), environ=os.environ)
    check_files(cfg)
    secrets: dict[str, Any] = {}
    for key, (path, name) in SECRET_PATHS.items():
        if key in given:
            secrets[name] = _secret(given[key])
            continue
        node: Any = cfg
        for part in path:
            node = getattr(node, _snake(part), None) if node is not None else None
        if node is not None:
            secrets[name] = _secret(node.get_secret_value())
    if not a.get("connections_from_stack_config"):
        secrets[INLINE] = True  # a library caller: no `ndes:` stack config for the providers to read
    return cfg, secrets
