"""The program layer: fromEnv references, and the deployment component under Pulumi mocks."""
import json

import pulumi
import pytest

from ndes.model import ConfigError, load_config
from ndes.model.errors import Problem
from ndes.model.env_refs import resolve_env_refs

from .sample_config import sample


class Mocks(pulumi.runtime.Mocks):
    def __init__(self):
        self.resources = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        self.resources.append(args)
        return f"{args.name}-id", dict(args.inputs)

    def call(self, args: pulumi.runtime.MockCallArgs):
        return {}


def test_from_env_reads_the_environment():
    problems: list[Problem] = []
    out = resolve_env_refs({"a": {"password": {"fromEnv": "NDES_TEST_PW"}}, "b": [{"fromEnv": "NDES_TEST_PW"}]},
                           "", problems, {"NDES_TEST_PW": "from-the-env"})
    assert out == {"a": {"password": "from-the-env"}, "b": ["from-the-env"]} and problems == []


def test_from_env_missing_names_the_key():
    problems: list[Problem] = []
    resolve_env_refs({"password": {"fromEnv": "NDES_TEST_MISSING"}}, "serviceAccount", problems, {})
    assert [p.config_key for p in problems] == ["ndes:serviceAccount.password"]
    assert "NDES_TEST_MISSING" in problems[0].message


@pulumi.runtime.test
def test_deployment_component_and_summary():
    mocks = Mocks()
    pulumi.runtime.set_mocks(mocks, project="ndes", stack="unit", preview=False)
    from ndes.components.deployment import NdesScepDeployment
    cfg = load_config(sample())
    d = NdesScepDeployment("ndes", cfg)
    assert d.summary["scepUrls"] == ["https://ndes01-contoso.msappproxy.net/certsrv/mscep/mscep.dll"]
    assert d.summary["mscepMapping"] == {"GeneralPurposeTemplate": "NDES-Intune"}
    assert d.summary["ndesHosts"][0]["sslSubjectAlternativeNames"] == ["ndes01-contoso.msappproxy.net",
                                                                         "ndes01.contoso.com"]

    def check(_):
        types = [r.typ for r in mocks.resources]
        assert "ndes:index:NdesScepDeployment" in types
    return d.urn.apply(check)


def test_bad_config_raises_before_any_resource():
    with pytest.raises(ConfigError):
        load_config(sample(**{"intune.scep.keySize": 1024}))


def test_provider_base_sees_unknowns_at_preview():
    from pulumi.output import Unknown

    from ndes.providers.base import UNKNOWN, contains_unknown
    assert contains_unknown(Unknown()) and contains_unknown({"a": [1, Unknown()]}) and contains_unknown(UNKNOWN)
    assert not contains_unknown({"a": [1, "x"]})


def _program(monkeypatch, raw: dict, env: dict[str, str]):
    """Run ndes.program.main() under mocks with `raw` as the stack's `ndes:` config (JSON text per key, as the
    engine gives it); returns (the deployment or the RunError, how many times the configuration was validated)."""
    import ndes.model.load as load
    from ndes import program
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    calls = []
    real = load.validate
    monkeypatch.setattr(load, "validate", lambda *a, **kw: calls.append(1) or real(*a, **kw))
    pulumi.runtime.set_mocks(Mocks(), project="ndes", stack="unit", preview=True)
    pulumi.runtime.set_all_config({f"ndes:{k}": json.dumps(v) for k, v in raw.items()} | {"aws:region": "x"})
    try:
        return program.main(), len(calls)
    except pulumi.RunError as exc:
        return exc, len(calls)
    finally:
        pulumi.runtime.set_all_config({})


def test_the_program_reads_the_stack_config_through_the_model_once(monkeypatch):
    """The program reads the `ndes:` keys and hands them on; the component's config pipeline parses them,
    resolves {fromEnv} from the environment and validates them, once."""
    raw = sample(**{"serviceAccount.password": {"fromEnv": "NDES_TEST_PROGRAM_PW"}})
    deployment, validations = _program(monkeypatch, raw, {"NDES_TEST_PROGRAM_PW": "Env-Pa55!word"})
    assert validations == 1
    assert deployment.cfg.service_account.password.get_secret_value() == "Env-Pa55!word"
    assert deployment.cfg == load_config(raw, environ={"NDES_TEST_PROGRAM_PW": "Env-Pa55!word"})


def test_the_program_refuses_a_missing_variable_by_its_key(monkeypatch):
    monkeypatch.delenv("NDES_TEST_PROGRAM_UNSET", raising=False)
    raw = sample(**{"ndesRole.installCredential.password": {"fromEnv": "NDES_TEST_PROGRAM_UNSET"}})
    err, _ = _program(monkeypatch, raw, {})
    assert isinstance(err, pulumi.RunError)
    assert "ndes:ndesRole.installCredential.password" in str(err) and "NDES_TEST_PROGRAM_UNSET" in str(err)
