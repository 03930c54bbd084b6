"""NdesScepDeployment: the whole seed guide, in its order, with data flowing between the planes.

    directory  (service account + SPN, SSL and client templates, their issuance)      LDAP
    ca host    (Request Certificates for the service account, the CA certificates)     WinRM
    ndes hosts (features, role, IIS, HTTP.sys, SSL certificate, binding, MSCEP, connector) WinRM
    app proxy  (one published application per NDES host)                              Graph
    intune     (trusted root profiles, SCEP profiles, assignments)                     Graph

Each plane is a ComponentResource in its own module; this one passes each plane what the earlier ones made.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pulumi

from ..model.config import DeploymentConfig
from .args import NdesScepDeploymentArgs
from ..model.keyusage import mscep_mapping
from ..model.urls import ssl_names


@dataclass
class Chain:
    """What the planes built so far, for the planes after them."""

    cfg: DeploymentConfig
    outputs: dict[str, Any] = field(default_factory=dict)
    resources: dict[str, list[pulumi.Resource]] = field(default_factory=dict)

    def after(self, *planes: str) -> list[pulumi.Resource]:
        return [r for p in planes for r in self.resources.get(p, [])]


class NdesScepDeployment(pulumi.ComponentResource):
    """The NDES + SCEP chain for Intune, from the AD service account to the Intune profiles.

    `args`: NdesScepDeploymentArgs (the configuration document and its secrets as Inputs; validated here, a
    ConfigError names the key), or an already validated DeploymentConfig with `secrets` keyed like the stack config.
    Typed outputs: scep_urls, ca_certificates, ndes_host_state, app_proxy_applications, intune_profile_ids, notes
    (ndes/components/outputs.py); summary (what the configuration declares)."""

    scep_urls: pulumi.Output[list[str]]
    ca_certificates: pulumi.Output[dict[str, Any]]
    ndes_host_state: pulumi.Output[dict[str, Any]]
    app_proxy_applications: pulumi.Output[dict[str, Any]]
    intune_profile_ids: pulumi.Output[dict[str, Any]]
    notes: pulumi.Output[list[str]]

    def __init__(self, name: str, args: NdesScepDeploymentArgs | DeploymentConfig,
                 secrets: dict[str, pulumi.Output[str]] | None = None, opts: pulumi.ResourceOptions | None = None):
        from .protection import protection  # protect / retainOnDelete for every plane's resources
        if isinstance(args, DeploymentConfig):
            cfg = args
        else:
            from .views import deployment_config
            cfg, secrets = deployment_config(args)
        opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(
            transformations=[protection(cfg.protect, cfg.retain_adopted)]))
        super().__init__("ndes:index:NdesScepDeployment", name, None, opts)
        self.cfg = cfg
        self.chain = Chain(cfg, outputs={"secrets": secrets or {}})
        child = pulumi.ResourceOptions(parent=self)
        for plane in (self._azure_hosts, self._directory, self._ca_host, self._ndes_hosts, self._app_proxy,
                      self._intune):
            plane(child)
        self.summary = summary(cfg)
        from .outputs import operator_outputs
        self.operator_outputs = operator_outputs(self.chain.outputs, self.chain.after(*self.chain.resources))
        o = {k: pulumi.Output.from_input(v) for k, v in self.operator_outputs.items()}
        self.scep_urls = pulumi.Output.from_input(cfg.scep_urls)
        self.ca_certificates, self.ndes_host_state = o["caCertificates"], o["ndesHostState"]
        self.app_proxy_applications, self.intune_profile_ids = o["appProxyApplications"], o["intuneProfileIds"]
        self.notes = o["notes"]
        self.register_outputs({"summary": self.summary, **{k: v for k, v in self.chain.outputs.items()
                                                          if k != "secrets"}})

    # Each plane adds its resources to self.chain.resources[<plane>] and its outputs to self.chain.outputs.
    def _azure_hosts(self, opts: pulumi.ResourceOptions) -> None:
        """NDES servers built as Azure VMs (ndes:ndesHosts[i].azure; ndes/components/azure_host.py): their
        computer account exists only after the domain join, so the directory plane waits for it."""
        hosts = [(i, h) for i, h in enumerate(self.cfg.ndes_hosts) if h.azure is not None]
        if not hosts:
            return  # azure-native is imported only by stacks that build a VM
        from .azure_host import AzureNdesHost

        vms = {h.fqdn: AzureNdesHost(f"azure-{h.short_name}", self.cfg, i, opts, secrets=self.chain.outputs["secrets"])
               for i, h in hosts}
        self.chain.resources["azure"] = list(vms.values())
        self.chain.outputs["azureHosts"] = {
            fqdn: {"fqdn": vm.fqdn, "winrmUrl": vm.winrm_url, "computerAccount": vm.computer_account,
                   "rebuildKey": vm.rebuild_key}
            for fqdn, vm in vms.items()}

    def _directory(self, opts: pulumi.ResourceOptions) -> None:
        """Service account + SPNs, both templates and their issuance (ndes/components/directory.py)."""
        from .directory import DirectoryPlane

        azure = self.chain.outputs.get("azureHosts") or {}
        computer_accounts = [azure[h.fqdn]["computerAccount"] if h.fqdn in azure else h.computer_account
                             for h in self.cfg.ndes_hosts]
        plane = DirectoryPlane("directory", self.cfg, self.chain.outputs["secrets"], opts,
                               computer_accounts=computer_accounts)
        self.chain.resources["directory"] = plane.resources
        self.chain.outputs["directory"] = {
            "serviceAccountDn": plane.service_account_dn,
            "serviceAccountSid": plane.service_account_sid,
            "serviceAccountName": plane.service_account_name,
            "sslTemplateOid": plane.ssl_template_oid,
            "clientTemplateOid": plane.client_template_oid,
            "sslTemplateName": plane.ssl_template_name,
            "clientTemplateName": plane.client_template_name,
        }

    def _ca_host(self, opts: pulumi.ResourceOptions) -> None:
        """Request Certificates for the service account on the CA, and the CA's certificates
        (ndes/components/ca_host.py); publishes chain.outputs["caCertificates"] for the Intune plane."""
        from .ca_host import CaHost

        d = self.chain.outputs.get("directory") or {}
        plane = CaHost("ca-host", self.cfg, self.chain.outputs["secrets"],
                       service_account_sid=d.get("serviceAccountSid"), opts=pulumi.ResourceOptions.merge(
                           opts, pulumi.ResourceOptions(depends_on=self.chain.after("directory"))))
        self.chain.resources["ca_host"] = plane.resources
        self.chain.outputs["caCertificates"] = {"root": plane.root_der_b64, "issuing": plane.issuing_der_b64}
        self.chain.outputs["caHost"] = {"rootThumbprint": plane.root_thumbprint, "rootNotAfter": plane.root_not_after,
                                        "issuingThumbprint": plane.issuing_thumbprint,
                                        "issuingNotAfter": plane.issuing_not_after}

    def _ndes_hosts(self, opts: pulumi.ResourceOptions) -> None:
        """One NdesHost per configured host (ndes/components/ndes_host.py), after the directory and CA planes;
        an Azure-built host (chain.outputs["azureHosts"]) is reached at its VM's WinRM URL."""
        from .ndes_host import NdesHost

        azure = self.chain.outputs.get("azureHosts") or {}
        resources: list[pulumi.Resource] = []
        outputs: dict[str, Any] = {}
        for i, h in enumerate(self.cfg.ndes_hosts):
            vm = azure.get(h.fqdn)
            host = NdesHost(f"ndes-host-{h.short_name}", self.cfg, h, i, self.chain.outputs["secrets"],
                            after_directory=self.chain.after("directory"), after_ca=self.chain.after("ca_host"),
                            winrm_url=vm["winrmUrl"] if vm else None,
                            ssl_template_oid=(self.chain.outputs.get("directory") or {}).get("sslTemplateOid"),
                            opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(
                                depends_on=self.chain.after("azure"), transformations=rebuilt(vm))))
            resources += host.resources
            outputs[h.fqdn] = host.outputs
        self.chain.resources["ndes_hosts"] = resources
        self.chain.outputs["ndesHosts"] = outputs

    def _app_proxy(self, opts: pulumi.ResourceOptions) -> None:
        """One App Proxy application per NDES host (ndes/components/app_proxy.py), after the hosts serve."""
        from .app_proxy import AppProxy

        plane = AppProxy("app-proxy", self.cfg, self.chain.outputs["secrets"], pulumi.ResourceOptions.merge(
            opts, pulumi.ResourceOptions(depends_on=self.chain.after("ndes_hosts"))))
        self.chain.resources["app_proxy"] = plane.resources
        self.chain.outputs["appProxy"] = plane.outputs

    def _intune(self, opts: pulumi.ResourceOptions) -> None:
        """Trusted certificate and SCEP profiles for every platform (ndes/components/intune.py).

        Needs the CA certificates: chain.outputs["caCertificates"] = {"root": base64 DER, "issuing": base64 DER
        or None}, or else the CA host plane's CaCertificate resource (rootDerBase64 / issuingDerBase64); without
        them the profiles cannot be built and the plane says so."""
        from .intune import Intune

        certs = self.chain.outputs.get("caCertificates")
        if not certs:
            from ..providers.resources import CaCertificate
            found = [r for rs in self.chain.resources.values() for r in rs if isinstance(r, CaCertificate)]
            if found:  # the CA host plane's CaCertificate: its root, and the issuing CA for Android/Windows
                certs = {"root": found[0].rootDerBase64, "issuing": found[0].issuingDerBase64}
        if not certs or certs.get("root") is None:
            pulumi.log.warn("Intune profiles skipped: the CA host plane published no CA certificate "
                            "(chain.outputs['caCertificates']['root'])", self)
            return
        plane = Intune("intune", self.cfg, self.chain.outputs["secrets"], certs, pulumi.ResourceOptions.merge(
            opts, pulumi.ResourceOptions(depends_on=self.chain.after("app_proxy"))))
        self.chain.resources["intune"] = plane.resources
        self.chain.outputs["intune"] = plane.outputs


def rebuilt(vm: dict[str, Any] | None) -> list[Any] | None:
    """For an Azure-built host: its Windows resources are replaced when the VM is rebuilt (azure_host.rebuilt_with)."""
    if not vm or not vm.get("rebuildKey"):
        return None
    from .azure_host import rebuilt_with
    return [rebuilt_with(vm["rebuildKey"])]


def summary(cfg: DeploymentConfig) -> dict[str, Any]:
    """What the chain will look like, derived from the configuration alone (exported as stack outputs)."""
    hosts = []
    for h in cfg.ndes_hosts:
        cn, sans = ssl_names(h.external_url, h.fqdn, cfg.ssl_certificate.common_name)
        hosts.append({"fqdn": h.fqdn, "externalUrl": h.external_url, "internalUrl": h.internal, "scepUrl": h.scep_url,
                      "sslCommonName": cn, "sslSubjectAlternativeNames": sans})
    return {
        "scepUrls": cfg.scep_urls,
        "templates": {"ssl": cfg.templates.ssl.name, "client": cfg.templates.client.name},
        "mscepMapping": mscep_mapping(cfg.intune.scep.key_usage, cfg.templates.client.name)
        if not (cfg.intune.scep_profiles or cfg.templates.more_clients)
        else {v: t.name for v, (_, t) in sorted(cfg.templates.clients_by_mscep_value().items())},
        "caConfig": cfg.ca.config,
        "serviceAccount": cfg.service_account_logon,
        "ndesHosts": hosts,
        "platforms": cfg.intune.platforms,
    }
