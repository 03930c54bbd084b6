"""Each Resource's secret outputs come from its provider's `secret_fields` (declared once): every input that
holds a secret (a field hidden from repr, or an object carrying one, such as the WinRM endpoint) is a secret
field, and the Resource hands exactly those to the engine as `additional_secret_outputs`."""
from __future__ import annotations

import importlib
import pkgutil

import pulumi
import pytest
from pydantic import BaseModel

import ndes.providers
from ndes.providers.resource import NdesResource


def resources() -> list[type[NdesResource]]:
    importlib.import_module("ndes.providers.resources")  # where the Resources are declared
    for m in pkgutil.iter_modules(ndes.providers.__path__):
        importlib.import_module(f"ndes.providers.{m.name}")
    return sorted(NdesResource.__subclasses__(), key=lambda c: c.__name__)


def holds_secret(annotation) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel) and any(
        f.repr is False for f in annotation.model_fields.values())


def test_every_resource_derives_from_the_base():
    assert {"NdesRole", "ServiceAccount", "ScepProfile", "WindowsFeatures"} <= {c.__name__ for c in resources()}


@pytest.mark.parametrize("cls", resources(), ids=lambda c: c.__name__)
def test_secret_inputs_are_the_providers_secret_fields(cls):
    provider = cls.provider_class
    secret_inputs = {f.alias or n for n, f in provider.Inputs.model_fields.items()
                     if f.repr is False or holds_secret(f.annotation)}
    assert set(provider.secret_fields) == secret_inputs
    assert sorted(provider.secret_outputs()) == sorted(provider.secret_fields)


@pytest.mark.parametrize("cls", resources(), ids=lambda c: c.__name__)
def test_the_resource_hands_the_secret_fields_to_the_engine(cls, monkeypatch):
    seen = {}

    def capture(self, provider, name, props, opts=None):
        seen.update(provider=provider, props=props, opts=opts)

    monkeypatch.setattr(pulumi.dynamic.Resource, "__init__", capture)
    cls("r", {"owner": "p/s/r"})
    assert type(seen["provider"]) is cls.provider_class
    assert sorted(seen["opts"].additional_secret_outputs or []) == sorted(cls.provider_class.secret_fields)
    assert seen["props"]["owner"] == "p/s/r" and all(seen["props"][k] is None for k in cls.outputs)
