"""The hand-built NDES's Graph objects are written by raw requests from Graph's documented shapes
(lab/handbuilt_graph.py), not by the product. These tests hold the two apart and side by side: the fixture imports
nothing of ndes.graph or ndes.providers, and its bodies equal what the adopting stack declares, so adoption's
differences are the planted ones and a drift between the product's builders and Graph's documentation shows here
with the field that differs."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from lab import handbuilt, handbuilt_graph as hg
from tests.certs import der_b64, self_signed

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def cfg(monkeypatch, tmp_path):
    bundle = tmp_path / "ca.pem"
    bundle.write_text("not read by these tests\n")
    for k in ("NDES_LAB_BIND_PASSWORD", "NDES_LAB_SPN_ADMIN_PASSWORD", "NDES_LAB_WINRM_PASSWORD",
              "NDES_LAB_CA_WINRM_PASSWORD", "NDES_LAB_SERVICE_PASSWORD", "NDES_LAB_GRAPH_SECRET"):
        monkeypatch.setenv(k, "lab-only-Passw0rd!")
    monkeypatch.setenv("NDES_LAB_CA_BUNDLE", str(bundle))
    from ndes.cli import load
    return load(handbuilt.stack_config()["config"])


def test_the_fixture_uses_no_product_graph_code():
    tree = ast.parse((ROOT / "lab" / "handbuilt_graph.py").read_text())
    imported = {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert not [m for m in imported if m.startswith("ndes")], imported
    src = (ROOT / "lab" / "handbuilt.py").read_text()
    for product in ("ndes.providers", "ndes.graph", "GraphInputs"):
        assert product not in src, f"lab/handbuilt.py still uses {product}"


def _conn(cfg) -> dict:
    g = cfg.graph
    return {"tenantId": g.tenant_id, "clientId": g.client_id, "credential": g.credential,
            "clientSecret": g.client_secret.get_secret_value(), "cloud": g.cloud, "graphEndpoint": g.graph_endpoint,
            "authority": g.authority, "owner": ""}


def _der_b64() -> str:
    """A self-signed certificate's DER in base64 (the bodies carry it through unchanged)."""
    return der_b64(self_signed("hand-built root"))


ROOT_DER = _der_b64()


@pytest.mark.parametrize("platform", handbuilt.PLATFORMS)
def test_raw_bodies_equal_what_the_adopting_stack_declares(cfg, platform):
    from ndes.components.intune import issuing_file_name
    from ndes.model.graph_enums import PLATFORMS
    from ndes.providers.scep_profile import ScepProfileProvider, scep_body
    from ndes.providers.trusted_certificate_profile import TrustedCertificateProfileProvider

    it, sc = cfg.intune, cfg.intune.scep
    title = PLATFORMS[platform].title
    assert hg.TITLES[platform] == title
    tp = TrustedCertificateProfileProvider()
    root_name = f"{it.profile_name_prefix} Root CA - {title}"
    declared_root = tp.body(tp.Inputs.model_validate({
        **_conn(cfg), "platform": platform, "role": "root", "displayName": root_name, "certificate": ROOT_DER,
        "certFileName": it.trusted_root.cert_file_name, "groups": []}))
    assert hg.root_body(platform, root_name, ROOT_DER, it.trusted_root.cert_file_name) == declared_root
    assert hg.issuing_file_name(it.trusted_root.cert_file_name) == issuing_file_name(it.trusted_root.cert_file_name)

    name = f"{it.profile_name_prefix} SCEP - {title}"
    declared = scep_body(ScepProfileProvider.Inputs.model_validate({
        **_conn(cfg), "platform": platform, "displayName": name, "rootProfileId": "r", "scepServerUrls": cfg.scep_urls,
        "keyUsage": sc.key_usage, "keySize": sc.key_size, "hashAlgorithm": sc.hash_algorithm,
        "subjectNameFormat": sc.subject_name_format, "subjectName": sc.subject_name,
        "subjectAlternativeNames": [{"type": s.type, "value": s.value} for s in sc.sans_for(platform)],
        "extendedKeyUsage": sc.extended_key_usage, "validity": sc.validity,
        "renewalThresholdPercent": sc.renewal_threshold_percent, "certificateStore": sc.certificate_store,
        "keyStorageProvider": sc.key_storage_provider, "groups": []}))
    raw = hg.scep_body(platform, name, cfg.scep_urls)
    assert {k: raw.get(k) for k in declared} == declared and set(raw) == set(declared)


def test_app_proxy_bodies_follow_the_config(cfg):
    from ndes.providers.app_proxy_application import AppProxyApplicationProvider
    from ndes.graph.app_proxy import web_settings

    h, ap = cfg.ndes_hosts[0], cfg.app_proxy
    declared = AppProxyApplicationProvider.publishing(AppProxyApplicationProvider.Inputs.model_validate({
        **_conn(cfg), "displayName": ap.display_name, "externalUrl": h.external_url, "internalUrl": h.internal,
        "preAuthentication": ap.pre_authentication, "translateHostHeader": ap.translate_host_header,
        "translateLinksInBody": ap.translate_links_in_body, "enabled": True, "connectorGroup": ap.connector_group}))
    assert hg.publishing_body(cfg) == {"onPremisesPublishing": declared}
    assert hg.web_body(cfg) == web_settings(h.external_url)


def test_profile_names_one_per_object(cfg):
    names = hg.profile_names(cfg)
    assert len(names) == len(set(names)) == 5  # iOS root + SCEP; Android root + issuing + SCEP
