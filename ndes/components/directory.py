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

from ..declare import directory as declared_directory
from ..model.config import DeploymentConfig
from ..providers.resources import CertificateTemplate, TemplateIssuance, resource_of
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
        declared = declared_directory.directory(
            cfg, password=secrets.get("serviceAccount.password")
            or pulumi.Output.secret(sa.password.get_secret_value()),
            # the NDES hosts' computer accounts; an Azure-built host's is an Output known after its domain join
            ssl_principals=computer_accounts)

        def resource(step: str, extra: pulumi.ResourceOptions | None = None, tail: dict[str, Any] | None = None) -> Any:
            """The declared resource `step` (the connection first, the SPN admin's logon last, as before)."""
            dd, res = declared[step], f"{name}-{step}"
            return resource_of(dd.provider)(res, {
                **conn, "owner": f"{prefix}/{res}", "configKey": dd.config_key, "adopt": dd.adopt, **dd.props,
                **(tail or {})}, pulumi.ResourceOptions.merge(child, extra))

        def after(*deps: pulumi.Resource) -> pulumi.ResourceOptions:
            return pulumi.ResourceOptions(depends_on=list(deps))

        self.service_account = resource("service-account", tail=connection.directory(cfg, secrets, spn_admin=True))
        self.ssl_template = resource("ssl-template")
        # the service account's name, known at preview (a preview must not show an unknown the up will not
        # change); depends_on makes the ACE wait for the account
        self.client_template = resource("client-template", after(self.service_account))
        # templateName is the configured name, known at preview: derived from the template's outputs it was
        # unknown whenever the template changed, and templateName forces a replace (un-issue, re-issue) that
        # the up never did. depends_on keeps the order: the template exists before it is issued.
        self.ssl_issuance = resource("ssl-issuance", after(self.ssl_template))
        self.client_issuance = resource("client-issuance", after(self.client_template))
        self.more_client_templates: list[CertificateTemplate] = []
        more_issuance: list[TemplateIssuance] = []
        for t in cfg.templates.more_clients:
            tpl = resource(f"client-template-{declared_directory.slug(t.name)}", after(self.service_account))
            self.more_client_templates.append(tpl)
            more_issuance.append(resource(f"client-issuance-{declared_directory.slug(t.name)}", after(tpl)))
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
