"""Hostile and malformed config values (the security review's 103 cases, ranked m-1, m-2, m-10): each gives a
key-named ConfigError at preview, never a traceback and never a silent pass."""
import pytest

from ndes.model import ConfigError, load_config

from .sample_config import sample

HOSTS2 = [{"fqdn": "ndes01.contoso.com", "externalUrl": "https://a.msappproxy.net/"},
          {"fqdn": "NDES01.fabrikam.com", "externalUrl": "https://b.msappproxy.net/"}]


@pytest.mark.parametrize("change,key", [
    # crashed with a traceback before (m-1)
    ({"templates.client.validity": "1 hour"}, "ndes:intune.scep.validity"),
    ({"templates.client.validity": "99999999999999 years"}, "ndes:templates.client.validity"),
    ({"templates.ssl.renewalPeriod": "99999999999999 years"}, "ndes:templates.ssl.renewalPeriod"),
    ({"intune.scep.validity": "99999999999999 years"}, "ndes:intune.scep.validity"),
    ({"domain.ldapUrl": "ldaps://dc01:notaport"}, "ndes:domain"),
    ({"domain.ldapUrl": "ldaps://dc01:99999"}, "ndes:domain"),
    ({"domain.ldapUrl": "ldaps://"}, "ndes:domain"),
    # key strength (m-2)
    ({"ndesRole": {"signingKeyLength": 512}}, "ndes:ndesRole.signingKeyLength"),
    ({"ndesRole": {"encryptionKeyLength": -1}}, "ndes:ndesRole.encryptionKeyLength"),
    ({"sslCertificate": {"keySize": 4097}}, "ndes:sslCertificate.keySize"),
    ({"sslCertificate": {"keySize": 99999999}}, "ndes:sslCertificate.keySize"),
    ({"templates.ssl.minimumKeySize": 1024}, "ndes:templates.ssl.minimumKeySize"),
    ({"intune.scep.keySize": 3000}, "ndes:intune.scep.keySize"),
    ({"intune.scep.hashAlgorithm": "sha1"}, "ndes:intune.scep.hashAlgorithm"),
    ({"intune.scep.hashAlgorithm": "SHA1"}, "ndes:intune.scep.hashAlgorithm"),
    # https only (m-4, m-10)
    ({"winrm.url": "http://ndes01.contoso.com:5985/wsman"}, "ndes:winrm.url"),
    ({"ca.winrm": {"url": "http://ca01.contoso.com:5985/wsman"}}, "ndes:ca.winrm.url"),
    ({"winrm.url": "https://ndes01:notaport/wsman"}, "ndes:winrm.url"),
    ({"graph.cloud": "custom", "graph.graphEndpoint": "http://graph.evil.test/", "graph.authority":
      "https://login.example/"}, "ndes:graph.graphEndpoint"),
    ({"graph.cloud": "custom", "graph.graphEndpoint": "https://graph.example/", "graph.authority":
      "http://login.example/"}, "ndes:graph.authority"),
    # non-empty secrets and names (m-10)
    ({"domain.bindPassword": ""}, "ndes:domain.bindPassword"),
    ({"domain.bindUser": ""}, "ndes:domain.bindUser"),
    ({"serviceAccount.password": ""}, "ndes:serviceAccount.password"),
    ({"graph.clientSecret": ""}, "ndes:graph.clientSecret"),
    ({"graph.tenantId": ""}, "ndes:graph.tenantId"),
    ({"winrm.username": ""}, "ndes:winrm.username"),
    ({"winrm.password": " "}, "ndes:winrm.password"),
    # NetBIOS and AD name rules
    ({"serviceAccount.name": "svc-nd\u0435s"}, "ndes:serviceAccount.name"),  # Cyrillic e
    ({"serviceAccount.name": "svc\u200bndes"}, "ndes:serviceAccount.name"),
    ({"ndesHosts": [{"fqdn": "ndes-scep-server-01.contoso.com", "externalUrl": "https://a.msappproxy.net/"}]},
     "ndes:ndesHosts[0].fqdn"),
    ({"ndesHosts": HOSTS2}, "ndes:ndesHosts[1].fqdn"),
    ({"templates.client.name": "ndes-ssl"}, "ndes:templates.client.name"),
    ({"ndesRole": {"raName": "a, O=Evil"}}, "ndes:ndesRole.raName"),
    ({"ndesRole": {"raCompany": "x\ny"}}, "ndes:ndesRole.raCompany"),
    # lengths Graph accepts
    ({"appProxy": {"displayName": "N" * 1_000_000}}, "ndes:appProxy.displayName"),
    ({"appProxy": {"displayName": ""}}, "ndes:appProxy.displayName"),
    ({"intune.profileNamePrefix": "NDES\x00"}, "ndes:intune.profileNamePrefix"),
    ({"intune.profileNamePrefix": "P" * 5000}, "ndes:intune.profileNamePrefix"),
    # periods that contradict each other
    ({"templates.client.renewalPeriod": "2 years"}, "ndes:templates.client.renewalPeriod"),
])
def test_hostile_value_is_refused_naming_its_key(change, key):
    with pytest.raises(ConfigError) as exc:
        load_config(sample(**change), stack="prod")
    assert key in exc.value.keys, str(exc.value)
    assert "Traceback" not in str(exc.value)


def test_sha2_and_an_hour_template_still_work_where_they_make_sense():
    cfg = load_config(sample(**{"templates.ssl.renewalPeriod": "12 hours", "templates.ssl.validity": "1 day",
                                "intune.scep.hashAlgorithm": "sha256", "ndesRole.signingKeyLength": 4096}))
    assert cfg.templates.ssl.validity == "1 day" and cfg.ndes_role.signing_key_length == 4096


def test_ssl_template_defaults_to_server_authentication_only():
    cfg = load_config(sample())
    assert cfg.templates.ssl.extended_key_usage == ["serverAuth"]
    assert cfg.templates.client.extended_key_usage == ["clientAuth"]  # what SCEP needs


def test_files_the_config_names_must_exist_and_hold_pem(tmp_path):
    from ndes.config_files import file_problems
    good = tmp_path / "ca.pem"
    good.write_text("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
    (tmp_path / "empty.pem").write_text("not a certificate")
    cfg = load_config(sample(**{"domain.caBundle": "ca.pem", "graph.caBundle": str(tmp_path / "missing.pem"),
                                "winrm.caBundle": "empty.pem"}))
    problems = {p.config_key: p.message for p in file_problems(cfg, tmp_path)}
    assert sorted(problems) == ["ndes:graph.caBundle", "ndes:winrm.caBundle"]
    assert "cannot read" in problems["ndes:graph.caBundle"] and "no PEM" in problems["ndes:winrm.caBundle"]
