"""A stack's own policy config, kept in the repository beside the pack: policy-config.<stack>.json.

The pack hands it to the engine as its initial config, so `pulumi preview --policy-pack policies` on stack S
applies policy-config.S.json without another flag; a file given with --policy-pack-config still wins, key by key.
The file has the engine's policy config shape:
    {"all": "mandatory", "<policy>": "advisory" | {"enforcementLevel": "...", "<property>": value}}
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pulumi_policy import EnforcementLevel


def load(directory: Path, stack: str) -> dict[str, Any] | None:
    """The initial config for `stack` (EnforcementLevel values where the JSON has level names), or None."""
    if not stack:
        return None
    path = directory / f"policy-config.{stack}.json"
    if not path.is_file():
        return None
    raw = json.loads(path.read_text())
    if not isinstance(raw, dict):
        raise ValueError(f"{path}: the policy config must be a JSON object keyed by policy name")
    out: dict[str, Any] = {}
    for name, value in raw.items():
        if isinstance(value, str):
            out[name] = EnforcementLevel(value)
        elif isinstance(value, dict):
            out[name] = {k: EnforcementLevel(v) if k == "enforcementLevel" else v for k, v in value.items()}
        else:
            raise ValueError(f"{path}: {name} must be an enforcement level or an object")
    return out
