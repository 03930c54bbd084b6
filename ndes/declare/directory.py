"""The directory plane's resources: the service account and its SPNs, the SSL and client templates (and each of
templates.moreClients) with their Read + Enroll grants, and each template's issuance on the Enterprise CA
(ndes/components/directory.py instantiates them; ndes verify reads them)."""
from __future__ import annotations

from typing import Any

from ..model.config import ClientTemplateConfig, DeploymentConfig, SslTemplateConfig
from ..providers.certificate_template import CertificateTemplateProvider
from ..providers.service_account import ServiceAccountProvider
from ..providers.template_issuance import TemplateIssuanceProvider
from . import Declared


def slug(name: str) -> str:
    """A moreClients template's name as a resource name suffix ("NDES Wi-Fi" -> "ndes-wi-fi")."""
    return "".join(ch if ch.isalnum() else "-" for ch in name.lower()).strip("-")


def template(step: str, kind: str, t: SslTemplateConfig | ClientTemplateConfig, principals: Any,
             key: str) -> Declared:
    return Declared(step, CertificateTemplateProvider, key, {
        "kind": kind, "name": t.name, "displayName": t.display, "validity": t.validity,
        "renewalPeriod": t.renewal_period, "minimumKeySize": t.minimum_key_size, "keyUsage": t.key_usage,
        "extendedKeyUsage": t.extended_key_usage, "exportable": t.exportable,
        "enrolleeSuppliesSubject": t.enrollee_supplies_subject, "publishToAd": t.publish_to_ad,
        "enrollPrincipals": principals, "removeExtraGrants": t.remove_extra_grants}, t.adopt)


def issuance(step: str, cfg: DeploymentConfig, t: SslTemplateConfig | ClientTemplateConfig) -> Declared:
    """`templateName` is the configured name, known at preview (see ndes/components/directory.py)."""
    return Declared(step, TemplateIssuanceProvider, "ndes:ca.commonName",
                    {"caCommonName": cfg.ca.common_name, "templateName": t.name}, cfg.ca.adopt)


def directory(cfg: DeploymentConfig, *, password: Any = None, ssl_principals: Any = None) -> dict[str, Declared]:
    """The plane's resources in the guide's order, by step. `password` is the service account's (plain or a secret
    Output; the config's by default), `ssl_principals` who enrolls for the SSL template (the NDES hosts' computer
    accounts by default; an Azure-built host's is an Output known after its domain join)."""
    sa, d = cfg.service_account, cfg.domain
    if password is None:
        password = sa.password.get_secret_value()
    out = [
        Declared("service-account", ServiceAccountProvider, "ndes:serviceAccount", {
            "name": sa.name, "ou": sa.ou, "upn": f"{sa.name}@{d.dns_name}", "password": password,
            "enabled": True, "passwordNeverExpires": sa.password_never_expires, "description": sa.description,
            "spnHosts": [h.fqdn for h in cfg.ndes_hosts], "spnShortName": sa.spn_short_name}, sa.adopt),
        template("ssl-template", "ssl", cfg.templates.ssl,
                 ssl_principals or [h.computer_account for h in cfg.ndes_hosts], "ndes:templates.ssl"),
        template("client-template", "client", cfg.templates.client, [sa.name], "ndes:templates.client"),
        issuance("ssl-issuance", cfg, cfg.templates.ssl),
        issuance("client-issuance", cfg, cfg.templates.client),
    ]
    for i, t in enumerate(cfg.templates.more_clients):
        out += [template(f"client-template-{slug(t.name)}", "client", t, [sa.name], f"ndes:templates.moreClients[{i}]"),
                issuance(f"client-issuance-{slug(t.name)}", cfg, t)]
    return {x.step: x for x in out}

