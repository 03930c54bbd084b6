"""Only the Intune profiles, for a tenant whose NDES already exists: the trusted root (and issuing CA) profiles and
the SCEP profiles of each platform, signed in as the Intune app (app-only Graph). No domain, CA or host access.

    pulumi config set tenantId <tenant>; pulumi config set clientId <app id>
    pulumi config set --secret clientSecret <secret>
    pulumi config set --path 'scepUrls[0]' https://ndes01-contoso.msappproxy.net/certsrv/mscep/mscep.dll
    pulumi config set rootCertificateDer "$(base64 -w0 root.cer)"       # and issuingCertificateDer (optional)
    pulumi config set --path 'groupIds[0]' <Entra group object id>

The SCEP URLs and certificates could as well come from another stack:
    onprem = pulumi.StackReference("contoso/ndes-onprem/prod")
    scep_urls=onprem.get_output("scepUrls"), root_certificate_der=onprem.get_output("caRootDer")
"""
import pulumi

import ndes

cfg = pulumi.Config()
graph = ndes.GraphConnectionArgs(tenant_id=cfg.require("tenantId"), client_id=cfg.require("clientId"),
                                 client_secret=cfg.require_secret("clientSecret"))
for key, arg in (("cloud", "cloud"), ("graphEndpoint", "graph_endpoint"), ("authority", "authority"),
                 ("caBundle", "ca_bundle")):  # a national or custom cloud (the offline lab is one)
    if cfg.get(key):
        graph[arg] = cfg.get(key)  # type: ignore[literal-required]

intune = ndes.IntuneProfiles("intune", ndes.IntuneProfilesArgs(
    graph=graph,
    scep_urls=cfg.require_object("scepUrls"),
    root_certificate_der=cfg.require("rootCertificateDer"),
    issuing_certificate_der=cfg.get("issuingCertificateDer"),
    platforms=cfg.get_object("platforms") or ["ios", "androidWorkProfile", "windows"],
    scep=ndes.ScepSettingsArgs(key_usage=["digitalSignature", "keyEncipherment"], validity="1 year",
                               groups=[ndes.GroupRefArgs(id=g) for g in cfg.require_object("groupIds")]),
), opts=pulumi.ResourceOptions(transformations=[  # protect what hurts to lose, as NdesScepDeployment does
    ndes.protection(protect=cfg.get_bool("protect") is not False, retain_adopted=True)]))

pulumi.export("trustedRootProfileIds", intune.trusted_root_profile_ids)
pulumi.export("issuingCaProfileIds", intune.issuing_ca_profile_ids)
pulumi.export("scepProfileIds", intune.scep_profile_ids)
