"""The seed guide's eight cross-checks are pure rules in ndes/model/rules.py: the preview checks (config) and
the policy pack (resource inputs) call the same function, so they cannot drift apart."""
from __future__ import annotations

import importlib

import pytest

from ndes.model import rules


def test_key_usage_needs_the_template_with_that_purpose():
    assert rules.template_serves("GeneralPurposeTemplate", ["digitalSignature", "keyEncipherment"])
    assert not rules.template_serves("SignatureTemplate", ["keyEncipherment"])


@pytest.mark.parametrize("url,why", [
    ("https://ndes-contoso.msappproxy.net/certsrv/mscep/mscep.dll", None),
    ("http://ndes-contoso.msappproxy.net/certsrv/mscep/mscep.dll", "does not use https"),
    ("https://ndes-contoso.msappproxy.net/certsrv/mscep/mscep.dll?x=1", "carries a query or fragment"),
    ("https://ndes-contoso.msappproxy.net/certsrv/mscep/", "does not end in /certsrv/mscep/mscep.dll"),
])
def test_scep_url_format(url, why):
    assert rules.scep_url_problem(url) == why


def test_ssl_names_compare_without_case_or_final_dot():
    assert rules.missing_names(["NDES01.contoso.com.", "ndes-contoso.msappproxy.net"],
                               ["ndes01.contoso.com", "ndes-contoso.msappproxy.net"]) == []
    assert rules.missing_names(["ndes01.contoso.com"], ["ndes01.contoso.com", "ext.example"]) == ["ext.example"]


def test_ca_and_ndes_on_one_server():
    assert rules.same_server("CA1.contoso.com.", "ca1.contoso.com")
    assert not rules.same_server("ndes01.contoso.com", "ca1.contoso.com") and not rules.same_server("", "")


def test_key_size_apple_groups_and_tls():
    assert rules.key_too_small(1024) and not rules.key_too_small(2048) and rules.key_too_small(2048, 4096)
    assert rules.apple_refuses("ios", ["digitalSignature", "nonRepudiation"])
    assert not rules.apple_refuses("android", ["nonRepudiation"])
    assert rules.uncovered(["g1", "g2", "g3"], {"g2"}) == ["g1", "g3"]
    assert rules.tls_off_allowed("lab") and not rules.tls_off_allowed("prod") and not rules.tls_off_allowed(None)


@pytest.mark.parametrize("module,name", [
    ("policies.ndes_policies.mscep_mapping", "template_serves"),
    ("policies.ndes_policies.scep_profile", "scep_url_problem"),
    ("policies.ndes_policies.scep_profile", "apple_refuses"),
    ("policies.ndes_policies.scep_profile", "uncovered"),
    ("policies.ndes_policies.ssl_certificate", "missing_names"),
    ("policies.ndes_policies.host_separation", "same_server"),
    ("policies.ndes_policies.client_template", "key_too_small"),
    ("policies.ndes_policies.tls_verification", "tls_off_allowed"),
    ("ndes.model.checks", "template_serves"),
    ("ndes.model.checks", "missing_names"),
    ("ndes.model.checks", "same_server"),
    ("ndes.model.checks", "key_too_small"),
    ("ndes.model.checks", "tls_off_allowed"),
    ("ndes.model.profile_checks", "apple_refuses"),
    ("ndes.model.profile_checks", "uncovered"),
])
def test_the_policy_pack_and_the_preview_checks_call_the_one_rule(module, name):
    assert getattr(importlib.import_module(module), name) is getattr(rules, name)
