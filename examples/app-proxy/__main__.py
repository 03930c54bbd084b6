"""Only Entra application proxy: each NDES host published (internal https://<fqdn>/ -> external URL,
passthrough), signed in as a user holding Application Administrator (App Proxy's Graph APIs are delegated only).

    pulumi config set tenantId <tenant>
    pulumi config set --path 'hosts[0].fqdn' ndes01.contoso.com
    pulumi config set --path 'hosts[0].externalUrl' https://ndes01-contoso.msappproxy.net/
"""
import pulumi

import ndes

cfg = pulumi.Config()
apps = ndes.AppProxy("app-proxy", ndes.AppProxyArgs(
    graph=ndes.GraphConnectionArgs(tenant_id=cfg.require("tenantId"), credential="azureCli",
                                   app_proxy_credential=cfg.get("signIn") or "azureCli"),
    applications=[ndes.AppProxyApplicationArgs(fqdn=h["fqdn"], external_url=h["externalUrl"])
                  for h in cfg.require_object("hosts")],
    connector_group=cfg.get("connectorGroup") or "Default",
), opts=pulumi.ResourceOptions(transformations=[  # protect what hurts to lose, as NdesScepDeployment does
    ndes.protection(protect=cfg.get_bool("protect") is not False, retain_adopted=True)]))

pulumi.export("applicationIds", apps.application_ids)
pulumi.export("externalUrls", apps.external_urls)
