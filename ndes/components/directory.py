"""DirectoryPlane: the seed guide's Active Directory steps, over LDAPS, no Windows jump host.

    ServiceAccount       svc-ndes (password, enabled, never expires), SPN http/<each NDES FQDN>
    CertificateTemplate  the SSL template (from Web Server), Read + Enroll for each NDES computer account
    CertificateTemplate  the client template (from User), Read + Enroll for the service account
    TemplateIssuance     each template issued on the Enterprise CA (ndes:ca.commonName)

The service account's password arrives as a secret Output; the bind (ndes:domain's URL, account, password, CA
bundle) is the `connection` the providers resolve from the stack config (ndes/providers/connections.py).
"""
from __future__ import annotations

from typing import Any

import pulumi

from ..model.config import ClientTemplateConfig, DeploymentConfig, SslTemplateConfig
from ..providers.resources import CertificateTemplate
from ..providers.resources import ServiceAccount
from ..providers.resources import TemplateIssuance
from . import connection


class DirectoryPlane(pulumi.ComponentResource):
    """The service account, its SPNs, both templates and their issuance.

    Attributes: service_account, ssl_template, client_template, ssl_issuance, client_issuance, resources, and
    the Outputs service_account_dn, service_account_sid, service_account_name (DOMAIN\\name, once the account
    exists), ssl_template_oid, client_template_oid, ssl_template_name / client_template_name (known once the
    template is issued on the CA: what a certificate request or the MSCEP registry should wait for).
    """

    def __init__(self, name: str, cfg: DeploymentConfig, secrets: dict[str, Any],
                 opts: pulumi.ResourceOptions | None = None, owner_prefix: str | None = None,
                 computer_accounts: list[Any] | None = None):
        super().__init__("ndes:index:DirectoryPlane", name, None, opts)
        prefix = owner_prefix or f"{pulumi.get_project()}/{pulumi.get_stack()}"
        d = cfg.domain
        conn = {
            **connection.directory(cfg, secrets),  # ndes:domain: the bind, its CA bundle, the reader DCs
            "preflight": True,  # check() asks AD what the bind account may do; never stored (directory_preflight)
        }
        child = pulumi.ResourceOptions(parent=self)
        sa = cfg.service_account

        def meta(res: str, key: str, adopt: bool) -> dict[str, Any]:
            return {"owner": f"{prefix}/{res}", "configKey": f"ndes:{key}", "adopt": adopt}

        self.service_account = ServiceAccount(f"{name}-service-account", {
            **conn, **meta(f"{name}-service-account", "serviceAccount", sa.adopt),
            "name": sa.name, "ou": sa.ou, "upn": f"{sa.name}@{d.dns_name}",
            "password": secrets.get("serviceAccount.password") or pulumi.Output.secret(sa.password.get_secret_value()),
            "enabled": True, "passwordNeverExpires": sa.password_never_expires, "description": sa.description,
            "spnHosts": [h.fqdn for h in cfg.ndes_hosts], "spnShortName": sa.spn_short_name,
            **connection.directory(cfg, secrets, spn_admin=True),  # inline only: the SPN admin's logon
        }, child)

        def template(res: str, kind: str, t: SslTemplateConfig | ClientTemplateConfig, principals: list[Any],
                     extra: pulumi.ResourceOptions | None = None, key: str | None = None) -> CertificateTemplate:
            return CertificateTemplate(res, {
                **conn, **meta(res, key or f"templates.{kind}", t.adopt),
                "kind": kind, "name": t.name, "displayName": t.display, "validity": t.validity,
                "renewalPeriod": t.renewal_period, "minimumKeySize": t.minimum_key_size, "keyUsage": t.key_usage,
                "extendedKeyUsage": t.extended_key_usage, "exportable": t.exportable,
                "enrolleeSuppliesSubject": t.enrollee_supplies_subject, "publishToAd": t.publish_to_ad,
                "enrollPrincipals": principals, "removeExtraGrants": t.remove_extra_grants,
            }, pulumi.ResourceOptions.merge(child, extra))

        # the NDES hosts' computer accounts; an Azure-built host's is an Output known after its domain join
        self.ssl_template = template(f"{name}-ssl-template", "ssl", cfg.templates.ssl,
                                     computer_accounts or [h.computer_account for h in cfg.ndes_hosts])
        # the service account's name, known at preview (a preview must not show an unknown the up will not
        # change); depends_on makes the ACE wait for the account
        self.client_template = template(f"{name}-client-template", "client", cfg.templates.client, [sa.name],
                                        pulumi.ResourceOptions(depends_on=[self.service_account]))

        def issuance(res: str, tpl: CertificateTemplate, t: SslTemplateConfig | ClientTemplateConfig) -> TemplateIssuance:
            # templateName is the configured name, known at preview: derived from the template's outputs it was
            # unknown whenever the template changed, and templateName forces a replace (un-issue, re-issue) that
            # the up never did. depends_on keeps the order: the template exists before it is issued.
            return TemplateIssuance(res, {
                **conn, **meta(res, "ca.commonName", cfg.ca.adopt),
                "caCommonName": cfg.ca.common_name, "templateName": t.name,
            }, pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=[tpl])))

        self.ssl_issuance = issuance(f"{name}-ssl-issuance", self.ssl_template, cfg.templates.ssl)
        self.client_issuance = issuance(f"{name}-client-issuance", self.client_template, cfg.templates.client)
        self.more_client_templates: list[CertificateTemplate] = []
        more_issuance: list[TemplateIssuance] = []
        for i, t in enumerate(cfg.templates.more_clients):
            slug = "".join(ch if ch.isalnum() else "-" for ch in t.name.lower()).strip("-")
            tpl = template(f"{name}-client-template-{slug}", "client", t, [sa.name],
                           pulumi.ResourceOptions(depends_on=[self.service_account]),
                           key=f"templates.moreClients[{i}]")
            self.more_client_templates.append(tpl)
            more_issuance.append(issuance(f"{name}-client-issuance-{slug}", tpl, t))
        self.resources: list[pulumi.Resource] = [self.service_account, self.ssl_template, self.client_template,
                                                 self.ssl_issuance, self.client_issuance,
                                                 *self.more_client_templates, *more_issuance]
        self.service_account_dn = self.service_account.dn
        self.service_account_sid = self.service_account.sid
        self.service_account_name = self.service_account.dn.apply(lambda _dn: d.logon_name(sa.name))
        self.ssl_template_oid = self.ssl_template.oid
        self.ssl_template_name = self.ssl_issuance.templateName
        self.client_template_name = self.client_issuance.templateName
        self.client_template_oid = self.client_template.oid
        self.register_outputs({
            "serviceAccountDn": self.service_account_dn, "serviceAccountSid": self.service_account_sid,
            "serviceAccountSpns": self.service_account.spns,
            "sslTemplateOid": self.ssl_template_oid, "clientTemplateOid": self.client_template_oid,
        })
