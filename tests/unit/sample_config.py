"""A valid configuration of the whole chain, as raw stack config, for unit tests to bend."""
from __future__ import annotations

import copy

GROUP = "6f1c1e0a-1111-4a4a-9b9b-000000000001"

BASE = {
    "domain": {"dnsName": "contoso.com", "netbiosName": "CONTOSO", "ldapUrl": "ldaps://dc01.contoso.com",
               "bindUser": "pulumi@contoso.com", "bindPassword": "Bind-Pa55!"},
    "winrm": {"username": "CONTOSO\\pulumi", "password": "WinRM-Pa55!"},
    "ca": {"host": "ca01.contoso.com", "commonName": "Contoso Issuing CA"},
    "ndesHosts": [{"fqdn": "ndes01.contoso.com", "externalUrl": "https://ndes01-contoso.msappproxy.net/"}],
    "serviceAccount": {"name": "svc-ndes", "password": "Svc-Pa55!word"},
    "ndesRole": {"installCredential": {"username": "CONTOSO\\ndes-install", "password": "Install-Pa55!"}},
    "intune": {"platforms": ["ios", "androidWorkProfile", "windows"], "scep": {"groups": [{"id": GROUP}]}},
    "graph": {"tenantId": "t", "clientId": "c", "clientSecret": "Graph-S3cret!"},
}


def sample(**changes) -> dict:
    """BASE with dotted-path changes: sample(**{"intune.scep.keySize": 1024})."""
    cfg = copy.deepcopy(BASE)
    for path, value in changes.items():
        node = cfg
        parts = path.split(".")
        for p in parts[:-1]:
            node = node.setdefault(p, {})
        node[parts[-1]] = value
    return cfg
