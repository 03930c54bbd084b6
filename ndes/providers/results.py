"""What a provider's verbs return, in the shapes the engine's dynamic provider host reads (attribute for
attribute as pulumi.dynamic's CheckResult, CheckFailure, DiffResult, CreateResult, ReadResult, UpdateResult:
pulumi/dynamic/__main__.py reads `inputs`/`failures`, `changes`/`replaces`/`delete_before_replace`, `id`/`outs`,
`id`/`outs`/`inputs` and `outs`, nothing else).

Declared here so the providers import no Pulumi: `ndes verify` reads through the providers' own read path
without loading the Pulumi SDK (issue 21), and only the Resource declarations (ndes/providers/resources.py) and
the components need it.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class CheckFailure:
    property: str
    reason: str


@dataclass
class CheckResult:
    inputs: dict[str, Any]
    failures: list[CheckFailure]


@dataclass
class DiffResult:
    changes: bool | None = None
    replaces: list[str] | None = None
    stables: list[str] | None = None
    delete_before_replace: bool | None = None


@dataclass
class CreateResult:
    id: str
    outs: dict[str, Any] | None = None


@dataclass
class ReadResult:
    id: str | None = None
    outs: dict[str, Any] | None = None
    inputs: dict[str, Any] | None = None


@dataclass
class UpdateResult:
    outs: dict[str, Any] | None = None
