"""URLs and names: App Proxy external URLs, SCEP server URLs, the SSL certificate's names.

One tested builder instead of string interpolation spread around.
"""
from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

MSCEP_PATH = "certsrv/mscep/mscep.dll"
APP_PROXY_DOMAIN = "msappproxy.net"
"""Entra application proxy's default domain: https://<name>-<tenant prefix>.msappproxy.net/."""
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def normalize_fqdn(name: str) -> str:
    """Lower-case DNS name without a trailing dot; raises ValueError for anything that is not one."""
    n = name.strip().rstrip(".").lower()
    if not n or len(n) > 253 or "." not in n or not all(_LABEL.match(p) for p in n.split(".")):
        raise ValueError(f"'{name}' is not a fully qualified DNS name (e.g. ndes01.contoso.com)")
    return n


def normalize_https_url(url: str, *, what: str = "URL") -> str:
    """https://host[:port]/path/ with the host lower-cased, default port dropped and one trailing slash."""
    raw = url.strip()
    if "://" not in raw:
        raise ValueError(f"{what} '{url}' has no scheme: write it as https://{raw.strip('/')}/")
    parts = urlsplit(raw)
    if parts.scheme.lower() != "https":
        raise ValueError(f"{what} '{url}' must use https (devices and App Proxy reach NDES over TLS)")
    if parts.query or parts.fragment:
        raise ValueError(f"{what} '{url}' must not carry a query or fragment")
    if parts.username or parts.password:
        raise ValueError(f"{what} '{url}' must not carry credentials")
    host = normalize_fqdn(parts.hostname or "")
    try:
        port = parts.port
    except ValueError:
        raise ValueError(f"{what} '{url}' has an invalid port") from None
    netloc = host if port in (None, 443) else f"{host}:{port}"
    path = "/" + "/".join(p for p in parts.path.split("/") if p)
    if not path.endswith("/"):
        path += "/"
    return urlunsplit(("https", netloc, path, "", ""))


def url_host(url: str) -> str:
    return urlsplit(url).hostname or ""


WINRM_HTTPS_PORT = 5986


def winrm_url(host: str) -> str:
    """The WinRM-over-HTTPS URL of a host: https://<host>:5986/wsman (the one place it is built)."""
    return f"https://{host}:{WINRM_HTTPS_PORT}/wsman"


def scep_url(external_url: str) -> str:
    """https://<external FQDN>/certsrv/mscep/mscep.dll from an App Proxy external URL (one per NDES server).

    Trailing slashes, upper case and the default port are normalised; a URL already ending in the mscep path
    is accepted as is.
    """
    base = normalize_https_url(external_url, what="external URL")
    if base.lower().endswith("/" + MSCEP_PATH + "/"):
        return base[:-1]
    return base + MSCEP_PATH


def ssl_names(external_url: str, internal_fqdn: str, common_name: str = "external") -> tuple[str, list[str]]:
    """(CN, SANs) of the NDES SSL certificate: SANs hold the external and the internal FQDN.

    CN = the external FQDN by default (a reader's comment on the seed guide and Microsoft's SCEP
    troubleshooting step 3); "internal" follows today's Intune doc.
    """
    ext = normalize_fqdn(url_host(normalize_https_url(external_url, what="external URL")))
    internal = normalize_fqdn(internal_fqdn)
    if common_name not in ("external", "internal"):
        raise ValueError("common name must be 'external' or 'internal'")
    cn = ext if common_name == "external" else internal
    sans = [ext] if ext == internal else [ext, internal]
    return cn, sans


def expected_external_url(external_url: str, initial: str) -> str:
    """The default-domain URL the tenant accepts for the name in `external_url` (its path kept)."""
    parts = urlsplit(external_url)
    prefix = initial.split(".", 1)[0]
    label = (parts.hostname or "").split(".", 1)[0]
    name = label[: -len(prefix) - 1] if label.endswith("-" + prefix) else (label.rsplit("-", 1)[0] or label)
    return f"https://{name}-{prefix}.{APP_PROXY_DOMAIN}{parts.path or '/'}"


def external_url_problem(external_url: str, initial: str | None) -> str | None:
    """Why Graph would refuse this external URL (None: it would not). `initial` None: only the offline part."""
    host = (urlsplit(external_url).hostname or "").lower()
    if not host.endswith("." + APP_PROXY_DOMAIN):
        return (f"{external_url} is on a custom domain: publishing on a custom domain needs the domain verified in "
                "Entra and its TLS certificate uploaded to the application, which this module does not do yet; use "
                f"the default domain https://<name>-<tenant prefix>.{APP_PROXY_DOMAIN}/")
    if initial is None:
        return None
    want = expected_external_url(external_url, initial)
    if host != (urlsplit(want).hostname or ""):
        return (f"{external_url} is not on this tenant's App Proxy domain: Graph answers ExternalUrl_InvalidAsciiRules "
                f"to it (after the application is created). The tenant's initial domain is {initial}, so the URL "
                f"must end in -{initial.split('.', 1)[0]}.{APP_PROXY_DOMAIN}: use {want}")
    return None
