"""Only Active Directory: the NDES service account with its http/<host> SPNs, the SSL and client certificate
templates, and their issuance on the Enterprise CA, over LDAPS as the bind account (docs/identities.md). No WinRM,
no Graph.

    pulumi config set ldapUrl ldaps://dc01.contoso.com; pulumi config set bindUser pulumi-ndes@contoso.com
    pulumi config set --secret bindPassword ...; pulumi config set --secret serviceAccountPassword ...
    pulumi config set dnsName contoso.com; pulumi config set netbiosName CONTOSO
    pulumi config set caCommonName "Contoso Issuing CA"; pulumi config set --path 'ndesHosts[0]' ndes01.contoso.com
"""
import pulumi

import ndes

cfg = pulumi.Config()
connection = ndes.LdapConnectionArgs(url=cfg.require("ldapUrl"), bind_user=cfg.require("bindUser"),
                                     bind_password=cfg.require_secret("bindPassword"))
if cfg.get("caBundle"):
    connection["ca_bundle"] = cfg.require("caBundle")
if cfg.get("spnAdminUser"):  # a DC lets only an administrator add http/<host> while the host holds HOST/<host>
    connection["spn_admin_user"] = cfg.require("spnAdminUser")
    connection["spn_admin_password"] = cfg.require_secret("spnAdminPassword")

directory = ndes.DirectoryPlane("directory", ndes.DirectoryPlaneArgs(
    connection=connection,
    domain_dns_name=cfg.require("dnsName"),
    domain_netbios_name=cfg.require("netbiosName"),
    service_account=ndes.ServiceAccountArgs(name=cfg.get("serviceAccount") or "svc-ndes",
                                            password=cfg.require_secret("serviceAccountPassword"),
                                            ou=cfg.get("serviceAccountOu") or None),  # type: ignore[typeddict-item]
    ndes_hosts=cfg.require_object("ndesHosts"),
    ca_common_name=cfg.require("caCommonName"),
    ssl_template=ndes.CertificateTemplateArgs(name="NDES-SSL", validity="2 years"),
    client_template=ndes.CertificateTemplateArgs(name="NDES-Intune", validity="1 year"),
), opts=pulumi.ResourceOptions(transformations=[  # protect what hurts to lose, as NdesScepDeployment does
    ndes.protection(protect=cfg.get_bool("protect") is not False, retain_adopted=True)]))

pulumi.export("serviceAccountSid", directory.service_account_sid)
pulumi.export("serviceAccount", directory.service_account_name)
pulumi.export("sslTemplateName", directory.ssl_template_name)
pulumi.export("clientTemplateName", directory.client_template_name)
