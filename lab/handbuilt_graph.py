"""The Graph half of the hand-built NDES (lab/handbuilt.py): the App Proxy application and the Intune profiles an
admin makes in the Entra and Intune admin centers, sent here as raw HTTP requests (httpx) with bodies written
from Microsoft Graph's documentation, not from the product's providers or Graph client. Adoption is then tested
against objects the product did not build: a field our builders get wrong shows as a difference instead of being
made the same wrong way on both sides.

Shapes and calls (Microsoft Graph documentation):
- sign-in (checked against MicrosoftDocs/entra-docs docs/identity-platform/): client credentials, POST
  {authority}/{tenant}/oauth2/v2.0/token with grant_type=client_credentials, client_id, client_secret and
  scope={graph}/.default  https://learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow ;
  device code, POST .../oauth2/v2.0/devicecode {client_id, scope} -> device_code, interval, expires_in, then POST
  .../oauth2/v2.0/token {grant_type=urn:ietf:params:oauth:grant-type:device_code, client_id, device_code}, answered
  authorization_pending until the user signs in (the other documented errors, authorization_declined,
  bad_verification_code, expired_token, end the wait)
  https://learn.microsoft.com/entra/identity-platform/v2-oauth2-device-code
- App Proxy: POST /v1.0/applicationTemplates/8adf8e6e-67b2-4cf2-a259-e3dc5476c621/instantiate {displayName} (the
  non-gallery template; the answer is an applicationServicePrincipal: {application, servicePrincipal})
  https://learn.microsoft.com/graph/api/applicationtemplate-instantiate?view=graph-rest-1.0 ;
  PATCH /beta/applications/{id} {onPremisesPublishing: externalUrl, internalUrl, externalAuthenticationType
  (passthru | aadPreAuthentication), isTranslateHostHeaderEnabled, isTranslateLinksInBodyEnabled}
  https://learn.microsoft.com/graph/api/resources/onpremisespublishing ; identifierUris, web.redirectUris and
  web.homePageUrl, then PUT /beta/applications/{id}/connectorGroup/$ref, as Microsoft's tutorial does
  https://learn.microsoft.com/graph/application-proxy-configure-api
- trusted certificate profiles: POST /beta/deviceManagement/deviceConfigurations with @odata.type
  #microsoft.graph.iosTrustedRootCertificate (…androidWorkProfileTrustedRootCertificate, …
  windows81TrustedRootCertificate + destinationStore), trustedRootCertificate (base64 DER), certFileName
  https://learn.microsoft.com/en-us/graph/api/resources/intune-deviceconfig-iostrustedrootcertificate
- SCEP profiles: the same collection, #microsoft.graph.iosScepCertificateProfile (…androidWorkProfile…),
  scepServerUrls, keyUsage (flags "keyEncipherment,digitalSignature"), keySize (size2048), subjectNameFormat,
  subjectNameFormatString, customSubjectAlternativeNames [{sanType, name}], extendedKeyUsages [{name,
  objectIdentifier}], certificateValidityPeriodValue/Scale (years), renewalThresholdPercentage, hashAlgorithm
  (Android), certificateStore, and the root bound on create with rootCertificate@odata.bind
  https://learn.microsoft.com/en-us/graph/api/resources/intune-deviceconfig-iosscepcertificateprofile
  https://learn.microsoft.com/en-us/graph/api/intune-deviceconfig-androiddeviceownerscepcertificateprofile-create
- assignments: POST {profile}/assign {assignments: [{target: {@odata.type: #microsoft.graph.groupAssignmentTarget,
  groupId}}]}  https://learn.microsoft.com/en-us/graph/api/intune-deviceconfig-deviceconfiguration-assign
- clean-up: DELETE /v1.0/servicePrincipals/{id} and /v1.0/applications/{id} (both go to deleted items, restorable
  for 30 days), then DELETE /v1.0/directory/deletedItems/{id} of each (permanent; 204; application and
  servicePrincipal are among the supported types; Application.ReadWrite.All delegated, with Application
  Administrator or Global Administrator). Listing them needs the type cast (GET
  /directory/deletedItems/microsoft.graph.application; an untyped GET /directory/deletedItems is not supported)
  https://learn.microsoft.com/graph/api/directory-deleteditems-delete?view=graph-rest-1.0 ;
  https://learn.microsoft.com/graph/api/directory-deleteditems-list?view=graph-rest-1.0 ;
  https://learn.microsoft.com/graph/api/resources/directory
"""
from __future__ import annotations

import ssl
import time
from typing import Any, Callable

import httpx

ON_PREM_TEMPLATE = "8adf8e6e-67b2-4cf2-a259-e3dc5476c621"
AZURE_CLI_CLIENT = "04b07795-8ddb-461a-bbee-02f9e1bf7b46"
"""The Azure CLI's public client: the device code sign-in an admin completes with `az login --use-device-code`."""
PROFILES = "/beta/deviceManagement/deviceConfigurations"
CONNECTOR_GROUPS = "/beta/onPremisesPublishingProfiles/applicationProxy/connectorGroups"

# The admin's picks in the Intune admin center, as Graph stores them.
TITLES = {"ios": "iOS/iPadOS", "androidWorkProfile": "Android Enterprise work profile"}
"""The portal's platform names, which the guide puts in each profile's name."""
ROOT_TYPES = {"ios": "#microsoft.graph.iosTrustedRootCertificate",
              "androidWorkProfile": "#microsoft.graph.androidWorkProfileTrustedRootCertificate"}
SCEP_TYPES = {"ios": "#microsoft.graph.iosScepCertificateProfile",
              "androidWorkProfile": "#microsoft.graph.androidWorkProfileScepCertificateProfile"}
NEEDS_ISSUING = {"androidWorkProfile"}
"""The seed: Android needs the issuing CA trusted too, in a profile of its own."""
HAS_HASH_ALGORITHM = {"androidWorkProfile"}
"""hashAlgorithm exists on the Android SCEP types, not on iOS's."""
ROOT_DESCRIPTION = "CA certificate for NDES/SCEP (managed by Pulumi)"
SCEP_DESCRIPTION = "SCEP certificates from NDES (managed by Pulumi)"
"""The descriptions the adopting stack declares by default: the admin typed the same, so adoption's differences
stay the three planted ones."""
SCEP_SETTINGS: dict[str, Any] = {
    "keyUsage": "keyEncipherment,digitalSignature", "keySize": "size2048", "subjectNameFormat": "custom",
    "subjectNameFormatString": "CN={{UserPrincipalName}}",
    "customSubjectAlternativeNames": [{"sanType": "userPrincipalName", "name": "{{UserPrincipalName}}"}],
    "extendedKeyUsages": [{"name": "Client Authentication", "objectIdentifier": "1.3.6.1.5.5.7.3.2"}],
    "certificateValidityPeriodValue": 1, "certificateValidityPeriodScale": "years",
    "renewalThresholdPercentage": 20, "certificateStore": "user",
}
HASH_ALGORITHM = "sha2"
SID_SAN = {"sanType": "universalResourceIdentifier", "name": "{{OnPremisesSecurityIdentifier}}"}
"""The strong-mapping SAN (KB5014754) Microsoft's SCEP profile page asks for in user certificates on iOS/iPadOS,
macOS and Windows (not Android): https://learn.microsoft.com/intune/intune-service/protect/certificates-profile-scep"""
SID_SAN_PLATFORMS = {"ios", "macos", "windows"}


class GraphError(RuntimeError):
    pass


class RawGraph:
    """Bearer-token HTTP calls to one Graph endpoint; nothing of ndes.graph."""

    def __init__(self, base: str, token: str, verify: ssl.SSLContext):
        self.base = base.rstrip("/")
        self._http = httpx.Client(verify=verify, timeout=30.0, headers={"Authorization": f"Bearer {token}"})

    def url(self, path: str) -> str:
        return f"{self.base}{path}"

    def call(self, method: str, path: str, body: Any = None, params: dict | None = None,
             fresh: bool = False) -> Any:
        """One request; `fresh`: the object was just created, so a 404 is Graph's replication delay and is asked
        again for up to 30 s (the documented eventual consistency of directory objects)."""
        deadline = time.monotonic() + 30.0
        while True:
            r = self._http.request(method, self.url(path), json=body, params=params)
            if r.status_code == 404 and fresh and time.monotonic() < deadline:
                time.sleep(0.5)
                continue
            if r.status_code >= 400:
                raise GraphError(f"{method} {path}: HTTP {r.status_code} {r.text[:500]}")
            return r.json() if r.content else None

    def list(self, path: str, params: dict | None = None) -> list[dict]:
        out, doc = [], self.call("GET", path, params=params)
        while True:
            out.extend(doc.get("value", []))
            nxt = doc.get("@odata.nextLink")
            if not nxt:
                return out
            doc = self._http.get(nxt).raise_for_status().json()

    def close(self) -> None:
        self._http.close()


def _quote(value: str) -> str:
    """An OData string literal (single quotes doubled)."""
    return "'" + value.replace("'", "''") + "'"


def _verify(cfg) -> ssl.SSLContext:
    """TLS verified against the stack's CA bundle (the lab CA), else the system's."""
    return ssl.create_default_context(cafile=cfg.graph.ca_bundle) if cfg.graph.ca_bundle \
        else ssl.create_default_context()


def _endpoints(cfg) -> tuple[str, str]:
    g = cfg.graph
    return (g.graph_endpoint or "https://graph.microsoft.com").rstrip("/"), \
        (g.authority or "https://login.microsoftonline.com").rstrip("/")


def app_token(cfg) -> str:
    """The Intune app's client-credentials token (its application permissions)."""
    graph, authority = _endpoints(cfg)
    g = cfg.graph
    r = httpx.post(f"{authority}/{g.tenant_id}/oauth2/v2.0/token", verify=_verify(cfg), timeout=30.0, data={
        "grant_type": "client_credentials", "client_id": g.client_id,
        "client_secret": g.client_secret.get_secret_value(), "scope": f"{graph}/.default"})
    if r.status_code != 200:
        raise GraphError(f"client credentials sign-in: HTTP {r.status_code} {r.text[:300]}")
    return r.json()["access_token"]


def admin_token(cfg, wait: float = 120.0, sleep: Callable[[float], None] = time.sleep) -> str:
    """The App Proxy admin's delegated token: a device code sign-in (the lab's signed-in browser user enters the
    code); polled at the interval the device code answer gives."""
    graph, authority = _endpoints(cfg)
    g = cfg.graph
    client = g.app_proxy.client_id or AZURE_CLI_CLIENT
    base = f"{authority}/{g.tenant_id}/oauth2/v2.0"
    with httpx.Client(verify=_verify(cfg), timeout=30.0) as http:
        r = http.post(f"{base}/devicecode", data={"client_id": client, "scope": f"{graph}/.default"})
        if r.status_code != 200:
            raise GraphError(f"device code: HTTP {r.status_code} {r.text[:300]}")
        flow = r.json()
        deadline = time.monotonic() + wait
        while True:
            t = http.post(f"{base}/token", data={"grant_type": "urn:ietf:params:oauth:grant-type:device_code",
                                                 "client_id": client, "device_code": flow["device_code"]})
            if t.status_code == 200:
                return t.json()["access_token"]
            if t.json().get("error") != "authorization_pending" or time.monotonic() > deadline:
                raise GraphError(f"device code sign-in: HTTP {t.status_code} {t.text[:300]}")
            sleep(float(flow.get("interval", 5)))


def clients(cfg) -> tuple[RawGraph, RawGraph]:
    """(the Intune app, the App Proxy admin)."""
    graph, _ = _endpoints(cfg)
    return RawGraph(graph, app_token(cfg), _verify(cfg)), RawGraph(graph, admin_token(cfg), _verify(cfg))


# ---------------------------------------------------------------------------------------------- request bodies
def publishing_body(cfg) -> dict[str, Any]:
    h, ap = cfg.ndes_hosts[0], cfg.app_proxy
    auth = {"passthrough": "passthru", "aadPreAuthentication": "aadPreAuthentication"}[ap.pre_authentication]
    return {"onPremisesPublishing": {
        "externalUrl": h.external_url, "internalUrl": h.internal, "externalAuthenticationType": auth,
        "isTranslateHostHeaderEnabled": ap.translate_host_header,
        "isTranslateLinksInBodyEnabled": ap.translate_links_in_body}}


def web_body(cfg) -> dict[str, Any]:
    ext = cfg.ndes_hosts[0].external_url
    return {"identifierUris": [ext.rstrip("/")], "web": {"redirectUris": [ext], "homePageUrl": ext}}


def root_body(platform: str, name: str, der_b64: str, file_name: str) -> dict[str, Any]:
    return {"@odata.type": ROOT_TYPES[platform], "displayName": name, "description": ROOT_DESCRIPTION,
            "trustedRootCertificate": der_b64, "certFileName": file_name}


def scep_body(platform: str, name: str, scep_urls: list[str]) -> dict[str, Any]:
    body = {"@odata.type": SCEP_TYPES[platform], "displayName": name, "description": SCEP_DESCRIPTION,
            "scepServerUrls": list(scep_urls), **SCEP_SETTINGS}
    if platform in HAS_HASH_ALGORITHM:
        body["hashAlgorithm"] = HASH_ALGORITHM
    if platform in SID_SAN_PLATFORMS:
        body["customSubjectAlternativeNames"] = [*body["customSubjectAlternativeNames"], SID_SAN]
    return body


def group_assignment(group_ids: list[str]) -> dict[str, Any]:
    return {"assignments": [{"target": {"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": g}}
                            for g in group_ids]}


def issuing_file_name(root_file: str) -> str:
    stem, dot, ext = root_file.rpartition(".")
    return f"{stem}-issuing.{ext}" if dot else f"{root_file}-issuing"


def profile_names(cfg) -> list[str]:
    it, out = cfg.intune, []
    for platform in it.platforms:
        out.append(f"{it.profile_name_prefix} Root CA - {TITLES[platform]}")
        if platform in NEEDS_ISSUING:
            out.append(f"{it.profile_name_prefix} Issuing CA - {TITLES[platform]}")
        out.append(f"{it.profile_name_prefix} SCEP - {TITLES[platform]}")
    return out


# ---------------------------------------------------------------------------------------------- build / read / clean
def build_app_proxy(admin: RawGraph, cfg) -> str:
    """Enterprise applications > New application > On-premises application, then the App Proxy settings."""
    ap = cfg.app_proxy
    made = admin.call("POST", f"/v1.0/applicationTemplates/{ON_PREM_TEMPLATE}/instantiate",
                      {"displayName": ap.display_name})
    app_id = made["application"]["id"]
    admin.call("PATCH", f"/beta/applications/{app_id}", publishing_body(cfg), fresh=True)
    admin.call("PATCH", f"/v1.0/applications/{app_id}", web_body(cfg), fresh=True)
    groups = [g for g in admin.list(CONNECTOR_GROUPS) if g.get("name") == ap.connector_group]
    if not groups:
        raise GraphError(f"no connector group named {ap.connector_group!r} in the tenant")
    admin.call("PUT", f"/beta/applications/{app_id}/connectorGroup/$ref",
               {"@odata.id": admin.url(f"{CONNECTOR_GROUPS}/{groups[0]['id']}")}, fresh=True)
    return app_id


def build_profiles(c: RawGraph, cfg, root_der: str, issuing_der: str, echo) -> None:
    it = cfg.intune
    groups = sorted({g.id.lower() for g in [*it.trusted_root_groups, *it.scep.groups] if g.id})
    scep_groups = sorted({g.id.lower() for g in it.scep.groups if g.id})
    prefix, file_name = it.profile_name_prefix, it.trusted_root.cert_file_name
    for platform in it.platforms:
        title = TITLES[platform]
        root = c.call("POST", PROFILES, root_body(platform, f"{prefix} Root CA - {title}", root_der, file_name))
        c.call("POST", f"{PROFILES}/{root['id']}/assign", group_assignment(groups), fresh=True)
        if platform in NEEDS_ISSUING:
            issuing = c.call("POST", PROFILES, root_body(platform, f"{prefix} Issuing CA - {title}", issuing_der,
                                                         issuing_file_name(file_name)))
            c.call("POST", f"{PROFILES}/{issuing['id']}/assign", group_assignment(groups), fresh=True)
        body = {**scep_body(platform, f"{prefix} SCEP - {title}", cfg.scep_urls),
                "rootCertificate@odata.bind": c.url(f"{PROFILES}('{root['id']}')")}
        scep = c.call("POST", PROFILES, body)
        c.call("POST", f"{PROFILES}/{scep['id']}/assign", group_assignment(scep_groups), fresh=True)
        echo(f"Intune {title}: trusted root{' + issuing' if platform in NEEDS_ISSUING else ''} and SCEP profiles")


def find_applications(c: RawGraph, name: str) -> list[dict]:
    return c.list("/v1.0/applications", {"$filter": f"displayName eq {_quote(name)}",
                                         "$select": "id,appId,displayName"})


def find_profiles(c: RawGraph, name: str) -> list[dict]:
    return c.list(PROFILES, {"$filter": f"displayName eq {_quote(name)}"})


def ids(c: RawGraph, cfg) -> dict[str, str]:
    out = {a["displayName"]: a["id"] for a in find_applications(c, cfg.app_proxy.display_name)}
    for name in profile_names(cfg):
        out.update({p["displayName"]: p["id"] for p in find_profiles(c, name)})
    return out


def _delete(c: RawGraph, path: str) -> bool:
    try:
        c.call("DELETE", path)
        return True
    except GraphError as exc:
        if "HTTP 404" in str(exc):
            return False
        raise


def delete_application(admin: RawGraph, app: dict) -> None:
    """Delete the service principal and the application and purge both from deleted items (a re-build reuses
    the name)."""
    for sp in admin.list("/v1.0/servicePrincipals", {"$filter": f"appId eq {_quote(app['appId'])}"}):
        if _delete(admin, f"/v1.0/servicePrincipals/{sp['id']}"):
            _delete(admin, f"/v1.0/directory/deletedItems/{sp['id']}")
    if _delete(admin, f"/v1.0/applications/{app['id']}"):
        _delete(admin, f"/v1.0/directory/deletedItems/{app['id']}")


def delete_profile(c: RawGraph, profile_id: str) -> None:
    _delete(c, f"{PROFILES}/{profile_id}")
