"""Each CrossGuard policy's validate function, called with hand-built arguments as the engine builds them
(type tokens, props wrapped in pulumi_policy's unknown-checking proxy, numbers as floats, policy config):
a passing and a failing case each, asserting the message names what is wrong and the config key to change.
"""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from pulumi_policy import (EnforcementLevel, PolicyCustomTimeouts, PolicyResource, PolicyResourceOptions,
                           ResourceValidationArgs, StackValidationArgs)
from pulumi_policy.proxy import UNKNOWN_ARRAY_VALUE, UNKNOWN_STRING_VALUE, unknown_checking_proxy

from policies.ndes_policies import (ALL_POLICIES, app_proxy, certificate_expiry, client_template, host_separation,
                                    mscep_mapping, scep_profile, ssl_certificate, stack_config, tls_verification)
from policies.ndes_policies._common import UNKNOWN, kind_of, plain

PACK_DIR = Path(__file__).resolve().parents[2] / "policies"
TOKEN = "pulumi-python:dynamic/ndes:{}"
PASSWORD = "Winrm-S3cret!"
GROUP_A = "6f1c1e0a-1111-4a4a-9b9b-000000000001"
GROUP_B = "6f1c1e0a-1111-4a4a-9b9b-000000000002"


# ---- what the engine hands a policy ------------------------------------------------------------------------------
def _opts() -> PolicyResourceOptions:
    return PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [], None)


def _urn(kind: str, name: str) -> str:
    return f"urn:pulumi:lab::ndes::{TOKEN.format(kind)}::{name}"


def rargs(kind: str, props: dict[str, Any], config: dict[str, Any] | None = None,
          token: str | None = None) -> ResourceValidationArgs:
    return ResourceValidationArgs(token or TOKEN.format(kind), unknown_checking_proxy(props), _urn(kind, "r"), "r",
                                  _opts(), None, config)


def res(kind: str, name: str, props: dict[str, Any],
        property_dependencies: dict[str, list[PolicyResource]] | None = None) -> PolicyResource:
    return PolicyResource(TOKEN.format(kind), unknown_checking_proxy(props), _urn(kind, name), name, _opts(), None,
                          None, [], property_dependencies or {})


def sargs(*resources: PolicyResource, config: dict[str, Any] | None = None) -> StackValidationArgs:
    return StackValidationArgs(list(resources), config)


def run(validate, args) -> list[tuple[str, str | None]]:
    seen: list[tuple[str, str | None]] = []
    validate(args, lambda msg, urn=None: seen.append((msg, urn)))
    return seen


def endpoint(host: str, url: str | None = None, insecure: bool = False) -> dict[str, Any]:
    return {"host": host, "url": url or f"https://{host}:5986/wsman", "username": "LAB\\pulumi-winrm",
            "password": PASSWORD, "auth": "ntlm", "caBundlePem": None, "insecureSkipTlsVerify": insecure,
            "operationTimeout": 120.0}


def client_template_props(**over: Any) -> dict[str, Any]:
    p = {"kind": "client", "name": "NDES-Intune", "displayName": "NDES Intune devices", "validity": "1 year",
         "minimumKeySize": 2048.0, "keyUsage": ["digitalSignature", "keyEncipherment"],
         "extendedKeyUsage": ["clientAuth"], "exportable": False, "configKey": "ndes:templates.client",
         "ldapUrl": "ldaps://dc1.contoso.com:636", "bindPassword": "bind-secret", "insecureSkipTlsVerify": False}
    p.update(over)
    return p


def scep_props(platform: str = "ios", **over: Any) -> dict[str, Any]:
    p = {"platform": platform, "displayName": f"NDES SCEP - {platform}", "rootProfileId": UNKNOWN_STRING_VALUE,
         "scepServerUrls": ["https://ndes1-lab.msappproxy.net/certsrv/mscep/mscep.dll"],
         "keyUsage": ["digitalSignature", "keyEncipherment"], "keySize": 2048.0, "validity": "1 year",
         "renewalThresholdPercent": 20.0, "groups": [GROUP_A], "configKey": "ndes:intune.scep",
         "clientSecret": "graph-secret"}
    p.update(over)
    return p


def root_props(platform: str = "ios", groups: list[str] | None = None, **over: Any) -> dict[str, Any]:
    p = {"platform": platform, "role": "root", "displayName": f"NDES Root CA - {platform}",
         "groups": [GROUP_A] if groups is None else groups, "configKey": "ndes:intune.trustedRoot"}
    p.update(over)
    return p


# ---- shared plumbing -------------------------------------------------------------------------------------------
def test_kind_is_the_last_segment_of_the_type_token():
    assert kind_of("pulumi-python:dynamic/ndes:ScepProfile") == "ScepProfile"
    assert kind_of("pulumi-python:dynamic/pki:ScepProfile") == "ScepProfile"
    assert kind_of("pulumi:pulumi:Stack") == "Stack"


def test_plain_unwraps_the_engine_proxies_and_marks_unknowns():
    proxied = unknown_checking_proxy({"a": UNKNOWN_STRING_VALUE, "b": [1.0, {"c": UNKNOWN_ARRAY_VALUE}]})
    assert plain(proxied) == {"a": UNKNOWN, "b": [1.0, {"c": UNKNOWN}]}


def test_policy_names_are_unique_and_every_policy_has_a_description():
    names = [p.name for p in ALL_POLICIES]
    assert len(names) == len(set(names)) == 17
    assert all(p.description for p in ALL_POLICIES)


def test_example_policy_config_names_real_policies_and_schema_properties():
    doc = json.loads((PACK_DIR / "policy-config.lab.json").read_text())
    by_name = {p.name: p for p in ALL_POLICIES}
    for name, value in doc.items():
        assert name in by_name or name == "all", name
        if isinstance(value, dict):
            schema = by_name[name].config_schema.properties if by_name[name].config_schema else {}
            assert set(value) - {"enforcementLevel"} <= set(schema), (name, value)
    loaded = stack_config.load(PACK_DIR, "lab")
    assert loaded["app-proxy-passthrough"] is EnforcementLevel.ADVISORY
    assert loaded["certificate-expiry"]["enforcementLevel"] is EnforcementLevel.ADVISORY
    assert stack_config.load(PACK_DIR, "no-such-stack") is None


# ---- client template -----------------------------------------------------------------------------------------------
def test_client_template_key_size():
    assert run(client_template.validate_key_size, rargs("CertificateTemplate", client_template_props())) == []
    [(msg, _)] = run(client_template.validate_key_size,
                     rargs("CertificateTemplate", client_template_props(minimumKeySize=1024.0)))
    assert "accepts 1024-bit keys" in msg and "ndes:templates.client.minimumKeySize" in msg and "2048" in msg
    # the threshold is the policy config's
    [(msg, _)] = run(client_template.validate_key_size,
                     rargs("CertificateTemplate", client_template_props(), {"minimumKeySize": 4096.0}))
    assert "at least 4096" in msg
    # the SSL template is not the client template
    assert run(client_template.validate_key_size,
               rargs("CertificateTemplate", client_template_props(kind="ssl", minimumKeySize=1024.0))) == []


def test_client_template_key_not_exportable():
    assert run(client_template.validate_not_exportable, rargs("CertificateTemplate", client_template_props())) == []
    [(msg, _)] = run(client_template.validate_not_exportable,
                     rargs("CertificateTemplate", client_template_props(exportable=True)))
    assert "private key be exported" in msg and "ndes:templates.client.exportable" in msg


def test_client_template_client_auth():
    assert run(client_template.validate_client_auth, rargs("CertificateTemplate", client_template_props())) == []
    [(msg, _)] = run(client_template.validate_client_auth,
                     rargs("CertificateTemplate", client_template_props(extendedKeyUsage=["serverAuth"])))
    assert "no Client Authentication" in msg and "ndes:templates.client.extendedKeyUsage" in msg
    # a field missing or unknown at preview is not judged
    props = client_template_props()
    del props["extendedKeyUsage"]
    assert run(client_template.validate_client_auth, rargs("CertificateTemplate", props)) == []
    assert run(client_template.validate_client_auth, rargs(
        "CertificateTemplate", client_template_props(extendedKeyUsage=UNKNOWN_ARRAY_VALUE))) == []


def test_client_template_matched_by_kind_under_another_module():
    args = rargs("CertificateTemplate", client_template_props(exportable=True),
                 token="pulumi-python:dynamic/pki:CertificateTemplate")
    assert len(run(client_template.validate_not_exportable, args)) == 1


# ---- SCEP profiles ---------------------------------------------------------------------------------------------
def test_scep_url_format():
    assert run(scep_profile.validate_urls, rargs("ScepProfile", scep_props())) == []
    bad = rargs("ScepProfile", scep_props(scepServerUrls=[
        "http://ndes1-lab.msappproxy.net/certsrv/mscep/mscep.dll", "https://ndes1-lab.msappproxy.net/"]))
    msgs = [m for m, _ in run(scep_profile.validate_urls, bad)]
    assert len(msgs) == 2
    assert "does not use https" in msgs[0] and "does not end in /certsrv/mscep/mscep.dll" in msgs[1]
    assert all("ndes:ndesHosts[].externalUrl" in m for m in msgs)


def test_scep_validity_and_renewal_bounds():
    assert run(scep_profile.validate_lifetime, rargs("ScepProfile", scep_props())) == []
    msgs = [m for m, _ in run(scep_profile.validate_lifetime, rargs(
        "ScepProfile", scep_props(validity="5 years", renewalThresholdPercent=5.0)))]
    assert len(msgs) == 2
    assert "5 years (1825 days), outside 30-730 days" in msgs[0] and "ndes:intune.scep.validity" in msgs[0]
    assert "5% of the lifetime" in msgs[1] and "ndes:intune.scep.renewalThresholdPercent" in msgs[1]
    # bounds come from the policy config
    [(msg, _)] = run(scep_profile.validate_lifetime, rargs("ScepProfile", scep_props(),
                                                           {"maxValidityDays": 180.0}))
    assert "outside 30-180 days" in msg


def test_scep_apple_without_nonrepudiation():
    ok = sargs(res("ScepProfile", "ios", scep_props("ios")),
               res("CertificateTemplate", "client", client_template_props()))
    assert run(scep_profile.validate_apple_key_usage, ok) == []
    tpl = res("CertificateTemplate", "client",
              client_template_props(keyUsage=["digitalSignature", "nonRepudiation", "keyEncipherment"]))
    ios = res("ScepProfile", "ios", scep_props("ios", keyUsage=["digitalSignature", "nonRepudiation"]))
    found = run(scep_profile.validate_apple_key_usage, sargs(ios, tpl))
    assert [u for _, u in found] == [ios.urn, tpl.urn]
    assert "asks for nonRepudiation" in found[0][0] and "ndes:intune.scep.keyUsage" in found[0][0]
    assert "SCEP profiles target ios" in found[1][0]
    assert "ndes:templates.client.keyUsage" in found[1][0]
    # Android only: nonRepudiation in the template is not an Apple problem
    android = res("ScepProfile", "android", scep_props("androidWorkProfile"))
    assert run(scep_profile.validate_apple_key_usage, sargs(android, tpl)) == []


def test_scep_trusted_root_assigned_to_every_group():
    root = res("TrustedCertificateProfile", "ios-root", root_props("ios", [GROUP_A, GROUP_B]))
    scep = res("ScepProfile", "ios-scep", scep_props("ios", groups=[GROUP_A, GROUP_B]),
               {"rootProfileId": [root]})  # preview: the id is unknown, the dependency names the root
    assert run(scep_profile.validate_trusted_root, sargs(root, scep)) == []

    narrow = res("TrustedCertificateProfile", "ios-root", root_props("ios", [GROUP_A]))
    scep = res("ScepProfile", "ios-scep", scep_props("ios", groups=[GROUP_A, GROUP_B]), {"rootProfileId": [narrow]})
    [(msg, urn)] = run(scep_profile.validate_trusted_root, sargs(narrow, scep))
    assert urn == scep.urn and f"is assigned to {GROUP_B} but its trusted root 'NDES Root CA - ios' is not" in msg
    assert "ndes:intune.trustedRoot.groups" in msg


def test_scep_trusted_root_groups_with_an_exclusion_and_a_filter():
    """Issue 20: an excluded group needs no root, and a filtered assignment is covered by the root's assignment to
    the group itself (the lab stack's VPN and Wi-Fi profiles; the policy reported both as missing groups)."""
    root = res("TrustedCertificateProfile", "ios-root", root_props("ios", [GROUP_A]))
    vpn = res("ScepProfile", "ios-vpn", scep_props("ios", groups=[GROUP_A, f"exclude:{GROUP_B}"]),
              {"rootProfileId": [root]})
    wifi = res("ScepProfile", "ios-wifi", scep_props("ios", groups=[f"{GROUP_A} filter:include:Corporate iPhones"]),
               {"rootProfileId": [root]})
    assert run(scep_profile.validate_trusted_root, sargs(root, vpn, wifi)) == []
    other = res("ScepProfile", "ios-other", scep_props("ios", groups=[f"{GROUP_B} filter:include:Corporate iPhones"]),
                {"rootProfileId": [root]})
    [(msg, _)] = run(scep_profile.validate_trusted_root, sargs(root, other))
    assert f"is assigned to {GROUP_B}" in msg


def test_scep_trusted_root_linked_by_id_after_deployment():
    root = res("TrustedCertificateProfile", "ios-root", root_props("ios", profileId="root-1"))
    linked = res("ScepProfile", "ios-scep", scep_props("ios", rootProfileId="root-1"))
    assert run(scep_profile.validate_trusted_root, sargs(root, linked)) == []
    stray = res("ScepProfile", "ios-scep", scep_props("ios", rootProfileId="someone-else"))
    [(msg, _)] = run(scep_profile.validate_trusted_root, sargs(root, stray))
    assert "not linked to a trusted root" in msg and "ndes:intune.trustedRoot" in msg
    # issue 20: a root the config links by id (intune.scepProfiles[].rootProfileIds) lives outside the stack
    existing = res("ScepProfile", "ios-scep", scep_props("ios", rootProfileId="someone-else", rootOutsideStack=True))
    assert run(scep_profile.validate_trusted_root, sargs(root, existing)) == []
    other = res("TrustedCertificateProfile", "mac-root", root_props("macos", profileId="root-2"))
    wrong = res("ScepProfile", "ios-scep", scep_props("ios", rootProfileId="root-2"))
    [(msg, _)] = run(scep_profile.validate_trusted_root, sargs(other, wrong))
    assert "links a macos trusted root" in msg


# ---- MSCEP mapping -------------------------------------------------------------------------------------------------
def _mapping(key_usage: list[str], template: str = "NDES-Intune") -> PolicyResource:
    return res("MscepTemplateMapping", "mscep", {"endpoint": endpoint("ndes1.lab.contoso.test"),
                                                 "keyUsage": key_usage, "templateName": template,
                                                 "configKey": "ndes:intune.scep.keyUsage"})


def test_mscep_mapping_consistent():
    both = ["digitalSignature", "keyEncipherment"]
    ok = sargs(_mapping(both), res("ScepProfile", "ios", scep_props("ios")),
               res("CertificateTemplate", "client", client_template_props()))
    assert run(mscep_mapping.validate, ok) == []

    sig_only = _mapping(["digitalSignature"])
    found = run(mscep_mapping.validate, sargs(sig_only, res("ScepProfile", "ios", scep_props("ios")),
                                              res("CertificateTemplate", "client", client_template_props())))
    msgs = [m for m, _ in found]
    assert any("writes SignatureTemplate" in m and "GeneralPurposeTemplate" in m and "ndes:intune.scep.keyUsage" in m
               for m in msgs)
    assert any("purpose is 'Signature'" in m and "ndes:templates.client.keyUsage" in m for m in msgs)


def test_mscep_mapping_with_more_client_templates():
    """Issue 20: with templates.moreClients the mapping also writes the other purposes' values (`additional`), so a
    signature-only profile beside a general-purpose one is consistent (the lab stack's Wi-Fi and VPN profiles)."""
    both = ["digitalSignature", "keyEncipherment"]
    mapping = res("MscepTemplateMapping", "mscep", {
        "endpoint": endpoint("ndes1.lab.contoso.test"), "keyUsage": both, "templateName": "NDES-Intune",
        "additional": {"SignatureTemplate": "NDES-Signature"}, "configKey": "ndes:intune.scepProfiles[0].keyUsage"})
    vpn = res("ScepProfile", "vpn", scep_props("ios", configKey="ndes:intune.scepProfiles[0]"))
    wifi = res("ScepProfile", "wifi", scep_props("ios", displayName="NDES WiFi - ios", keyUsage=["digitalSignature"],
                                                 configKey="ndes:intune.scepProfiles[1]"))
    client = res("CertificateTemplate", "client", client_template_props())
    sig = res("CertificateTemplate", "sig", client_template_props(name="NDES-Signature", keyUsage=["digitalSignature"],
                                                                 configKey="ndes:templates.moreClients[0]"))
    assert run(mscep_mapping.validate, sargs(mapping, vpn, wifi, client, sig)) == []
    # a profile whose purpose the mapping does not write is named by its own key
    enc = res("ScepProfile", "enc", scep_props("ios", displayName="NDES SMIME - ios", keyUsage=["keyEncipherment"],
                                               configKey="ndes:intune.scepProfiles[2]"))
    [(msg, _)] = run(mscep_mapping.validate, sargs(mapping, vpn, wifi, enc, client, sig))
    assert "'NDES SMIME - ios'" in msg and "EncryptionTemplate" in msg and "ndes:intune.scepProfiles[2].keyUsage" in msg
    # the additional template must have that value's purpose
    wrong = res("CertificateTemplate", "sig", client_template_props(name="NDES-Signature", keyUsage=both,
                                                                   configKey="ndes:templates.moreClients[0]"))
    [(msg, _)] = run(mscep_mapping.validate, sargs(mapping, vpn, wifi, client, wrong))
    assert "purpose is 'Signature'" in msg and "ndes:templates.moreClients[0].keyUsage" in msg


def test_mscep_mapping_names_the_client_template():
    found = run(mscep_mapping.validate, sargs(_mapping(["digitalSignature", "keyEncipherment"], "Old-Template"),
                                              res("CertificateTemplate", "client", client_template_props())))
    [(msg, _)] = found
    assert "names template 'Old-Template'" in msg and "ndes:templates.client.name" in msg


def test_scep_key_usage_against_template_without_a_mapping():
    enc_only = res("CertificateTemplate", "client", client_template_props(keyUsage=["keyEncipherment"]))
    [(msg, _)] = run(mscep_mapping.validate, sargs(res("ScepProfile", "ios", scep_props("ios")), enc_only))
    assert "GeneralPurposeTemplate" in msg and "purpose 'Encryption'" in msg


# ---- SSL certificate and binding -----------------------------------------------------------------------------------
def _app(external: str = "https://ndes1-lab.msappproxy.net/",
         internal: str = "https://ndes1.lab.contoso.test/") -> PolicyResource:
    return res("AppProxyApplication", "app", {"displayName": "NDES", "externalUrl": external,
                                              "internalUrl": internal, "preAuthentication": "passthrough"})


def _cert(cn: str, names: list[str]) -> PolicyResource:
    return res("MachineCertificate", "ssl", {"endpoint": endpoint("ndes1.lab.contoso.test"), "template": "NDES-SSL",
                                             "commonName": cn, "dnsNames": names, "renewBeforeDays": 30.0,
                                             "configKey": "ndes:sslCertificate"})


def test_ssl_certificate_names():
    good = _cert("ndes1-lab.msappproxy.net", ["ndes1-lab.msappproxy.net", "ndes1.lab.contoso.test"])
    assert run(ssl_certificate.validate_names, sargs(good, _app())) == []

    only_internal = _cert("ndes1-lab.msappproxy.net", ["ndes1.lab.contoso.test"])
    found = run(ssl_certificate.validate_names, sargs(only_internal, _app()))
    assert len(found) == 2
    assert "lacks ndes1-lab.msappproxy.net" in found[0][0] and "ndes:sslCertificate" in found[0][0]
    assert "CN 'ndes1-lab.msappproxy.net', which is not one of its DNS names" in found[1][0]
    assert "ndes:sslCertificate.commonName" in found[1][0]
    assert all(PASSWORD not in m for m, _ in found)


def test_ssl_certificate_external_name_from_the_stack_config(monkeypatch):
    """Without an App Proxy plane in the stack, the external FQDN comes from ndes:ndesHosts: the stack config the
    engine hands the pack (PULUMI_CONFIG, JSON text per key, secrets decrypted), read through the model's config
    pipeline as the program reads it ({fromEnv} from the pack's environment)."""
    from .sample_config import sample
    only_internal = _cert("ndes1.lab.contoso.test", ["ndes1.lab.contoso.test"])
    assert run(ssl_certificate.validate_names, sargs(only_internal)) == []
    raw = sample(**{"serviceAccount.password": {"fromEnv": "NDES_TEST_POLICY_PW"}})
    raw["ndesHosts"] = [{"fqdn": "NDES1.lab.contoso.test.", "externalUrl": "https://ndes1-lab.msappproxy.net/"}]
    monkeypatch.setenv("PULUMI_CONFIG", json.dumps({f"ndes:{k}": json.dumps(v) for k, v in raw.items()}
                                                   | {"aws:region": "eu-west-1"}))
    monkeypatch.setenv("PULUMI_STACK", "prod")
    monkeypatch.setenv("NDES_TEST_POLICY_PW", "Env-Pa55!word")
    [(msg, _)] = run(ssl_certificate.validate_names, sargs(only_internal))
    assert "lacks ndes1-lab.msappproxy.net" in msg
    # a stack config that does not validate (here: the variable it reads is not set) gives the policy nothing
    # to demand; the program's own preview fails naming ndes:serviceAccount.password
    monkeypatch.delenv("NDES_TEST_POLICY_PW")
    assert run(ssl_certificate.validate_names, sargs(only_internal)) == []


def test_iis_binding_host_name_empty():
    props = {"endpoint": endpoint("ndes1.lab.contoso.test"), "siteName": "Default Web Site", "port": 443.0,
             "hostName": "", "thumbprint": UNKNOWN_STRING_VALUE, "configKey": "ndes:sslCertificate"}
    assert run(ssl_certificate.validate_binding_host, rargs("IisHttpsBinding", props)) == []
    [(msg, _)] = run(ssl_certificate.validate_binding_host,
                     rargs("IisHttpsBinding", {**props, "hostName": "NDES1"}))
    assert "host name 'NDES1'" in msg and "leave the binding's host name empty" in msg
    assert "ndes:sslCertificate" in msg


# ---- App Proxy -----------------------------------------------------------------------------------------------------
def test_app_proxy_passthrough():
    props = {"displayName": "NDES", "externalUrl": "https://ndes1-lab.msappproxy.net/",
             "preAuthentication": "passthrough", "configKey": "ndes:appProxy", "clientSecret": "graph-secret"}
    assert run(app_proxy.validate, rargs("AppProxyApplication", props)) == []
    [(msg, _)] = run(app_proxy.validate, rargs("AppProxyApplication", {**props,
                                                                       "preAuthentication": "aadPreAuthentication"}))
    assert "aadPreAuthentication" in msg and "without an Entra sign-in" in msg
    assert "ndes:appProxy.preAuthentication" in msg and "graph-secret" not in msg
    assert app_proxy.passthrough.enforcement_level is EnforcementLevel.ADVISORY


# ---- CA and NDES hosts ---------------------------------------------------------------------------------------------
def test_ca_and_ndes_on_different_hosts():
    ca = res("CaAccess", "ca", {"endpoint": endpoint("ca1.lab.contoso.test", "https://127.0.0.12:5986/wsman"),
                                "caName": "Lab Issuing CA"})
    role = res("NdesRole", "role", {"endpoint": endpoint("ndes1.lab.contoso.test", "https://127.0.0.11:5986/wsman"),
                                    "caConfig": "ca1.lab.contoso.test\\Lab Issuing CA"})
    assert run(host_separation.validate, sargs(ca, role)) == []

    same = res("NdesRole", "role", {"endpoint": endpoint("ca1.lab.contoso.test"),
                                    "caConfig": "ca1.lab.contoso.test\\Lab Issuing CA"})
    [(msg, urn)] = run(host_separation.validate, sargs(ca, same))
    assert urn == same.urn and "NDES is installed on ca1.lab.contoso.test" in msg
    assert "ndes:ca.host" in msg and "ndes:ndesHosts[].fqdn" in msg

    # two names, one machine: the WinRM address gives it away
    alias = res("NdesRole", "role", {"endpoint": endpoint("ndes1.lab.contoso.test", "https://127.0.0.12:5986/wsman"),
                                     "caConfig": "ca1.lab.contoso.test\\Lab Issuing CA"})
    [(msg, _)] = run(host_separation.validate, sargs(ca, alias))
    assert "same WinRM address 127.0.0.12:5986" in msg


# ---- TLS verification ----------------------------------------------------------------------------------------------
def test_tls_verification_outside_the_lab(monkeypatch):
    props = {"endpoint": endpoint("ndes1.contoso.com", insecure=True), "configKey": "ndes:ndesHosts[0]"}
    monkeypatch.setenv("PULUMI_STACK", "lab")
    assert run(tls_verification.validate, rargs("WindowsFeatures", props)) == []

    monkeypatch.setenv("PULUMI_STACK", "prod")
    [(msg, _)] = run(tls_verification.validate, rargs("WindowsFeatures", props))
    assert "endpoint.insecureSkipTlsVerify is true on stack 'prod'" in msg and "ndes:winrm.insecureSkipTlsVerify" in msg
    assert PASSWORD not in msg
    directory = client_template_props(insecureSkipTlsVerify=True)
    [(msg, _)] = run(tls_verification.validate, rargs("CertificateTemplate", directory))
    assert "ndes:domain.insecureSkipTlsVerify" in msg and "bind-secret" not in msg
    # verification on: nothing to say anywhere
    assert run(tls_verification.validate, rargs("CertificateTemplate", client_template_props())) == []
    # the allowed stacks come from the policy config
    assert run(tls_verification.validate, rargs("WindowsFeatures", props, {"allowInsecureTlsStacks": ["prod"]})) == []


# ---- certificate expiry --------------------------------------------------------------------------------------------
def _iso(days: float) -> str:
    return (dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_certificate_expiry():
    host = endpoint("ndes1.lab.contoso.test")
    fresh = sargs(
        res("MachineCertificate", "ssl", {"endpoint": host, "notAfter": _iso(300)}),
        res("NdesRole", "role", {"endpoint": host, "raCertificates": [
            {"template": "EnrollmentAgentOffline", "notAfter": _iso(700)},
            {"template": "CEPEncryption", "notAfter": _iso(700)}]}),
        res("IntuneConnector", "connector", {"endpoint": host, "certificateNotAfter": _iso(200)}),
        res("CaCertificate", "ca", {"endpoint": endpoint("ca1.lab.contoso.test"), "caName": "Lab Issuing CA",
                                    "issuingNotAfter": _iso(1000), "rootNotAfter": _iso(3000)}),
        # a first preview: the outputs do not exist yet
        res("MachineCertificate", "new", {"endpoint": host, "notAfter": UNKNOWN_STRING_VALUE}),
    )
    assert run(certificate_expiry.validate, fresh) == []

    soon = sargs(
        res("MachineCertificate", "ssl", {"endpoint": host, "notAfter": _iso(10)}),
        res("NdesRole", "role", {"endpoint": host, "raCertificates": [
            {"template": "EnrollmentAgentOffline", "notAfter": _iso(-1)},
            {"template": "CEPEncryption", "notAfter": _iso(700)}]}),
        res("IntuneConnector", "connector", {"endpoint": host, "certificateNotAfter": _iso(20)}),
        res("CaCertificate", "ca", {"endpoint": endpoint("ca1.lab.contoso.test"), "caName": "Lab Issuing CA",
                                    "issuingNotAfter": _iso(25), "rootNotAfter": _iso(3000)}),
    )
    msgs = [m for m, _ in run(certificate_expiry.validate, soon)]
    assert len(msgs) == 4
    assert "NDES SSL certificate on ndes1.lab.contoso.test expires on" in msgs[0]
    assert "ndes:sslCertificate.renewBeforeDays" in msgs[0]
    assert "EnrollmentAgentOffline RA certificate" in msgs[1] and "expired on" in msgs[1]
    assert "Intune Certificate Connector" in msgs[2] and "403.17" in msgs[2] and "ndes:connector" in msgs[2]
    assert "issuing CA certificate of Lab Issuing CA" in msgs[3] and "ndes:ca" in msgs[3]
    # the window comes from the policy config
    assert len(run(certificate_expiry.validate, sargs(*soon.resources, config={"expiryWarningDays": 5.0}))) == 1
    assert certificate_expiry.expiry.enforcement_level is EnforcementLevel.ADVISORY


@pytest.mark.parametrize("policy", ALL_POLICIES, ids=lambda p: p.name)
def test_every_policy_tolerates_resources_it_does_not_know_or_empty_props(policy):
    """A resource of another kind, or one whose fields are all absent or unknown, is never a violation."""
    from pulumi_policy import ResourceValidationPolicy

    kinds = ["ScepProfile", "TrustedCertificateProfile", "CertificateTemplate", "MscepTemplateMapping",
             "MachineCertificate", "IisHttpsBinding", "AppProxyApplication", "NdesRole", "CaAccess",
             "CaCertificate", "IntuneConnector", "ServiceAccount"]
    if isinstance(policy, ResourceValidationPolicy):
        for kind in kinds:
            assert run(policy.validate, rargs(kind, {})) == []
            assert run(policy.validate, rargs(kind, {"kind": "client", "keyUsage": UNKNOWN_ARRAY_VALUE,
                                                     "scepServerUrls": UNKNOWN_ARRAY_VALUE})) == []
    else:
        assert run(policy.validate, sargs(*[res(k, k.lower(), {}) for k in kinds])) == []


# ---- the fields the policies read exist in the providers (a rename would silently switch a policy off) ----------
FIELDS_READ = {
    "CertificateTemplate": ["kind", "name", "minimumKeySize", "exportable", "extendedKeyUsage", "keyUsage",
                            "configKey", "insecureSkipTlsVerify", "ldapUrl"],
    "ScepProfile": ["platform", "displayName", "rootProfileId", "scepServerUrls", "keyUsage", "validity",
                    "renewalThresholdPercent", "groups", "configKey", "insecureSkipTlsVerify", "tenantId"],
    "TrustedCertificateProfile": ["platform", "displayName", "groups", "profileId"],
    "MscepTemplateMapping": ["endpoint", "keyUsage", "templateName"],
    "MachineCertificate": ["endpoint", "commonName", "dnsNames", "notAfter", "configKey"],
    "IisHttpsBinding": ["endpoint", "siteName", "hostName", "configKey"],
    "AppProxyApplication": ["displayName", "externalUrl", "internalUrl", "preAuthentication", "configKey"],
    "NdesRole": ["endpoint", "caConfig", "raCertificates", "raNotAfter"],
    "CaAccess": ["endpoint"],
    "CaCertificate": ["endpoint", "caName", "issuingNotAfter", "rootNotAfter", "issuingSubject", "rootSubject"],
    "IntuneConnector": ["endpoint", "certificateNotAfter"],
}


def _snake(kind: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in kind).lstrip("_")


@pytest.mark.parametrize("kind", sorted(FIELDS_READ))
def test_the_fields_policies_read_exist_in_the_provider(kind):
    import importlib

    import pulumi.dynamic
    from pydantic.alias_generators import to_camel

    from ndes.providers._windows import EndpointInput
    from ndes.providers.base import NdesProvider

    from ndes.providers import resources

    module = importlib.import_module(f"ndes.providers.{_snake(kind)}")
    resource = getattr(resources, kind)
    assert issubclass(resource, pulumi.dynamic.Resource)
    [provider] = [c for c in vars(module).values()  # the provider class the module defines
                  if isinstance(c, type) and issubclass(c, NdesProvider) and c.__module__ == module.__name__]
    inputs = {f.alias or to_camel(n) for n, f in provider.Inputs.model_fields.items()}
    outputs = set(getattr(resource, "__annotations__", {}))
    missing = [f for f in FIELDS_READ[kind] if f not in inputs | outputs]
    assert missing == [], f"{kind} no longer has {missing}: update policies/ndes_policies"
    if "endpoint" in FIELDS_READ[kind]:
        endpoint_fields = {f.alias or to_camel(n) for n, f in EndpointInput.model_fields.items()}
        assert {"host", "url", "insecureSkipTlsVerify"} <= endpoint_fields
