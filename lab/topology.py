"""Where each lab peer listens: one machine, each peer on its own loopback address.

The names are the ones the lab stack's configuration uses; the lab's certificates carry both the name and the
address, so clients verify TLS against the lab CA whether they connect by name or by address.
"""
from __future__ import annotations

REALM = "lab.contoso.test"
NETBIOS = "LAB"

DC = {"name": f"dc1.{REALM}", "address": "127.0.0.1", "ldaps_port": 636}
CA = {"name": f"ca1.{REALM}", "address": "127.0.0.12", "winrm_port": 5986, "common_name": "Lab Issuing CA"}
NDES_HOSTS = [
    {"name": f"ndes1.{REALM}", "address": "127.0.0.11", "winrm_port": 5986, "https_port": 443,
     "external_url": "https://ndes1-lab.msappproxy.net/"},
    {"name": f"ndes2.{REALM}", "address": "127.0.0.13", "winrm_port": 5986, "https_port": 443,
     "external_url": "https://ndes2-lab.msappproxy.net/"},
]
GRAPH = {"name": f"graph.{REALM}", "address": "127.0.0.20", "https_port": 443,
         "tenant_id": "11111111-2222-3333-4444-555555555555"}
APP_PROXY = {"address": "127.0.0.21", "https_port": 443, "domain": "msappproxy.net"}

WINRM_USER = f"{NETBIOS}\\pulumi-winrm"


def host_address(name: str) -> str | None:
    """The loopback address of a lab host name (for the simulators' own name resolution)."""
    for h in [DC, CA, GRAPH, *NDES_HOSTS]:
        if h["name"] == name.lower():
            return h["address"]
    if name.lower().endswith("." + APP_PROXY["domain"]):
        return APP_PROXY["address"]
    return None
