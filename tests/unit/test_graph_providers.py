"""Graph providers without a server: check (validation, unknowns at preview), diff (what replaces), the SCEP
body per platform and the admin's words it is derived from."""
from __future__ import annotations

import base64

import pytest

from ndes.model.graph_enums import PLATFORMS
from ndes.providers.app_proxy_application import AppProxyApplicationProvider
from ndes.providers.base import UNKNOWN
from ndes.providers.graph_connection import split_mark, with_mark
from ndes.providers.scep_profile import ScepInputs, ScepProfileProvider, scep_body
from ndes.providers.trusted_certificate_profile import TrustedCertificateProfileProvider

CONN = {"tenantId": "t", "clientId": "c", "clientSecret": "Graph-S3cret!"}
SCEP = {**CONN, "platform": "ios", "displayName": "NDES SCEP - iOS", "rootProfileId": "r1",
        "scepServerUrls": ["https://ndes01-contoso.msappproxy.net/certsrv/mscep/mscep.dll"],
        "configKey": "ndes:intune.scep"}


def test_check_reports_bad_values_against_the_config_key():
    res = ScepProfileProvider().check({}, {**SCEP, "keySize": 3072})
    assert [f.property for f in res.failures] == ["keySize"]
    assert res.failures[0].reason.startswith("ndes:intune.scep: Intune offers key sizes")


def test_check_passes_unknowns_through_at_preview():
    res = ScepProfileProvider().check({}, {**SCEP, "rootProfileId": UNKNOWN})
    assert not res.failures and res.inputs["rootProfileId"] == UNKNOWN


def test_check_normalises_to_the_words_read_returns():
    res = ScepProfileProvider().check({}, {**SCEP, "validity": "2 weeks", "keyUsage": ["keyEncipherment",
                                                                                        "digitalSignature"],
                                           "extendedKeyUsage": ["1.3.6.1.5.5.7.3.2"], "hashAlgorithm": "SHA256"})
    i = res.inputs
    assert i["validity"] == "14 days" and i["keyUsage"] == ["digitalSignature", "keyEncipherment"]
    assert i["extendedKeyUsage"] == ["clientAuth"] and i["hashAlgorithm"] == "sha2"


def test_platform_change_replaces():
    p = ScepProfileProvider()
    olds = p.check({}, SCEP).inputs
    d = p.diff("id", olds, p.check({}, {**SCEP, "platform": "macos"}).inputs)
    assert d.changes and "platform" in d.replaces
    d = p.diff("id", olds, p.check({}, {**SCEP, "keySize": 4096}).inputs)
    assert d.changes and not d.replaces


@pytest.mark.parametrize("platform", list(PLATFORMS))
def test_scep_body_per_platform(platform):
    inp = ScepInputs.model_validate({**SCEP, "platform": platform, "owner": "ndes/dev/x"})
    b = scep_body(inp)
    p = PLATFORMS[platform]
    assert b["@odata.type"] == p.scep_type
    assert b["keySize"] == "size2048" and b["keyUsage"] == "keyEncipherment,digitalSignature"
    assert (b["certificateValidityPeriodValue"], b["certificateValidityPeriodScale"]) == (1, "years")
    assert b["subjectNameFormatString"] == "CN={{UserPrincipalName}}"
    assert ("hashAlgorithm" in b) == p.has_hash_algorithm
    assert ("certificateStore" in b) == p.has_certificate_store
    assert ("keyStorageProvider" in b) == p.has_key_storage_provider
    assert split_mark(b["description"]) == ("SCEP certificates from NDES (managed by Pulumi)", "ndes/dev/x")


def test_owner_mark_round_trip():
    assert split_mark(with_mark("text", "p/s/r")) == ("text", "p/s/r")
    assert split_mark("hand written") == ("hand written", None)


def test_trusted_root_refuses_a_non_certificate():
    res = TrustedCertificateProfileProvider().check({}, {**CONN, "platform": "ios", "displayName": "x",
                                                         "certificate": base64.b64encode(b"nope").decode(),
                                                         "certFileName": "a.cer"})
    assert [f.property for f in res.failures] == ["certificate"]


def test_app_proxy_urls_normalised_and_secret_outputs_declared(monkeypatch):
    from ndes.graph import app_proxy
    asked = []
    monkeypatch.setattr(app_proxy, "initial_domain", lambda c: asked.append(c) or "contoso.onmicrosoft.com")
    res = AppProxyApplicationProvider().check({}, {**CONN, "displayName": "NDES",
                                                   "externalUrl": "HTTPS://NDES01-contoso.msappproxy.net",
                                                   "internalUrl": "https://ndes01.contoso.com:443"})
    assert res.inputs["externalUrl"] == "https://ndes01-contoso.msappproxy.net/"
    assert res.inputs["internalUrl"] == "https://ndes01.contoso.com/"
    assert not res.failures and len(asked) == 1  # the URL was checked against the tenant
    assert "clientSecret" in AppProxyApplicationProvider.secret_fields


def test_graph_errors_name_the_config_key_and_the_permission():
    from ndes.graph import AccessDenied

    class Refused(ScepProfileProvider):
        def find(self, inp):
            raise AccessDenied("failed to look up SCEP profile 'x' on Graph (graph.microsoft.com): 403 Forbidden",
                               status=403, code="Forbidden", request_id="r-1")

    props = ScepProfileProvider().check({}, SCEP).inputs
    with pytest.raises(AccessDenied) as exc:
        Refused().create(props)
    msg = str(exc.value)
    assert "DeviceManagementConfiguration.ReadWrite.All" in msg and "config: ndes:intune.scep" in msg
    assert exc.value.request_id == "r-1" and isinstance(exc.value.__cause__, AccessDenied)
