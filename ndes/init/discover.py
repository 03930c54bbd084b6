"""What `ndes init` reads instead of asking, read-only, through the project's own clients:

- the domain: its naming contexts from the DC's rootDSE (defaultNamingContext, configurationNamingContext), its DNS
  name from the domain's DN, its NetBIOS name from the crossRef in CN=Partitions of the configuration partition
  (attribute nETBIOSName; MS-ADTS 6.1.1.2.1.1.1 "Partitions container");
- the Enterprise CAs: the pKIEnrollmentService objects under CN=Enrollment Services,CN=Public Key Services,
  CN=Services,<configuration NC> (cn = the CA's name, dNSHostName = its host; MS-CRTD / MS-ADTS);
- the tenant: its initial domain from GET /v1.0/organization (verifiedDomains[isInitial]), hence the App Proxy
  default domain https://<name>-<initial domain prefix>.msappproxy.net/.

Nothing here writes; every function takes an open client (tests pass fakes).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..directory.escape import eq
from ..model.urls import APP_PROXY_DOMAIN


@dataclass(frozen=True)
class Domain:
    dns_name: str
    netbios_name: str
    domain_dn: str
    config_dn: str


@dataclass(frozen=True)
class EnterpriseCa:
    common_name: str
    host: str


def dns_name_of(dn: str) -> str:
    """DC=lab,DC=contoso,DC=test -> lab.contoso.test"""
    parts = [p.split("=", 1) for p in dn.split(",")]
    labels = [v for k, v in parts if k.strip().lower() == "dc"]
    if not labels:
        raise ValueError(f"'{dn}' is not a domain DN (no DC= components)")
    return ".".join(labels).lower()


def _first(attrs: dict[str, Any], name: str) -> str | None:
    for k, v in attrs.items():
        if k.lower() == name.lower():
            if isinstance(v, list):
                return str(v[0]) if v else None
            return None if v is None else str(v)
    return None


def domain(client: Any) -> Domain:
    domain_dn, config_dn = client.domain_dn, client.config_dn
    dns = dns_name_of(domain_dn)
    found = client.search(f"CN=Partitions,{config_dn}", f"(&(objectClass=crossRef){eq('nCName', domain_dn)})",
                          "one", ["nETBIOSName", "dnsRoot"], kind="crossRef")
    netbios = _first(found[0]["attributes"], "nETBIOSName") if found else None
    if not netbios:
        raise LookupError(f"no crossRef with a NetBIOS name for {domain_dn} in CN=Partitions,{config_dn}: answer "
                          "domain.netbiosName")
    return Domain(dns_name=dns, netbios_name=netbios.upper(), domain_dn=domain_dn, config_dn=config_dn)


def enterprise_cas(client: Any) -> list[EnterpriseCa]:
    base = f"CN=Enrollment Services,CN=Public Key Services,CN=Services,{client.config_dn}"
    out = []
    for e in client.search(base, "(objectClass=pKIEnrollmentService)", "one", ["cn", "dNSHostName"],
                           kind="enrollment service"):
        cn, host = _first(e["attributes"], "cn"), _first(e["attributes"], "dNSHostName")
        if cn and host:
            out.append(EnterpriseCa(common_name=cn, host=host.lower()))
    return sorted(out, key=lambda c: c.common_name.lower())


def initial_domain(graph: Any) -> str:
    from ..graph import app_proxy
    return app_proxy.initial_domain(graph)


def external_url(fqdn: str, initial: str) -> str:
    """The App Proxy default-domain URL for an NDES host: https://<short name>-<tenant prefix>.msappproxy.net/"""
    short = fqdn.split(".", 1)[0].lower()
    prefix = initial.split(".", 1)[0].lower()
    return f"https://{short}-{prefix}.{APP_PROXY_DOMAIN}/"
