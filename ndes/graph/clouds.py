"""Graph and login endpoints of the national clouds, plus an explicit custom pair (the lab)."""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

CLOUDS: dict[str, tuple[str, str]] = {
    # cloud: (Graph endpoint, login authority)
    "global": ("https://graph.microsoft.com", "https://login.microsoftonline.com"),
    "usGov": ("https://graph.microsoft.us", "https://login.microsoftonline.us"),
    "usGovDoD": ("https://dod-graph.microsoft.us", "https://login.microsoftonline.us"),
    "china": ("https://microsoftgraph.chinacloudapi.cn", "https://login.chinacloudapi.cn"),
}


@dataclass(frozen=True)
class Endpoints:
    graph: str
    """Graph base URL without a trailing slash and without a version (https://graph.microsoft.com)."""
    authority: str
    """Login authority URL without a trailing slash."""
    custom: bool = False

    @property
    def scope(self) -> str:
        return f"{self.graph}/.default"

    @property
    def host(self) -> str:
        return self.graph.split("://", 1)[-1].split("/", 1)[0]


def require_https(url: str, key: str) -> str:
    """The URL without a trailing slash; refuses anything but https (a bearer token or a client secret would
    otherwise cross the network in clear)."""
    if urlsplit(url.strip()).scheme.lower() != "https" or not urlsplit(url.strip()).hostname:
        raise ValueError(f"{key} '{url}' must be an https URL (tokens and secrets travel over it)")
    return url.strip().rstrip("/")


def endpoints(cloud: str, graph_endpoint: str | None = None, authority: str | None = None) -> Endpoints:
    """Endpoints of a named cloud, or of `custom` (both URLs required); every URL https."""
    if graph_endpoint:
        graph_endpoint = require_https(graph_endpoint, "graphEndpoint")
    if authority:
        authority = require_https(authority, "authority")
    if cloud == "custom":
        if not graph_endpoint or not authority:
            raise ValueError("cloud custom needs graphEndpoint and authority")
        return Endpoints(graph_endpoint.rstrip("/"), authority.rstrip("/"), True)
    if cloud not in CLOUDS:
        raise ValueError(f"unknown cloud '{cloud}'; use one of {', '.join(CLOUDS)} or custom")
    g, a = CLOUDS[cloud]
    return Endpoints(graph_endpoint.rstrip("/") if graph_endpoint else g, authority.rstrip("/") if authority else a)
