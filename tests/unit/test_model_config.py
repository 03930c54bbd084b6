"""The configuration: defaults, validation and the seed's cross-checks, each naming its config key."""
import pytest

from ndes.model import ConfigError, load_config
from ndes.model.keyusage import mscep_value_for

from .sample_config import GROUP, sample


def keys_of(raw) -> list[str]:
    with pytest.raises(ConfigError) as exc:
        load_config(raw)
    return exc.value.keys


def test_sample_is_valid_and_derives():
    cfg = load_config(sample())
    assert cfg.scep_urls == ["https://ndes01-contoso.msappproxy.net/certsrv/mscep/mscep.dll"]
    assert cfg.ca.config == "ca01.contoso.com\\Contoso Issuing CA"
    assert cfg.ndes_hosts[0].computer_account == "NDES01$"
    assert cfg.templates.client.extended_key_usage == ["clientAuth"]
    assert cfg.templates.ssl.validity == "2 years"
    assert mscep_value_for(cfg.intune.scep.key_usage) == "GeneralPurposeTemplate"
    assert cfg.winrm_for("ndes01.contoso.com", cfg.ndes_hosts[0].winrm).url == "https://ndes01.contoso.com:5986/wsman"


def test_secrets_never_in_repr_or_errors():
    cfg = load_config(sample())
    assert "Svc-Pa55" not in repr(cfg) and "Bind-Pa55" not in repr(cfg)
    with pytest.raises(ConfigError) as exc:
        load_config(sample(**{"serviceAccount.password": "Svc-Pa55!word", "serviceAccount.name": "bad/name"}))
    assert "Svc-Pa55" not in str(exc.value)


def test_prefixed_and_json_string_values_are_read():
    import json
    raw = {f"ndes:{k}": json.dumps(v) for k, v in sample().items()}
    raw["aws:region"] = "x"  # another namespace is ignored
    assert load_config(raw).domain.netbios_name == "CONTOSO"


@pytest.mark.parametrize("change,key", [
    ({"intune.scep.keySize": 1024}, "ndes:intune.scep.keySize"),
    ({"templates.client.minimumKeySize": 1024}, "ndes:templates.client.minimumKeySize"),
    ({"templates.client.minimumKeySize": 4096}, "ndes:intune.scep.keySize"),
    ({"intune.scep.keyUsage": ["digitalSignature"]}, "ndes:templates.client.keyUsage"),
    ({"templates.client.keyUsage": ["keyEncipherment"]}, "ndes:templates.client.keyUsage"),
    ({"templates.client.keyUsage": ["digitalSignature", "nonRepudiation", "keyEncipherment"]},
     "ndes:templates.client.keyUsage"),
    ({"intune.scep.keyUsage": ["digitalSignature", "nonRepudiation"]}, "ndes:intune.scep.keyUsage"),
    ({"ca.host": "ndes01.contoso.com"}, "ndes:ndesHosts[0].fqdn"),
    ({"ndesHosts": [{"fqdn": "ndes01.contoso.com", "externalUrl": "http://ndes01-contoso.msappproxy.net/"}]},
     "ndes:ndesHosts[0].externalUrl"),
    ({"ndesHosts": [{"fqdn": "ndes01.contoso.com", "externalUrl": "https://x.msappproxy.net/",
                     "internalUrl": "https://other.contoso.com/"}]}, "ndes:ndesHosts[0].internalUrl"),
    ({"intune.trustedRoot": {"groups": [{"id": "6f1c1e0a-1111-4a4a-9b9b-000000000009"}]}},
     "ndes:intune.trustedRoot.groups"),
    ({"templates.client.extendedKeyUsage": ["serverAuth"]}, "ndes:templates.client.extendedKeyUsage"),
    ({"templates.client.exportable": "maybe"}, "ndes:templates.client.exportable"),
    ({"templates.client.validity": "12 months"}, "ndes:templates.client.validity"),
    ({"intune.scep.validity": "2 years"}, "ndes:intune.scep.validity"),
    ({"intune.platforms": ["ios", "blackberry"]}, "ndes:intune.platforms"),
    ({"intune.scep.groups": [{"id": "not-a-guid"}]}, "ndes:intune.scep.groups[0]"),
    ({"domain.ldapUrl": "ldap://dc01.contoso.com"}, "ndes:domain"),
    ({"domain.insecureSkipTlsVerify": True}, "ndes:domain.insecureSkipTlsVerify"),
    ({"serviceAccount.nmae": "typo"}, "ndes:serviceAccount.nmae"),
    ({"graph.clientSecret": None}, "ndes:graph"),
])
def test_cross_checks_name_the_key(change, key):
    assert key in keys_of(sample(**change))


def test_missing_section_is_named():
    raw = sample()
    del raw["serviceAccount"]
    assert keys_of(raw) == ["ndes:serviceAccount"]


def test_tls_off_is_allowed_on_the_listed_stacks_only():
    raw = sample(**{"domain.insecureSkipTlsVerify": True, "lab": True})
    load_config(raw, stack="lab")
    for stack in ("prod", "staging", None):  # ndes:lab: true does not count: a pull request can set it
        with pytest.raises(ConfigError) as exc:
            load_config(raw, stack=stack)
        assert exc.value.keys == ["ndes:domain.insecureSkipTlsVerify"]
    with pytest.raises(ConfigError) as exc:
        load_config(sample(**{"ndesHosts": [{"fqdn": "ndes01.contoso.com", "externalUrl": "https://x.msappproxy.net/",
                                             "winrm": {"insecureSkipTlsVerify": True}}]}), stack="prod")
    assert exc.value.keys == ["ndes:ndesHosts[0].winrm.insecureSkipTlsVerify"]


def test_program_and_policy_pack_share_the_allow_list():
    import json
    from pathlib import Path
    from ndes.model.checks import INSECURE_TLS_STACKS
    from policies.ndes_policies.tls_verification import DEFAULT_ALLOWED
    assert list(INSECURE_TLS_STACKS) == DEFAULT_ALLOWED
    lab = Path(__file__).parents[2] / "policies" / "policy-config.lab.json"
    assert json.loads(lab.read_text())["tls-verification-on"]["allowInsecureTlsStacks"] == DEFAULT_ALLOWED


def test_message_says_how_to_fix():
    with pytest.raises(ConfigError) as exc:
        load_config(sample(**{"intune.scep.keySize": 1024}))
    text = str(exc.value)
    assert "ndes:intune.scep.keySize" in text and "2048" in text and "pulumi config set" in text


def test_two_hosts_two_urls():
    cfg = load_config(sample(ndesHosts=[
        {"fqdn": "ndes01.contoso.com", "externalUrl": "https://ndes01-contoso.msappproxy.net/"},
        {"fqdn": "ndes02.contoso.com", "externalUrl": "https://ndes02-contoso.msappproxy.net/"}]))
    assert len(set(cfg.scep_urls)) == 2
    assert "ndes:ndesHosts[1].externalUrl" in keys_of(sample(ndesHosts=[
        {"fqdn": "ndes01.contoso.com", "externalUrl": "https://same.msappproxy.net/"},
        {"fqdn": "ndes02.contoso.com", "externalUrl": "https://same.msappproxy.net/"}]))


def test_model_imports_no_pulumi_and_does_no_io():
    import ast
    import pathlib
    root = pathlib.Path(__file__).parents[2] / "ndes" / "model"
    for f in root.glob("*.py"):
        tree = ast.parse(f.read_text())
        names = {n.names[0].name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import)}
        names |= {(n.module or "").split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        assert not names & {"pulumi", "os", "socket", "subprocess", "ldap3", "winrm", "httpx", "requests"}, f
        calls = {n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
        assert "open" not in calls, f
