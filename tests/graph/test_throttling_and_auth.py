"""Throttling storms, replication lag and a wrong client secret, end to end through the providers, the real
httpx + azure-identity client and the simulator."""
from __future__ import annotations

import time

import pytest

from ndes.graph import AuthenticationFailed, Throttled
from ndes.providers.app_proxy_application import AppProxyApplicationProvider
from ndes.providers.scep_profile import ScepProfileProvider
from ndes.providers.trusted_certificate_profile import TrustedCertificateProfileProvider

from .engine import Managed
from .test_app_proxy_application import props as app_props
from .test_intune_profiles import root_props, scep_props

pytestmark = pytest.mark.slow


def test_429_storm_within_budget_succeeds_without_duplicates(graph_sim, lab_ca_der):
    graph_sim.admin("/throttle", {"count": 3, "retryAfter": 1, "methods": ["POST"]})
    r = Managed(TrustedCertificateProfileProvider())
    t0 = time.monotonic()
    r.create(root_props(graph_sim, lab_ca_der, "ios"))
    elapsed = time.monotonic() - t0
    assert elapsed >= 3  # Retry-After was honoured, three times
    profiles = graph_sim.state()["deviceConfigurations"]
    assert list(profiles) == [r.id]
    # 3 throttled + 1 accepted create, and the assign
    assert graph_sim.stats()["POST /beta/deviceManagement/deviceConfigurations"] == 4


def test_503_storm_on_reads_then_success(graph_sim, lab_ca_der):
    graph_sim.admin("/throttle", {"count": 2, "retryAfter": 0, "status": 503, "methods": ["GET"]})
    r = Managed(AppProxyApplicationProvider())
    r.create(app_props(graph_sim))
    assert len(graph_sim.state()["applications"]) == 1


def test_429_storm_past_budget_fails_clearly_naming_what_was_throttled(graph_sim, lab_ca_der):
    graph_sim.admin("/throttle", {"count": 100, "retryAfter": 2, "pathContains": "deviceConfigurations"})
    r = Managed(TrustedCertificateProfileProvider())
    t0 = time.monotonic()
    with pytest.raises(Throttled) as exc:
        r.create(root_props(graph_sim, lab_ca_der, "macos", retryBudgetSeconds=5.0, retryAttempts=10))
    assert time.monotonic() - t0 < 10
    msg = str(exc.value)
    assert "trusted certificate profile 'NDES root CA - macos'" in msg
    assert "throttled" in msg and "429" in msg and "TooManyRequests" in msg and "request-id" in msg
    graph_sim.admin("/throttle", None)
    assert graph_sim.state()["deviceConfigurations"] == {}


def test_replication_lag_on_new_ids_is_waited_for(graph_sim, lab_ca_der):
    graph_sim.admin("/replication", {"requests": 3})
    root = Managed(TrustedCertificateProfileProvider())
    root.create(root_props(graph_sim, lab_ca_der, "androidWorkProfile"))
    scep = Managed(ScepProfileProvider())
    scep.create(scep_props(graph_sim, "androidWorkProfile", root.id))
    st = graph_sim.state()
    assert len(st["deviceConfigurations"]) == 2 and st["rootLinks"][scep.id] == root.id


def test_wrong_client_secret_fails_clearly_without_the_secret(graph_sim, lab_ca_der):
    wrong = "Wr0ng-secret-value-123!"
    r = Managed(TrustedCertificateProfileProvider())  # the app's own identity (App Proxy signs a user in)
    with pytest.raises(AuthenticationFailed) as exc:
        r.create(root_props(graph_sim, lab_ca_der, "ios", clientSecret=wrong))
    msg = str(exc.value)
    assert "the tenant refused the client credentials for client 0b5e1f0e-0000-4000-8000-00000000a11b" in msg
    assert "AADSTS7000215" in msg
    assert wrong not in msg and graph_sim.secret not in msg
    assert exc.value.__cause__ is None or wrong not in str(exc.value.__cause__)
    assert graph_sim.state()["deviceConfigurations"] == {}


def test_tls_is_verified_by_default(graph_sim):
    from ndes.graph import Unavailable
    r = Managed(AppProxyApplicationProvider())
    with pytest.raises(Unavailable) as exc:
        r.create(app_props(graph_sim, caBundle=None))
    assert "certificate" in str(exc.value).lower() or "ssl" in str(exc.value).lower()
    assert graph_sim.state()["applications"] == {}


def test_certificate_credential_signs_in(graph_sim, lab_ca_der):
    from lab.graph_sim.server import client_certificate_path
    pem = client_certificate_path().read_text()
    r = Managed(TrustedCertificateProfileProvider())
    r.create(root_props(graph_sim, lab_ca_der, "ios", credential="certificate", clientSecret=None,
                        certificatePem=pem))
    assert list(graph_sim.state()["deviceConfigurations"]) == [r.id]


def test_foreign_certificate_is_refused(graph_sim, lab_ca_der):
    from lab.pki import pki_dir
    foreign = (pki_dir() / "ca.key").read_text() + (pki_dir() / "ca.pem").read_text()
    r = Managed(TrustedCertificateProfileProvider())
    with pytest.raises(AuthenticationFailed, match="AADSTS700027"):
        r.create(root_props(graph_sim, lab_ca_der, "ios", credential="certificate", clientSecret=None,
                            certificatePem=foreign))
    assert graph_sim.state()["deviceConfigurations"] == {}


def test_429_storm_on_instantiate_leaves_one_application(graph_sim):
    graph_sim.admin("/throttle", {"count": 2, "retryAfter": 1, "pathContains": "/instantiate"})
    r = Managed(AppProxyApplicationProvider())
    r.create(app_props(graph_sim))
    assert list(graph_sim.state()["applications"]) == [r.id]
    assert graph_sim.stats()["POST /v1.0/applicationTemplates/{id}/instantiate"] == 3


def test_replication_lag_in_seconds_with_error_after_create(graph_sim):
    graph_sim.admin("/replication", {"seconds": 2})
    graph_sim.admin("/fail-after-create", {"count": 1, "status": 504})
    r = Managed(AppProxyApplicationProvider())
    r.create(app_props(graph_sim))
    apps = list(graph_sim.state()["applications"].values())
    assert len(apps) == 1 and apps[0]["id"] == r.id
    assert apps[0]["onPremisesPublishing"]["isOnPremPublishingEnabled"] is True


def test_workload_identity_signs_in_with_a_federated_token(graph_sim, lab_ca_der, tmp_path, monkeypatch):
    from lab.graph_sim.server import federated_token
    token_file = tmp_path / "token"
    token_file.write_text(federated_token())
    monkeypatch.setenv("AZURE_FEDERATED_TOKEN_FILE", str(token_file))
    r = Managed(TrustedCertificateProfileProvider())
    r.create(root_props(graph_sim, lab_ca_der, "windows", credential="workloadIdentity", clientSecret=None))
    assert list(graph_sim.state()["deviceConfigurations"]) == [r.id]
    # a token for another subject (another repository's pipeline) is refused
    token_file.write_text(federated_token(subject="repo:someone/else:ref:refs/heads/main"))
    other = Managed(TrustedCertificateProfileProvider())
    with pytest.raises(AuthenticationFailed, match="AADSTS700027"):
        other.create(root_props(graph_sim, lab_ca_der, "windows", credential="workloadIdentity", clientSecret=None,
                                displayName="other", retryAttempts=5))


def test_insecure_skip_tls_verify_is_the_only_way_to_turn_verification_off(graph_sim):
    r = Managed(AppProxyApplicationProvider())
    r.create(app_props(graph_sim, caBundle=None, insecureSkipTlsVerify=True))
    assert list(graph_sim.state()["applications"]) == [r.id]
