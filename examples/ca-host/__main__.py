"""Only the Enterprise CA: "Request Certificates" for the NDES service account, and the CA's certificates
(exported for an Intune stack), over WinRM as an administrator of the CA host.

    pulumi config set caHost ca01.contoso.com; pulumi config set caCommonName "Contoso Issuing CA"
    pulumi config set winrmUser 'CONTOSO\\pulumi-ca'; pulumi config set --secret winrmPassword ...
    pulumi config set serviceAccount 'CONTOSO\\svc-ndes'
"""
import pulumi

import ndes

cfg = pulumi.Config()
connection = ndes.WinrmConnectionArgs(username=cfg.require("winrmUser"), password=cfg.require_secret("winrmPassword"))
for key, arg in (("winrmUrl", "url"), ("caBundle", "ca_bundle")):
    if cfg.get(key):
        connection[arg] = cfg.require(key)  # type: ignore[literal-required]

ca = ndes.CaHost("ca-host", ndes.CaHostArgs(host=cfg.require("caHost"), common_name=cfg.require("caCommonName"),
                                           connection=connection, service_account=cfg.require("serviceAccount")))

pulumi.export("caRootDer", ca.root_der_b64)
pulumi.export("caIssuingDer", ca.issuing_der_b64)
pulumi.export("caRootThumbprint", ca.root_thumbprint)
pulumi.export("caIssuingNotAfter", ca.issuing_not_after)
pulumi.export("notes", ca.notes)
