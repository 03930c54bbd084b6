"""The plane components for Pulumi programs that use ndes as a library: each takes its typed `*Args`
(ndes/components/args.py) and exposes typed Output attributes.

    import ndes
    intune = ndes.IntuneProfiles("intune", ndes.IntuneProfilesArgs(
        graph=ndes.GraphConnectionArgs(tenant_id=..., client_id=..., client_secret=cfg.require_secret("graph")),
        scep_urls=onprem.get_output("scepUrls"), root_certificate_der=onprem.get_output("caRootDer")))
    pulumi.export("scepProfileIds", intune.scep_profile_ids)

Each class is the plane of NdesScepDeployment (same resources, same inputs; ndes/components/<plane>.py), built
from a validated view of its arguments (ndes/components/views.py). DirectoryPlane, CaHost, NdesHost and AppProxy
keep the chain's type tokens; the Intune plane alone is `ndes:index:IntuneProfiles`.

No `from __future__ import annotations`: Pulumi's component analyzer reads these annotations at run time.
"""
from typing import Any, Optional

import pulumi

from . import app_proxy as _app_proxy
from . import ca_host as _ca_host
from . import directory as _directory
from . import intune as _intune
from . import ndes_host as _ndes_host
from .outputs import notes_of
from .args import AppProxyArgs, CaHostArgs, DirectoryPlaneArgs, IntuneProfilesArgs, NdesHostArgs
from .views import app_proxy_view, ca_view, directory_view, host_view, intune_view


def _expose(res: Any, values: dict[str, Any]) -> None:
    """Set a plane's typed Output attributes (attribute name -> value or Output) from what the plane built."""
    for attr, value in values.items():
        setattr(res, attr, pulumi.Output.from_input(value))


class DirectoryPlane(_directory.DirectoryPlane):
    """The NDES service account with its SPNs, the SSL and client certificate templates, and their issuance on
    the Enterprise CA, over LDAPS."""

    service_account_dn: pulumi.Output[str]
    service_account_sid: pulumi.Output[str]
    service_account_name: pulumi.Output[str]
    """DOMAIN\\name, once the account exists."""
    ssl_template_oid: pulumi.Output[str]
    client_template_oid: pulumi.Output[str]
    ssl_template_name: pulumi.Output[str]
    """Known once the template is issued on the CA."""
    client_template_name: pulumi.Output[str]

    def __init__(self, name: str, args: DirectoryPlaneArgs, opts: Optional[pulumi.ResourceOptions] = None):
        view, secrets = directory_view(args)
        super().__init__(name, view, secrets, opts,  # type: ignore[arg-type]  # the view has what the plane reads
                         computer_accounts=args.get("computer_accounts"))


class CaHost(_ca_host.CaHost):
    """"Request Certificates" for the NDES service account on the Enterprise CA, and the CA's certificates."""

    root_der_b64: pulumi.Output[str]
    issuing_der_b64: pulumi.Output[str]
    root_thumbprint: pulumi.Output[str]
    issuing_thumbprint: pulumi.Output[str]
    root_not_after: pulumi.Output[str]
    issuing_not_after: pulumi.Output[str]
    notes: pulumi.Output[list[str]]

    def __init__(self, name: str, args: CaHostArgs, opts: Optional[pulumi.ResourceOptions] = None):
        view, secrets, url = ca_view(args)
        super().__init__(name, view, secrets, service_account_sid=args.get("service_account_sid"),  # type: ignore[arg-type]
                         opts=opts, winrm_url=url)
        self.notes = notes_of(self.resources)


class NdesHost(_ndes_host.NdesHost):
    """One NDES server over WinRM: features, IIS_IUSRS, the NDES role, IIS and HTTP.sys limits, the one restart,
    the SSL certificate and binding, the MSCEP mapping and the Intune Certificate Connector."""

    scep_url: pulumi.Output[str]
    ssl_thumbprint: pulumi.Output[str]
    ssl_not_after: pulumi.Output[str]
    ra_not_after: pulumi.Output[str]
    """Expiry of the RA certificates: NDES stops issuing when they expire (two years)."""
    ra_days_left: pulumi.Output[int]
    connector_registered: pulumi.Output[bool]
    connector_instruction: pulumi.Output[str]
    """What an administrator must do (the connector's registration is an interactive sign-in)."""
    connector_certificate_not_after: pulumi.Output[str]
    notes: pulumi.Output[list[str]]

    def __init__(self, name: str, args: NdesHostArgs, opts: Optional[pulumi.ResourceOptions] = None):
        view, host, secrets, url = host_view(args)
        super().__init__(name, view, host, 0, secrets, winrm_url=url, opts=opts,  # type: ignore[arg-type]
                         ssl_template_oid=args.get("ssl_template_oid"))
        o: dict[str, Any] = self.outputs
        _expose(self, {"scep_url": o["scepUrl"], "ssl_thumbprint": o["sslThumbprint"],
                       "ssl_not_after": o["sslNotAfter"], "ra_not_after": o["raNotAfter"],
                       "ra_days_left": o["raDaysLeft"], "connector_registered": o["connectorRegistered"],
                       "connector_instruction": o["connectorInstruction"],
                       "connector_certificate_not_after": o["connectorCertificateNotAfter"]})
        self.notes = notes_of(self.resources)


class AppProxy(_app_proxy.AppProxy):
    """Each NDES host published through Entra application proxy (internal URL -> external URL, passthrough)."""

    application_ids: pulumi.Output[dict[str, str]]
    """NDES host FQDN -> application (client) id."""
    object_ids: pulumi.Output[dict[str, str]]
    service_principal_ids: pulumi.Output[dict[str, str]]
    external_urls: pulumi.Output[dict[str, str]]

    def __init__(self, name: str, args: AppProxyArgs, opts: Optional[pulumi.ResourceOptions] = None):
        view, secrets = app_proxy_view(args)
        super().__init__(name, view, secrets, opts)  # type: ignore[arg-type]
        by = self.outputs  # NDES host FQDN -> that host's outputs
        _expose(self, {attr: {k: v[key] for k, v in by.items()} for attr, key in (
            ("application_ids", "applicationId"), ("object_ids", "objectId"),
            ("service_principal_ids", "servicePrincipalId"), ("external_urls", "externalUrl"))})


class IntuneProfiles(_intune.Intune):
    """Intune trusted certificate profiles (root, and issuing CA where the platform needs it) and SCEP profiles,
    for an NDES given by its SCEP URLs and CA certificates."""

    TYPE = "ndes:index:IntuneProfiles"
    trusted_root_profile_ids: pulumi.Output[dict[str, str]]
    """platform -> id of the trusted root certificate profile."""
    issuing_ca_profile_ids: pulumi.Output[dict[str, str]]
    scep_profile_ids: pulumi.Output[dict[str, str]]
    """platform (or '<profile>-<platform>' for named profiles) -> id of the SCEP profile."""

    def __init__(self, name: str, args: IntuneProfilesArgs, opts: Optional[pulumi.ResourceOptions] = None):
        view, secrets, certs = intune_view(args)
        super().__init__(name, view, secrets, certs, opts)  # type: ignore[arg-type]
        o = self.outputs
        _expose(self, {"trusted_root_profile_ids": o["trustedRootProfiles"], "issuing_ca_profile_ids":
                       o["issuingCaProfiles"], "scep_profile_ids": o["scepProfiles"]})
