"""The providers import no Pulumi: `ndes verify` reads through their hooks without the SDK, and only the Resource
declarations (ndes/providers/resources.py) bring it in. Run in a fresh interpreter: this test process has the
SDK loaded already."""
from __future__ import annotations

import subprocess
import sys

from ndes.providers import resources
from ndes.providers.base import NdesProvider

PROBE = """
import importlib, pkgutil, sys
import ndes.providers
for m in pkgutil.iter_modules(ndes.providers.__path__):
    if m.name not in ("resource", "resources"):
        importlib.import_module("ndes.providers." + m.name)
print(sorted(n for n in sys.modules if n == "pulumi" or n.startswith("pulumi.")))
"""


def test_provider_modules_load_without_the_pulumi_sdk():
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]", out


def test_every_resource_is_declared_once_with_its_provider():
    declared = {n: getattr(resources, n) for n in resources.__all__}
    providers = {r.provider_class for r in declared.values()}
    assert len(providers) == len(declared)  # one Resource per provider
    assert all(issubclass(p, NdesProvider) and p.__module__.startswith("ndes.providers.") for p in providers)
    assert {"NdesRole", "ServiceAccount", "ScepProfile", "WindowsFeatures"} <= set(declared)
