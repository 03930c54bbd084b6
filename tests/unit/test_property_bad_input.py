"""Property: whatever value a config key or a provider input holds, the only errors are key-named ones.

The config model (load_config) may raise only ConfigError, each problem naming an `ndes:` key; a provider's
check() may only return a CheckResult, each failure naming an input. Any other exception (a traceback at
preview: struct.error, OverflowError, TypeError, a raw ValueError from a client) is a bug (security review m-1).
"""
from __future__ import annotations

import copy

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ndes.providers.results import CheckResult

from ndes.model import ConfigError, load_config

from .sample_config import BASE
from .test_provider_input_secrets import providers

HOSTILE_TEXT = [
    "", " ", "1 hour", "99999999999999 years", "0 days", "-1 years", "12 months", "ldaps://dc01:notaport",
    "ldaps://dc01:99999", "ldaps://", "http://x.contoso.com/", "https://x:0/", "https://[::1", "a\x00b", "a\nb",
    "svc\u200bndes", "svc-nd\u0435s", "N" * 5000, "sha1", "SHA1", "../x", "CN=x,DC=y", "a, O=Evil", "*)(|(x=*",
    "{{OnPremisesSecurityIdentifier}}", "https://ndes01-contoso.msappproxy.net/", "ndes01.contoso.com",
]
values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(min_value=-2**70, max_value=2**70),
              st.floats(allow_nan=True, allow_infinity=True), st.sampled_from(HOSTILE_TEXT), st.text(max_size=40)),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=12), inner, max_size=3)),
    max_leaves=6)


def leaf_paths(node, prefix=()):
    if isinstance(node, dict):
        for k, v in node.items():
            yield from leaf_paths(v, prefix + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from leaf_paths(v, prefix + (i,))
    yield prefix


EXTRA_KEYS = [("templates", "ssl", "validity"), ("templates", "client", "validity"),
              ("templates", "client", "renewalPeriod"), ("templates", "ssl", "minimumKeySize"),
              ("templates", "client", "name"), ("sslCertificate", "keySize"), ("ndesRole", "signingKeyLength"),
              ("ndesRole", "raName"), ("intune", "scep", "hashAlgorithm"), ("intune", "scep", "validity"),
              ("intune", "scep", "keySize"), ("intune", "profileNamePrefix"), ("appProxy", "displayName"),
              ("winrm", "url"), ("ca", "winrm", "url"), ("graph", "graphEndpoint"), ("graph", "authority"),
              ("graph", "cloud"), ("domain", "insecureSkipTlsVerify"), ("lab",), ("iis", "maxUrl"),
              ("intune", "scep", "subjectAlternativeNames")]
PATHS = sorted({p for p in leaf_paths(BASE) if p} | set(EXTRA_KEYS), key=str)


def bend(path, value):
    cfg = copy.deepcopy(BASE)
    node = cfg
    for part in path[:-1]:
        if isinstance(node, list):
            node = node[part]
            continue
        if not isinstance(node.get(part), (dict, list)):
            node[part] = {}
        node = node[part]
    node[path[-1]] = value
    return cfg


def assert_only_key_named(raw, stack):
    try:
        load_config(raw, stack=stack)
    except ConfigError as exc:
        assert exc.problems, "a ConfigError with no problem"
        for p in exc.problems:
            assert p.config_key.startswith("ndes"), p
            assert p.message, p


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(path=st.sampled_from(PATHS), value=values, stack=st.sampled_from(["lab", "prod", None]))
def test_config_model_raises_only_key_named_errors(path, value, stack):
    assert_only_key_named(bend(path, value), stack)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(changes=st.lists(st.tuples(st.sampled_from(PATHS), values), min_size=2, max_size=4))
def test_several_bad_values_at_once(changes):
    raw = copy.deepcopy(BASE)
    for path, value in changes:
        bent = bend(path, value)
        raw[path[0]] = bent[path[0]]
    assert_only_key_named(raw, "prod")


@pytest.mark.parametrize("cls", providers(), ids=lambda c: c.__name__)
def test_provider_check_returns_only_named_failures(cls):
    names = sorted(cls._wire_names() - {"adopt"})  # adopt: true makes check() read the live object

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(props=st.dictionaries(st.sampled_from(names), values, max_size=len(names)))
    def run(props):
        result = cls().check({}, props)
        assert isinstance(result, CheckResult)
        for failure in result.failures or []:
            assert failure.property and failure.reason, failure

    run()
