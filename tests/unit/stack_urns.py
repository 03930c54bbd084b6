"""The URNs the lab stack's program registers, computed under Pulumi mocks (no lab, no engine).

A URN names a resource in every existing stack's state: a changed URN (a renamed resource or component type, a
new parent) is, to the engine, a delete of the old resource and a create of a new one, unless the resource (or a
parent component, which carries its children) declares the old URN as an alias. tests/unit/test_urn_stability.py
compares what the program registers today with the committed list tests/unit/lab_stack_urns.txt.

Regenerate the list after adding a resource (or after adding the alias that covers a move):

    .venv/bin/python -m tests.unit.stack_urns --write
"""
from __future__ import annotations

import json
import os
import re
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import yaml
from pulumi.runtime import mocks as pm

ROOT = Path(__file__).resolve().parents[2]
URN_FILE = Path(__file__).with_name("lab_stack_urns.txt")
PROJECT, STACK = "ndes", "lab"
ROOT_STACK_TYPE = "pulumi:pulumi:Stack"
DUMMY_SECRET = "unit-test-secret"


def urn(parent: str, type_: str, name: str, stack: str = STACK, project: str = PROJECT) -> str:
    """The engine's URN: the parent's qualified type chain (the root stack left out), then the type and name."""
    if parent:
        qualified = parent.split("::")[2]
        if qualified != ROOT_STACK_TYPE:
            type_ = f"{qualified}${type_}"
    return f"urn:pulumi:{stack}::{project}::{type_}::{name}"


@dataclass
class Registered:
    urn: str
    parent: str
    type: str
    name: str
    aliases: list[Any] = field(default_factory=list)


class _Monitor(pm.MockMonitor):
    """MockMonitor that names resources as the engine does and keeps each registration's parent and aliases."""

    def __init__(self, mocks: pm.Mocks):
        super().__init__(mocks)
        self.registered: dict[str, Registered] = {}

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        return urn(parent, type_, name, pulumi.get_stack(), pulumi.get_project())

    def RegisterResource(self, request):  # noqa: N802 (the gRPC name)
        res = super().RegisterResource(request)
        if request.type != ROOT_STACK_TYPE:
            self.registered[res.urn] = Registered(res.urn, request.parent, request.type, request.name,
                                                  list(request.aliases))
        return res


class _Echo(pm.Mocks):
    def new_resource(self, args: pm.MockResourceArgs):
        return f"{args.name}-id", dict(args.inputs)

    def call(self, args: pm.MockCallArgs):
        return {}


def lab_config(path: Path | None = None) -> Any:
    """The lab stack's config (Pulumi.lab.yaml, or the stack file at `path`), its `fromEnv` secrets and CA bundle
    standing in as dummies."""
    from ndes.model import load_config
    return load_config(lab_raw(path))


def lab_raw(path: Path | None = None) -> dict[str, Any]:
    """The lab stack's config values (top-level keys without `ndes:`), `fromEnv` resolved to dummies."""
    path = path or ROOT / "Pulumi.lab.yaml"
    try:
        from ndes.model.env_refs import resolve_env_refs
    except ImportError:  # a release before the model's config pipeline (golden_state.py): it read os.environ
        from ndes.program import resolve_env_refs as before

        def resolve_env_refs(value, key, problems, environ):  # type: ignore[misc]
            return before(value, key, problems)

    doc = yaml.safe_load(path.read_text())
    from ndes.model.load import TOP_LEVEL_KEYS  # an older release (golden_state.py) may not know newer keys
    raw = {k.split(":", 1)[1]: v for k, v in doc["config"].items()
           if k.startswith("ndes:") and k.split(":", 1)[1] in TOP_LEVEL_KEYS}
    bundle = Path(tempfile.mkdtemp(prefix="ndes-urns-")) / "ca.pem"
    bundle.write_text("-----BEGIN CERTIFICATE-----\nMA==\n-----END CERTIFICATE-----\n")
    env = {"NDES_LAB_CA_BUNDLE": str(bundle)}
    problems: list[Any] = []
    saved = dict(os.environ)
    try:
        # every {fromEnv: NAME} the lab stack reads gets a dummy (the lab's own secrets are not needed here)
        names = set(re.findall(r"fromEnv:\s*([A-Z0-9_]+)", path.read_text()))
        os.environ.update({n: DUMMY_SECRET for n in names - set(env)})
        os.environ.update(env)
        resolved = {k: resolve_env_refs(v, k, problems, os.environ) for k, v in raw.items()}
    finally:
        os.environ.clear()
        os.environ.update(saved)
    assert not problems, problems
    return resolved


def stack_config(path: Path | None = None) -> dict[str, str]:
    """The lab stack's config as the engine hands it to a provider's configure(): `ndes:<key>` -> JSON text."""
    return {f"ndes:{k}": v if isinstance(v, str) else json.dumps(v) for k, v in lab_raw(path).items()}


def configured(provider: Any, path: Path | None = None) -> Any:
    """`provider` after configure() with the lab stack's config (as the engine does during preview and up)."""
    from pulumi.dynamic import Config, ConfigureRequest
    provider.configure(ConfigureRequest(Config(stack_config(path), PROJECT)))
    return provider


def collect() -> dict[str, Registered]:
    """Run the program's deployment on the lab config under mocks; every registered resource by URN."""
    from ndes.components.deployment import NdesScepDeployment
    from ndes.program import secret_outputs

    cfg = lab_config()
    monitor = _Monitor(_Echo())
    pulumi.runtime.set_mocks(monitor.mocks, project=PROJECT, stack=STACK, preview=False, monitor=monitor)

    @pulumi.runtime.test
    def run():
        return NdesScepDeployment("ndes", cfg, secret_outputs(cfg)).urn

    run()
    return dict(monitor.registered)


def alias_urns(res: Registered, everything: dict[str, Registered]) -> set[str]:
    """The old URNs `res` answers to: its own aliases and, as the engine derives them, its parents'."""
    out: set[str] = set()
    for a in res.aliases:  # pulumi.Alias on the wire: an old URN, or a spec of what differed
        if isinstance(a, str) or a.WhichOneof("alias") == "urn":
            out.add(a if isinstance(a, str) else a.urn)
            continue
        sp = a.spec
        which = sp.WhichOneof("parent")
        # noParent: at the root; a parentUrn: under it; neither (or an empty one): the resource's own parent
        parent = "" if which == "noParent" and sp.noParent else (sp.parentUrn or res.parent)
        out.add(urn(parent, sp.type or res.type, sp.name or res.name, sp.stack or STACK, sp.project or PROJECT))
    parent = everything.get(res.parent)
    if parent is not None:
        for old_parent in alias_urns(parent, everything):
            out.add(urn(old_parent, res.type, res.name))
    return out


def main(argv: list[str]) -> int:
    urns = sorted(collect())
    if "--write" in argv:
        URN_FILE.write_text("# The lab stack's resource URNs (tests/unit/stack_urns.py --write). A URN that leaves\n"
                            "# this list needs an alias on its resource or a parent component.\n"
                            + "".join(f"{u}\n" for u in urns))
        print(f"wrote {len(urns)} URNs to {URN_FILE}")
    else:
        print("\n".join(urns))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
