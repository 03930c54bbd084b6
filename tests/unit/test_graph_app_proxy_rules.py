"""App Proxy rules that need no server (issue 15 items 1 and 4): isOnPremPublishingEnabled is never written,
custom domains are refused at preview, the expected default-domain URL is derived from the initial domain."""
from __future__ import annotations

import pytest

from ndes.model import ConfigError, load_config
from ndes.model.urls import expected_external_url, external_url_problem
from ndes.providers.app_proxy_application import AppProxyApplicationProvider, AppProxyInputs

from .sample_config import sample
from .test_graph_providers import CONN

APP = {**CONN, "displayName": "NDES", "externalUrl": "https://ndes01-contoso.msappproxy.net/",
       "internalUrl": "https://ndes01.contoso.com/", "configKey": "ndes:appProxy"}


def test_publishing_never_writes_the_read_only_enabled_flag():
    body = AppProxyApplicationProvider.publishing(AppProxyInputs.model_validate(APP))
    assert "isOnPremPublishingEnabled" not in body
    assert body["externalAuthenticationType"] == "passthru"


def test_enabled_false_is_refused_with_the_reason():
    with pytest.raises(ValueError, match="read-only"):
        AppProxyInputs.model_validate({**APP, "enabled": False})


def test_custom_domain_refused_by_the_inputs_and_the_config():
    with pytest.raises(ValueError, match="custom domain"):
        AppProxyInputs.model_validate({**APP, "externalUrl": "https://ndes.contoso.com/"})
    raw = sample(ndesHosts=[{"fqdn": "ndes01.contoso.com", "externalUrl": "https://ndes.contoso.com/"}])
    with pytest.raises(ConfigError) as exc:
        load_config(raw)
    assert "ndes:ndesHosts[0].externalUrl" in exc.value.keys and "custom domain" in str(exc.value)


@pytest.mark.parametrize("url,initial,want", [
    ("https://ndes01-contoso.msappproxy.net/", "fabrikam.onmicrosoft.com", "https://ndes01-fabrikam.msappproxy.net/"),
    ("https://ndes01.msappproxy.net/", "fabrikam.onmicrosoft.com", "https://ndes01-fabrikam.msappproxy.net/"),
    ("https://ndes01-fabrikam.msappproxy.net/scep/", "fabrikam.onmicrosoft.com",
     "https://ndes01-fabrikam.msappproxy.net/scep/"),
])
def test_expected_url_from_the_initial_domain(url, initial, want):
    assert expected_external_url(url, initial) == want
    assert (external_url_problem(url, initial) is None) == (url == want)
    if url != want:
        assert want in external_url_problem(url, initial)
