"""The one config pipeline (ndes/model/load.py): raw stack config in every shape its readers get it -> parsed ->
`{fromEnv}` resolved from the environment passed in -> validated DeploymentConfig, every problem named by its key."""
from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ndes.model import ConfigError, load_config
from ndes.model.env_refs import resolve_env_refs
from ndes.model.load import stack_values

from .sample_config import sample

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _as_engine(v: Any) -> str:
    return json.dumps(v)


def _as_cli(v: Any) -> dict[str, Any]:  # `pulumi config --show-secrets --json`
    if isinstance(v, (dict, list)):
        return {"value": json.dumps(v), "objectValue": v, "secret": False}
    return {"value": json.dumps(v) if not isinstance(v, str) else v, "secret": False}


SHAPES = {"object": lambda v: v, "engine": _as_engine, "cli": _as_cli}


@FAST
@given(st.data())
def test_every_shape_and_prefix_gives_the_same_config(data):
    """Each key with or without `ndes:`, as JSON text (the engine, get_config, PULUMI_CONFIG), as a
    `pulumi config --json` entry or as an object (a YAML file): the same DeploymentConfig; other namespaces
    are left out."""
    raw = sample(lab=True, protect=False)
    values: dict[str, Any] = {"aws:region": "eu-west-1", "pulumi:template": json.dumps({"x": 1})}
    for key, value in raw.items():
        shape = data.draw(st.sampled_from(sorted(SHAPES)), label=key)
        prefixed = data.draw(st.booleans(), label=f"{key} prefixed")
        values[f"ndes:{key}" if prefixed else key] = SHAPES[shape](value)
    assert stack_values(values) == raw
    assert load_config(values) == load_config(raw)


def test_a_secret_not_shown_by_the_cli_is_missing_not_a_value():
    """`pulumi config --json` without --show-secrets leaves `value` out of a secret's entry."""
    values = {f"ndes:{k}": _as_cli(v) for k, v in sample().items()}
    values["ndes:serviceAccount"] = {"secret": True}
    with pytest.raises(ConfigError) as exc:
        load_config(values)
    assert exc.value.keys == ["ndes:serviceAccount"]


# ---- {fromEnv: NAME} ----------------------------------------------------------------------------------------------
NAMES = st.sampled_from(["NDES_A", "NDES_B", "NDES_C"])
LEAF = st.one_of(st.integers(), st.booleans(), st.text(max_size=5), st.builds(lambda n: {"fromEnv": n}, NAMES))
TREE = st.recursive(LEAF, lambda kids: st.one_of(st.lists(kids, max_size=3),
                                                 st.dictionaries(st.sampled_from(["a", "b", "c"]), kids, max_size=3)),
                    max_leaves=12)


def _refs(value: Any, path: str) -> list[tuple[str, str]]:
    """(key path, variable) of every reference in a tree, in Pulumi's --path syntax."""
    if isinstance(value, dict) and set(value) == {"fromEnv"}:
        return [(path, value["fromEnv"])]
    if isinstance(value, dict):
        return [r for k, v in value.items() for r in _refs(v, f"{path}.{k}")]
    if isinstance(value, list):
        return [r for i, v in enumerate(value) for r in _refs(v, f"{path}[{i}]")]
    return []


def _has_ref(value: Any) -> bool:
    return bool(_refs(value, ""))


@FAST
@given(TREE, st.dictionaries(NAMES, st.text(min_size=1, max_size=8)))
def test_from_env_anywhere_is_resolved_and_each_missing_one_named_by_its_key(tree, environ):
    problems: list = []
    out = resolve_env_refs(tree, "intune", problems, environ)
    assert not _has_ref(out)
    missing = [(path, name) for path, name in _refs(tree, "intune") if name not in environ]
    assert [(p.key, p.message) for p in problems] == [
        (path, f"reads the environment variable {name}, which is not set") for path, name in missing]
    assert all(p.config_key == f"ndes:{p.key}" for p in problems)


def test_from_env_resolves_in_lists_and_objects_of_the_config():
    raw = sample(**{"serviceAccount.password": {"fromEnv": "NDES_SVC"}})
    raw["ndesHosts"][0]["winrm"] = {"password": {"fromEnv": "NDES_HOST_PW"}, "username": "CONTOSO\\u"}
    cfg = load_config(json.loads(json.dumps(raw)), environ={"NDES_SVC": "Svc-Pa55!word", "NDES_HOST_PW": "H-Pa55!"})
    assert cfg.service_account.password.get_secret_value() == "Svc-Pa55!word"
    assert cfg.ndes_hosts[0].winrm.password.get_secret_value() == "H-Pa55!"


def test_the_environment_is_a_parameter(monkeypatch):
    """The model reads no process environment: only what the caller passes (the outermost callers pass
    os.environ)."""
    monkeypatch.setenv("NDES_SVC", "Svc-Pa55!word")
    raw = sample(**{"serviceAccount.password": {"fromEnv": "NDES_SVC"}})
    with pytest.raises(ConfigError) as exc:
        load_config(raw)
    assert exc.value.keys == ["ndes:serviceAccount.password"]
    assert load_config(raw, environ={"NDES_SVC": "x"}).service_account.password.get_secret_value() == "x"


def test_every_problem_at_once_and_a_missing_variable_once():
    """An unset variable and a bad value elsewhere are reported together; the model's own complaint about the
    value the variable should have given (now missing) is not repeated."""
    raw = sample(**{"serviceAccount.password": {"fromEnv": "NDES_UNSET"}, "intune.scep.keySise": 2048,
                    "domain.bindPassword": {"fromEnv": "NDES_UNSET_TOO"}})
    with pytest.raises(ConfigError) as exc:
        load_config({f"ndes:{k}": json.dumps(v) for k, v in raw.items()})
    keys = exc.value.keys
    assert keys.count("ndes:serviceAccount.password") == 1 and keys.count("ndes:domain.bindPassword") == 1
    assert "ndes:intune.scep.keySise" in keys  # a typo
    assert "NDES_UNSET" in str(exc.value) and "NDES_UNSET_TOO" in str(exc.value)


@pytest.mark.parametrize("name", [["NDES_A"], {"x": 1}, "", 3])
def test_from_env_that_names_no_variable_is_a_problem_not_a_crash(name):
    """A list or object as the variable's name used to raise TypeError (unhashable) out of the pipeline."""
    with pytest.raises(ConfigError) as exc:
        load_config(sample(**{"serviceAccount.password": {"fromEnv": name}}), environ={"NDES_A": "x"})
    assert exc.value.keys == ["ndes:serviceAccount.password"]
    assert "fromEnv must name an environment variable" in str(exc.value)
