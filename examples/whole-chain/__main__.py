"""The whole chain from your own program: the same document as the `ndes` stack configuration (README,
Configuration), built in code, with the secrets as Inputs (here from this project's config; a Key Vault secret or
a random password works the same way).
"""
import pulumi

import ndes

cfg = pulumi.Config()
chain = ndes.NdesScepDeployment("ndes", ndes.NdesScepDeploymentArgs(
    config={
        "domain": {"dnsName": "contoso.com", "netbiosName": "CONTOSO", "ldapUrl": "ldaps://dc01.contoso.com",
                   "bindUser": "pulumi-ndes@contoso.com"},
        "winrm": {"username": "CONTOSO\\pulumi-winrm"},
        "ca": {"host": "ca01.contoso.com", "commonName": "Contoso Issuing CA"},
        "ndesHosts": [{"fqdn": "ndes01.contoso.com", "externalUrl": "https://ndes01-contoso.msappproxy.net/"}],
        "serviceAccount": {"name": "svc-ndes"},
        "ndesRole": {"installCredential": {"username": "CONTOSO\\ndes-install"}},
        "intune": {"platforms": ["ios", "androidWorkProfile", "windows"],
                   "scep": {"groups": [{"id": cfg.require("groupId")}]}},
        "graph": {"tenantId": cfg.require("tenantId"), "clientId": cfg.require("clientId")},
    },
    secrets=ndes.DeploymentSecretsArgs(
        bind_password=cfg.require_secret("bindPassword"), winrm_password=cfg.require_secret("winrmPassword"),
        service_account_password=cfg.require_secret("serviceAccountPassword"),
        install_credential_password=cfg.require_secret("installPassword"),
        graph_client_secret=cfg.require_secret("clientSecret")),
))

pulumi.export("scepUrls", chain.scep_urls)
pulumi.export("caCertificates", chain.ca_certificates)
pulumi.export("ndesHostState", chain.ndes_host_state)
pulumi.export("intuneProfileIds", chain.intune_profile_ids)
pulumi.export("notes", chain.notes)
