"""State that `read` recorded from a live object someone changed by hand loads (field_rules.as_recorded), while the
same value declared is refused by `check` with its message. The defect (8290aac fixed it for RSA key sizes): a
provider's `read` maps live state back into the inputs, so refresh shows drift in the admin's words; a hand-made
value that breaks a rule on DECLARED values then made the state unloadable, and the next refresh, the update or
replace meant to fix it and the delete all failed in `parse`.

One row per input `read` fills and a rule could refuse, on the state the golden release wrote for that kind
(tests/unit/golden_state): the state loads with the value as read, the diff against the declared inputs shows it
(the preview's update or replace back), and declaring it is refused on that input."""
from __future__ import annotations

import base64
import json
from typing import Any
from unittest import mock

import dill
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ndes.providers.base import NdesProvider

from . import golden_state as gs

GOLDEN = {p.stem: json.loads(p.read_text()) for p in sorted(gs.GOLDEN_DIR.glob("*.json"))}
HTTP = "HKLM:\\SYSTEM\\CurrentControlSet\\Services\\HTTP\\Parameters"
MACOS = {"platform": "macos", "deploymentChannel": "deviceChannel"}

# (kind, input, the value as `read` records it, what check says when it is declared, how a human sets it,
#  what else the state differs in from the golden one: e.g. the platform that has the input)
CASES: list[tuple[str, str, Any, str, str, dict[str, Any]]] = [
    ("IisHttpsBinding", "thumbprint", "", "is not a certificate thumbprint",
     "netsh http delete sslcert: the binding stays, without a certificate", {}),
    ("RegistryValues", "values", [{"path": HTTP, "name": "MaxFieldLength", "type": "None", "value": ""},
                                  {"path": HTTP, "name": "MaxRequestBytes", "type": "DWord", "value": 65534}],
     "Input should be 'String'", "reg add /t REG_NONE (RegistryValueKind None)", {}),
    ("RegistryValues", "values", [{"path": HTTP, "name": "MaxFieldLength", "type": "QWord", "value": -1},
                                  {"path": HTTP, "name": "MaxRequestBytes", "type": "DWord", "value": 65534}],
     "a QWord is a whole number", "a QWORD 0xFFFFFFFFFFFFFFFF, which the script reads as [int64] -1", {}),
    ("MscepTemplateMapping", "templateName", None, "valid string",
     "the MSCEP value deleted (Remove-ItemProperty)", {}),
    ("MscepTemplateMapping", "templateName", "", "must not be empty", "the MSCEP value emptied", {}),
    ("MscepTemplateMapping", "additional", {"SignatureTemplate": None}, "valid string",
     "the other purpose's MSCEP value deleted", {}),
    ("WindowsFeatures", "features", [], "list at least one feature",
     "every declared feature removed (Uninstall-WindowsFeature)", {}),
    ("MachineCertificate", "commonName", "", "is not a fully qualified DNS name",
     "the SSL template changed to build the subject from AD with no subject name: the CA issues no CN", {}),
    ("MachineCertificate", "dnsNames", [], "give at least one DNS name",
     "the same, without DNS names in the SAN", {}),
    ("NdesRole", "raName", None, "valid string", "an RA certificate replaced by hand with one without a CN", {}),
    ("CertificateTemplate", "displayName", "NDES Intune " + "x" * 60, "the limit is 64",
     "displayName edited in ADSI Edit (its range allows 256 characters)", {}),
    ("CertificateTemplate", "validity", "200 years", "longer than 100 years",
     "pKIExpirationPeriod edited (console or ADSI Edit)", {}),
    ("CertificateTemplate", "renewalPeriod", "0 hours", "longer than zero",
     "pKIOverlapPeriod edited to less than an hour", {}),
    ("ServiceAccount", "upn", "", "must not be empty", "userPrincipalName cleared (LDAP allows none)", {}),
    ("ServiceAccount", "upn", "svc-ndes", "is not a user principal name",
     "userPrincipalName without a suffix (LDAP does not check its form)", {}),
    ("ScepProfile", "hashAlgorithm", "sha1", "SHA-1 is refused", "SHA-1 chosen in the Intune portal", {}),
    ("ScepProfile", "rootProfileId", None, "valid string",
     "no trusted root linked (intune.get_root reads None)", {}),
    ("ScepProfile", "deploymentChannel", "unknownFutureValue", "'deviceChannel' or 'userChannel'",
     "appleDeploymentChannel is an evolvable enum (Graph: unknownFutureValue)", {**MACOS, "hashAlgorithm": "sha2"}),
    ("TrustedCertificateProfile", "deploymentChannel", "unknownFutureValue", "'deviceChannel' or 'userChannel'",
     "appleDeploymentChannel is an evolvable enum (Graph: unknownFutureValue)", {**MACOS, "role": "root"}),
    ("AppProxyApplication", "externalUrl", "https://ndes.contoso.com/", "msappproxy.net",
     "the external URL moved to a custom domain in the Entra portal", {}),
    ("AppProxyApplication", "internalUrl", "http://ndes1.lab.contoso.test/", "must use https",
     "the internal URL set to http:// in the Entra portal", {}),
]


def provider_of(kind: str) -> NdesProvider:
    return dill.loads(base64.b64decode(GOLDEN[kind]["provider"]))


def loaded(inp: Any, field: str) -> Any:
    """An input of parsed inputs as it travels (a value kept as recorded may not be of the declared type)."""
    return inp.model_dump(by_alias=True, mode="json", warnings=False)[field]


def recorded(kind: str, field: str, value: Any, also: dict[str, Any]) -> dict[str, Any]:
    """The golden state of `kind` as `read` would leave it after finding `value` on the live object."""
    return {**GOLDEN[kind]["outputs"], **also, field: value}


def declared(p: NdesProvider, kind: str, also: dict[str, Any]) -> dict[str, Any]:
    """The golden release's checked inputs, with the connection inline (as a program without a stack config
    passes it), so `check` validates them without a server."""
    conn, _ = p.connection(GOLDEN[kind]["outputs"])
    inline = {k: v for k, v in GOLDEN[kind]["inputs"].items() if k != "connection"}  # no config to resolve it by
    return {**inline, **(conn or {}), **also}


@pytest.mark.parametrize("kind,field,value,refusal,how,also", CASES,
                         ids=[f"{c[0]}.{c[1]}-{i}" for i, c in enumerate(CASES)])
def test_a_hand_made_value_read_back_loads_as_recorded_and_is_refused_when_declared(kind, field, value, refusal, how,
                                                                                    also):
    p = provider_of(kind)
    state = recorded(kind, field, value, also)
    inp = p.parse(state)  # refresh, update, replace and delete start here
    assert loaded(inp, field) == value, f"{kind}.{field} ({how}): not kept as read"
    news = {**GOLDEN[kind]["inputs"], **also}  # what the program declares (the release's checked inputs)
    assert field in p._changed(state, news), f"{kind}.{field}: the preview must show the drift"
    refused = p.check({}, {**declared(p, kind, also), field: value}).failures
    assert refused and all(f.property.split(".")[0] == field for f in refused), (kind, field, refused)
    assert any(refusal in f.reason for f in refused), (refusal, [f.reason for f in refused])


def test_the_declared_inputs_of_the_cases_pass_check():
    """The refusals above are the hand-made value's: the same inputs with the declared value pass (App Proxy's
    check also asks Graph for the tenant's initial domain: answered here)."""
    for kind, also in {(c[0], json.dumps(c[5], sort_keys=True)) for c in CASES}:
        p = provider_of(kind)
        with mock.patch("ndes.graph.app_proxy.initial_domain", lambda c: "contoso.onmicrosoft.com"):
            assert p.check({}, declared(p, kind, json.loads(also))).failures == [], kind


def _providers() -> list[type[NdesProvider]]:
    for kind in GOLDEN:
        provider_of(kind)  # imports its module
    seen, todo = [], list(NdesProvider.__subclasses__())
    while todo:
        cls = todo.pop()
        todo += cls.__subclasses__()
        if cls.__name__.removesuffix("Provider") in GOLDEN and cls not in seen:
            seen.append(cls)
    return seen


def _models(model: Any) -> list[Any]:
    """The Inputs model and the models nested in its fields (RegistryValues' values)."""
    from pydantic import BaseModel
    out = [model]
    for f in model.model_fields.values():
        for arg in (f.annotation, *getattr(f.annotation, "__args__", ())):
            if isinstance(arg, type) and issubclass(arg, BaseModel) and arg not in out:
                out.append(arg)
    return out


def test_every_input_kept_as_recorded_has_a_case():
    """Each input an Inputs class lets load as recorded (field_rules.as_recorded) is shown above with a value a
    human can set, and each case is such an input: the list stays the audited one."""
    kept = set()
    for cls in _providers():
        for model in _models(cls.Inputs):
            for dec in model.__pydantic_decorators__.field_validators.values():
                if dec.info.mode == "wrap" and dec.func.__name__ == "keep":
                    kind = cls.__name__.removesuffix("Provider")
                    kept |= {(kind, model.__name__, model.model_fields[f].alias or f) for f in dec.info.fields}
    cased = {(c[0], provider_of(c[0]).Inputs.__name__, c[1]) for c in CASES}
    cased = {k for k in cased if k[2] != "values"} | {("RegistryValues", "RegistryValue", "type")}
    assert kept == cased


def test_only_what_read_fills_is_kept_as_recorded():
    """An input read never fills keeps its rules in a recorded state: a broken one still fails to load, naming it."""
    from pydantic import ValidationError
    p = provider_of("IisHttpsBinding")
    with pytest.raises(ValidationError) as exc:
        p.parse({**GOLDEN["IisHttpsBinding"]["outputs"], "port": "not a port"})
    assert [e["loc"] for e in exc.value.errors()] == [("port",)]


JSON = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(min_value=-2**70, max_value=2**70),
              st.floats(allow_nan=False, allow_infinity=False), st.sampled_from([c[2] for c in CASES if isinstance(
                  c[2], str)] + ["sha2", "https://ndes1-lab.msappproxy.net/", "NDES-Intune", "deviceChannel"]),
              st.text(max_size=30)),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=12), inner, max_size=3)),
    max_leaves=5)
"""What a state can hold in an input: any JSON value (state is JSON)."""
FIELDS = sorted({(c[0], c[1], json.dumps(c[5], sort_keys=True)) for c in CASES if c[0] != "RegistryValues"})


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=st.sampled_from(FIELDS), value=JSON)
def test_any_value_read_back_loads_and_declared_it_is_checked_as_before(case, value):
    """Property: whatever value read records in an input kept as recorded, the state loads; declared, check either
    refuses it naming that input only or accepts it, and then the state loads it normalised as check does."""
    kind, field, also = case[0], case[1], json.loads(case[2])
    if (kind, field) == ("MscepTemplateMapping", "additional"):
        value = {"SignatureTemplate": value}  # read reports the declared value names (their rule holds in state)
    p = provider_of(kind)
    inp = p.parse(recorded(kind, field, value, also))
    with mock.patch("ndes.graph.app_proxy.initial_domain", lambda c: "contoso.onmicrosoft.com"):
        res = p.check({}, {**declared(p, kind, also), field: value})
    assert all(f.property.split(".")[0] == field for f in res.failures), res.failures
    if res.failures:
        assert loaded(inp, field) == value
    else:
        assert loaded(inp, field) == res.inputs[field]


@settings(max_examples=25, deadline=None)
@given(kind=JSON, data=JSON)
def test_any_registry_value_read_back_loads(kind, data):
    """The same for a registry value's type and data (RegistryValue, nested in `values`)."""
    p = provider_of("RegistryValues")
    live = [{"path": HTTP, "name": "MaxFieldLength", "type": kind, "value": data}]
    p.parse(recorded("RegistryValues", "values", live, {}))
    res = p.check({}, {**declared(p, "RegistryValues", {}), "values": live})
    assert all(f.property.startswith("values") for f in res.failures), res.failures
