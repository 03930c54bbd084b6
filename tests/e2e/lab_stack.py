"""The repository's own Pulumi program and `lab` stack, copied into a temporary project folder for a test.

The copy keeps the committed Pulumi.lab.yaml untouched while a test bends one value (`overrides` with dotted
paths inside the `ndes` namespace, e.g. {"intune.scepProfiles[0].keySize": 1024}); `.venv` is linked, so the program runs
with the project's packages; secrets and the CA bundle come from lab.env, as ./lab/up exports them.
"""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any, Mapping

import yaml

from lab.env import lab_environment

from .pulumi_cli import REPO_ROOT, PulumiCLI

PROGRAM_FILES = ("Pulumi.yaml", "__main__.py")


def set_dotted(config: dict, key: str, value: Any) -> None:
    """Set `key` in a stack's config: "ndes:intune.scepProfiles[0].keySize" (a list entry by its index)."""
    top, *rest = key.split(".")
    if not rest:
        config[top] = value
        return
    node: Any = config.setdefault(top, {})
    for i, part in enumerate(rest):
        name, _, index = part.partition("[")
        last = i == len(rest) - 1
        if index:
            node = node[name][int(index.rstrip("]"))]
            if last:
                raise ValueError(f"{key}: give a key inside the list entry")
        elif last:
            node[name] = value
        else:
            node = node.setdefault(name, {})


def _set_path(config: dict, dotted: str, value: Any) -> None:
    set_dotted(config, f"ndes:{dotted}", value)


def lab_stack_config(overrides: Mapping[str, Any] | None = None) -> dict:
    doc = yaml.safe_load((REPO_ROOT / "Pulumi.lab.yaml").read_text())
    for path, value in (overrides or {}).items():
        _set_path(doc["config"], path, value)
    return doc


def lab_project(tmp: Path, overrides: Mapping[str, Any] | None = None, stack: str = "lab",
                config_doc: dict | None = None) -> PulumiCLI:
    """A PulumiCLI on a fresh copy of the program with the lab stack's config (bent by `overrides`)."""
    project = tmp / "project"
    project.mkdir(parents=True, exist_ok=True)
    for name in PROGRAM_FILES:
        shutil.copy(REPO_ROOT / name, project / name)
    (project / ".venv").symlink_to(REPO_ROOT / ".venv")
    doc = config_doc if config_doc is not None else lab_stack_config(overrides)
    (project / f"Pulumi.{stack}.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
    env = lab_environment(state_dir=tmp / "state")
    cli = PulumiCLI(project, stack=stack, state_dir=tmp / "state", passphrase=env.pop("PULUMI_CONFIG_PASSPHRASE"),
                    env=env)
    cli.stack_init()
    return cli
