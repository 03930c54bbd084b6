"""Pulumi's schema analyzer for Python components (pulumi.provider.experimental, what `pulumi package add` and
`pulumi package get-schema` run through provider/__main__.py) accepts the library components: typed args, typed
outputs, one `ndes:index:<Component>` token each. The chain's stack-config classes it rejected (the pulumi review,
M5) stay as they were, for the program."""
from __future__ import annotations

import pytest
from pulumi.provider.experimental.analyzer import Analyzer
from pulumi.provider.experimental.schema import generate_schema

from ndes.components.library import AppProxy, CaHost, DirectoryPlane, IntuneProfiles, NdesHost

COMPONENTS = [IntuneProfiles, DirectoryPlane, CaHost, NdesHost, AppProxy]


def schema() -> dict:
    a = Analyzer("ndes").analyze(COMPONENTS)
    return generate_schema("ndes", "0.2.0", None, a["component_definitions"], a["type_definitions"],
                           list(a["dependencies"])).to_json()


def test_every_library_component_has_a_schema():
    s = schema()
    assert sorted(s["resources"]) == sorted(f"ndes:index:{c.__name__}" for c in COMPONENTS)
    intune = s["resources"]["ndes:index:IntuneProfiles"]
    assert intune["isComponent"] is True
    assert {"graph", "scepUrls", "rootCertificateDer"} <= set(intune["requiredInputs"])
    assert "platforms" not in intune["requiredInputs"]
    assert {"scepProfileIds", "trustedRootProfileIds", "issuingCaProfileIds"} <= set(intune["properties"])
    graph = s["types"]["ndes:index:GraphConnectionArgs"]
    assert graph["required"] == ["tenantId"] and "clientSecret" in graph["properties"]
    host = s["resources"]["ndes:index:NdesHost"]
    assert {"raNotAfter", "sslNotAfter", "connectorRegistered", "connectorInstruction", "notes"} <= set(host["properties"])


def test_the_chain_plane_without_typed_args_is_still_refused():
    from ndes.components.intune import Intune
    with pytest.raises(Exception, match="requires an argument named 'args'"):
        Analyzer("ndes").analyze([Intune])


def test_library_component_types_match_the_provider_tokens():
    """The component provider constructs `ndes:index:<Class>`: each class must register that type itself."""
    assert IntuneProfiles.TYPE == "ndes:index:IntuneProfiles"
    import inspect
    for cls in (DirectoryPlane, CaHost, NdesHost, AppProxy):
        base = inspect.getsource(cls.__mro__[1].__init__)
        assert f'"ndes:index:{cls.__name__}"' in base


def test_the_yaml_example_matches_the_schema():
    """examples/yaml-intune (which the lab cannot run: no YAML language host, docs/library.md) uses only inputs the
    schema has, and every required one."""
    from pathlib import Path

    import yaml
    doc = yaml.safe_load((Path(__file__).resolve().parents[2] / "examples/yaml-intune/Pulumi.yaml").read_text())
    s = schema()
    res = doc["resources"]["intune"]
    assert res["type"] == "ndes:IntuneProfiles" and doc["packages"]["ndes"] == "../../provider"
    spec = s["resources"]["ndes:index:IntuneProfiles"]
    assert set(res["properties"]) <= set(spec["inputProperties"])
    assert set(spec["requiredInputs"]) <= set(res["properties"])
    graph = s["types"]["ndes:index:GraphConnectionArgs"]["properties"]
    assert set(res["properties"]["graph"]) <= set(graph)
    assert doc["outputs"]["scepProfileIds"] == "${intune.scepProfileIds}" and "scepProfileIds" in spec["properties"]
