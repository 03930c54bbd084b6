"""One NDES server over WinRM as an administrator of that host: features, IIS_IUSRS, the NDES role, IIS and
HTTP.sys limits, the one restart, the SSL certificate and binding, the MSCEP mapping, the Intune connector.

    pulumi config set fqdn ndes01.contoso.com; pulumi config set externalUrl https://ndes01-contoso.msappproxy.net/
    pulumi config set winrmUser 'CONTOSO\\pulumi-winrm'; pulumi config set --secret winrmPassword ...
    pulumi config set caConfig 'ca01.contoso.com\\Contoso Issuing CA'; pulumi config set serviceAccount 'CONTOSO\\svc-ndes'
    pulumi config set --secret serviceAccountPassword ...
    pulumi config set installUser 'CONTOSO\\ndes-install'; pulumi config set --secret installPassword ...
"""
import pulumi

import ndes

cfg = pulumi.Config()
connection = ndes.WinrmConnectionArgs(username=cfg.require("winrmUser"), password=cfg.require_secret("winrmPassword"))
for key, arg in (("winrmUrl", "url"), ("caBundle", "ca_bundle")):
    if cfg.get(key):
        connection[arg] = cfg.require(key)  # type: ignore[literal-required]

host = ndes.NdesHost("ndes-host", ndes.NdesHostArgs(
    fqdn=cfg.require("fqdn"), external_url=cfg.require("externalUrl"), connection=connection,
    ca_config=cfg.require("caConfig"), service_account=cfg.require("serviceAccount"),
    service_account_password=cfg.require_secret("serviceAccountPassword"),
    ndes_role=ndes.NdesRoleArgs(ra_company="Contoso", ra_country="US", install_credential=ndes.InstallCredentialArgs(
        username=cfg.require("installUser"), password=cfg.require_secret("installPassword"))),
))

pulumi.export("scepUrl", host.scep_url)
pulumi.export("raNotAfter", host.ra_not_after)
pulumi.export("sslNotAfter", host.ssl_not_after)
pulumi.export("connectorRegistered", host.connector_registered)
pulumi.export("connectorInstruction", host.connector_instruction)
pulumi.export("notes", host.notes)
