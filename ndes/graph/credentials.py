"""azure-identity credentials from GraphSettings, and token acquisition mapped to the client's errors.

App-only (the app's own identity, its application permissions): clientSecret -> ClientSecretCredential;
certificate -> CertificateCredential; workloadIdentity -> WorkloadIdentityCredential (pipelines federated with
Entra: AZURE_FEDERATED_TOKEN_FILE, no secret).
Delegated (a user signs in; what App Proxy's Graph APIs require, see docs/identities.md): azureCli ->
AzureCliCredential (a workstation after `az login`); deviceCode -> DeviceCodeCredential (the code to enter is
written to stderr, which Pulumi shows; the Azure CLI's public client unless clientId names another).
A custom cloud (the lab) disables instance discovery, as its authority is not one Entra knows.
"""
from __future__ import annotations

import re
import sys
import time
from typing import Any

from azure.core.exceptions import ClientAuthenticationError, ServiceRequestError, ServiceResponseError
from azure.identity import (AzureCliCredential, CertificateCredential, ClientSecretCredential,
                            CredentialUnavailableError, DeviceCodeCredential, WorkloadIdentityCredential)

from .clouds import Endpoints
from .errors import AuthenticationFailed, Unavailable
from .settings import GraphSettings
from .tls import requests_verify

_AADSTS = re.compile(r"(AADSTS\d+)[:\s]*([^\r\n]*)")


def build_credential(s: GraphSettings, ep: Endpoints) -> Any:
    common: dict[str, Any] = {"connection_verify": requests_verify(s.ca_bundle_pem, s.insecure_skip_tls_verify)}
    if s.credential == "azureCli":
        return AzureCliCredential(tenant_id=s.tenant_id)
    common["authority"] = ep.authority
    if ep.custom:
        common["disable_instance_discovery"] = True
    if s.credential == "deviceCode":
        kwargs = {"client_id": s.client_id} if s.client_id else {}
        return DeviceCodeCredential(tenant_id=s.tenant_id, prompt_callback=_prompt, timeout=DEVICE_CODE_WAIT,
                                    **kwargs, **common)
    if s.credential == "clientSecret":
        return ClientSecretCredential(s.tenant_id, s.client_id, s.client_secret, **common)
    if s.credential == "certificate":
        return CertificateCredential(s.tenant_id, s.client_id, certificate_data=(s.certificate_pem or "").encode(),
                                     **common)
    return WorkloadIdentityCredential(tenant_id=s.tenant_id, client_id=s.client_id, **common)


DEVICE_CODE_WAIT = 600
"""Seconds a device code sign-in waits for the user before the call fails (Entra's codes live 15 minutes)."""


def _prompt(uri: str, code: str, expires_on: Any) -> None:
    print(f"Graph sign-in for App Proxy (ndes:graph.appProxy): open {uri} and enter the code {code} as a user "
          f"holding Application Administrator (the code expires at {expires_on:%H:%M} UTC)", file=sys.stderr,
          flush=True)


def who(s: GraphSettings) -> str:
    """The identity a credential signs in as, for messages."""
    if s.credential == "azureCli":
        return "the user signed in to the Azure CLI (az login)"
    if s.credential == "deviceCode":
        return "the user who completes the device code sign-in"
    return f"client {s.client_id}"


def sign_in_fix(s: GraphSettings) -> str:
    if s.credential == "azureCli":
        return (f"Sign in as a user holding Application Administrator: az login --tenant {s.tenant_id} "
                "--allow-no-subscriptions")
    if s.credential == "deviceCode":
        return "Enter the code shown as a user holding Application Administrator, within the time it is valid"
    return ("Check graph.clientId, graph.tenantId and the secret or certificate (a client secret expires: make a "
            "new one in the app registration)")


def _scrub(text: str, s: GraphSettings) -> str:
    for secret in (s.client_secret, s.certificate_pem):
        if secret:
            text = text.replace(secret, "***")
    return text


class TokenSource:
    """Bearer tokens for one credential, cached until five minutes before they expire."""

    def __init__(self, settings: GraphSettings, ep: Endpoints, credential: Any | None = None):
        self._s = settings
        self._ep = ep
        self._own_credential = credential is None
        self._cred = credential if credential is not None else build_credential(settings, ep)
        self._token: str | None = None
        self._expires = 0.0

    def invalidate(self) -> None:
        """Forget the token Graph refused (revoked, or signed by a key the tenant rolled). azure-identity keeps its
        own cache and would hand the same token back, so a credential we built is built again."""
        self._token = None
        if self._own_credential:
            self._cred = build_credential(self._s, self._ep)

    def token(self) -> str:
        if self._token and time.time() < self._expires - 300:
            return self._token
        s = self._s
        try:
            tok = self._cred.get_token(self._ep.scope, tenant_id=s.tenant_id)
        except ClientAuthenticationError as exc:
            text = _scrub(str(getattr(exc, "message", "") or exc), s)
            m = _AADSTS.search(text)
            if m:
                detail = f"{m.group(1)}: {m.group(2).split('. ')[0].strip()}"
            else:
                detail = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
            if not m and re.search(r"CERTIFICATE_VERIFY_FAILED|SSLError|\[SSL", text):
                raise Unavailable(f"failed to sign in to tenant {s.tenant_id} at {self._ep.authority}: TLS "
                                  f"verification failed ({detail}); trust the authority's CA with "
                                  "ndes:graph.caBundle") from None
            if not m and re.search(r"Max retries exceeded|Connection(Error| refused|ResetError)|timed out", text):
                raise Unavailable(f"failed to sign in to tenant {s.tenant_id} at {self._ep.authority}: no answer "
                                  f"({detail})") from None
            if isinstance(exc, CredentialUnavailableError):
                raise AuthenticationFailed(f"failed to sign in to tenant {s.tenant_id} at {self._ep.authority}: "
                                           f"the {s.credential} credential is unavailable ({detail}). "
                                           f"{sign_in_fix(s)}") from None
            raise AuthenticationFailed(
                f"failed to sign in to tenant {s.tenant_id} at {self._ep.authority}: the tenant refused the "
                f"client credentials for {who(s)} ({detail}; credential {s.credential}). {sign_in_fix(s)}",
                code=m.group(1) if m else "") from None
        except (ServiceRequestError, ServiceResponseError) as exc:
            raise Unavailable(f"failed to sign in to tenant {s.tenant_id} at {self._ep.authority}: "
                              f"{_scrub(str(exc), s).splitlines()[0] if str(exc) else type(exc).__name__}") from None
        self._token, self._expires = tok.token, float(tok.expires_on)
        return self._token
