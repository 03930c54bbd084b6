"""Provider inputs that no longer validate (a state written before a schema change, a tampered state) never echo
their values: `pulumi refresh`, drift and destroy call read/delete with the stored inputs, and a pydantic
ValidationError would print them, the WinRM password included, into CI logs (security review M-7)."""
import importlib
import pkgutil

import pytest
from pydantic import ValidationError

import ndes.providers
from ndes.providers.base import NdesProvider

SECRET = "LEAK-Pa55-7f3a"


def providers() -> list[type[NdesProvider]]:
    for m in pkgutil.iter_modules(ndes.providers.__path__):
        importlib.import_module(f"ndes.providers.{m.name}")
    seen, todo = [], list(NdesProvider.__subclasses__())
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if cls.Inputs is not NdesProvider.Inputs:
            seen.append(cls)
    return sorted(set(seen), key=lambda c: c.__name__)


def test_every_provider_is_covered():
    names = {c.__name__ for c in providers()}
    assert {"NdesRoleProvider", "ServiceAccountProvider", "ScepProfileProvider", "RegistryValuesProvider"} <= names


@pytest.mark.parametrize("cls", providers(), ids=lambda c: c.__name__)
def test_stored_inputs_that_do_not_validate_are_not_echoed(cls):
    names = cls._wire_names()
    # Required fields missing (pydantic then echoes the whole input dict), secret fields of the wrong shape, and
    # the M-7 case: a nested endpoint missing its username, the password present.
    props = {n: [SECRET] for n in cls.secret_fields | {"owner"}}
    props["adopt"] = "not-a-bool"
    if "endpoint" in names:
        props["endpoint"] = {"host": "ndes01", "url": "https://ndes01:5986/wsman", "password": SECRET}
    for verb in ("read", "delete"):
        with pytest.raises(ValidationError) as exc:
            cls().parse(props) if verb == "read" else cls().delete("id", props)
        assert SECRET not in str(exc.value), f"{cls.__name__}.{verb} echoed an input"
