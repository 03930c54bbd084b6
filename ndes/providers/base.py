"""The shape every dynamic provider here follows, so each resource file holds only what is its own.

A resource declares:
- `Inputs`: a pydantic model of its inputs in the admin's words (camelCase aliases, as in the stack config);
- `replace_on`: the input names whose change forces a replacement (AD names, install-time settings);
- four hooks, all working on validated `Inputs`:
    `find(inp) -> Existing | None`     the live object this resource would create, if one exists already;
    `apply(inp, existing) -> (id, live)` converge the live object to `inp` (create or update); safe to re-run;
    `get(id, inp) -> dict | None`       live state in the admin's words (same keys as Inputs), None when gone;
    `remove(id, inp) -> None`           delete what this resource created (idempotent: gone is fine).

The base turns these into check / diff / create / read / update / delete:
- check validates and normalises inputs (skipped for inputs still unknown at preview) and reports errors
  against the input name, so the engine prints them before anything touches a server;
- diff compares the declared inputs with the last known state (outputs hold the same keys, in the same words);
- create refuses to take over an object it did not create unless `adopt` is true; an object carrying this
  resource's own owner mark (left by a create that crashed before the engine recorded it) is taken back;
- read maps live state back to inputs, so `pulumi refresh` and `preview --diff` show drift in the admin's words,
  and keeps NotFound (the object is gone) apart from Unavailable (the server did not answer: an error).

Providers hold no live connections: every hook builds its client from `inp` inside the call.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, ClassVar

from pulumi.output import Unknown
from pulumi.dynamic import CheckFailure, CheckResult, CreateResult, DiffResult, ReadResult, ResourceProvider, UpdateResult
from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic.alias_generators import to_camel

UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"  # the engine's marker for a value unknown at preview
PROVIDER_KEY = "__provider"


class ResourceInputs(BaseModel):
    """Base of every resource's Inputs: camelCase on the wire, unknown keys refused, plain data only."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid", hide_input_in_errors=True)

    adopt: bool = False
    """Take over an object that already exists (a hand-built NDES) instead of refusing."""
    owner: str = ""
    """<project>/<stack>/<resource name>: marks what this resource created, for crash recovery."""
    config_key: str = ""
    """The stack config key this resource comes from (e.g. ndes:serviceAccount), for error messages."""

    def wire(self) -> dict[str, Any]:
        return self.model_dump(by_alias=True, mode="json")


META_FIELDS = ("adopt", "owner", "configKey")


@dataclass(frozen=True)
class Existing:
    id: str
    owner: str | None = None
    """The owner mark found on the live object, if it carries one."""


class AlreadyExists(Exception):
    pass


def contains_unknown(value: Any) -> bool:
    """True when the value (or anything inside it) is still unknown at preview: the engine hands providers
    `pulumi.output.Unknown` objects (or, over some paths, the UNKNOWN marker string)."""
    if isinstance(value, Unknown):
        return True
    if isinstance(value, str):
        return value == UNKNOWN
    if isinstance(value, dict):
        return any(contains_unknown(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(contains_unknown(v) for v in value)
    return False


def _canon(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


class NdesProvider(ResourceProvider):
    """Base of the project's dynamic providers. Subclasses set `kind`, `Inputs`, `replace_on`, and the hooks."""

    kind: ClassVar[str] = "Resource"
    Inputs: ClassVar[type[ResourceInputs]] = ResourceInputs
    replace_on: ClassVar[frozenset[str]] = frozenset()
    delete_before_replace: ClassVar[bool] = False
    secret_fields: ClassVar[frozenset[str]] = frozenset()
    """Inputs that are secrets: kept in state (the engine encrypts them), never returned from `get`."""

    # ---- hooks -------------------------------------------------------------------------------------------
    def find(self, inp: Any) -> Existing | None:
        raise NotImplementedError

    def apply(self, inp: Any, existing: Existing | None) -> tuple[str, dict[str, Any]]:
        raise NotImplementedError

    def get(self, id_: str, inp: Any) -> dict[str, Any] | None:
        raise NotImplementedError

    def remove(self, id_: str, inp: Any) -> None:
        raise NotImplementedError

    def warnings(self, olds: Any, news: Any) -> list[str]:
        """Messages to show with a diff (e.g. why a change replaces); the engine shows check failures only,
        so providers surface these through their outputs' `notes`."""
        return []

    # ---- helpers -----------------------------------------------------------------------------------------
    def parse(self, props: dict[str, Any]) -> Any:
        data = {k: v for k, v in props.items() if k != PROVIDER_KEY and k in self._wire_names()}
        return self.Inputs.model_validate(data)

    @classmethod
    def _wire_names(cls) -> set[str]:
        return {f.alias or n for n, f in cls.Inputs.model_fields.items()}

    @classmethod
    def compared_fields(cls) -> list[str]:
        return sorted(n for n in cls._wire_names() if n not in META_FIELDS)

    def _outs(self, inp: Any, id_: str, live: dict[str, Any]) -> dict[str, Any]:
        outs = inp.wire()
        outs.update(live)
        return outs

    def what(self, inp: Any) -> str:
        return f"{self.kind}" + (f" ({inp.config_key})" if getattr(inp, "config_key", "") else "")

    # ---- the engine's verbs ------------------------------------------------------------------------------
    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        props = {k: v for k, v in news.items() if k != PROVIDER_KEY}
        from .adoption import report  # adopt: true on a create: say what taking the object over changes
        report(self, {k: v for k, v in (_olds or {}).items() if k != PROVIDER_KEY}, props)
        if contains_unknown(props):
            return CheckResult(props, [])
        try:
            inp = self.Inputs.model_validate(props)
        except ValidationError as exc:
            failures = []
            for err in exc.errors(include_input=False, include_url=False):
                loc = ".".join(str(p) for p in err.get("loc", ())) or "(inputs)"
                msg = err.get("msg", "").removeprefix("Value error, ")
                key = props.get("configKey") if isinstance(props.get("configKey"), str) else ""
                failures.append(CheckFailure(loc, f"{key + ': ' if key else ''}{msg}"))
            return CheckResult(props, failures)
        return CheckResult(inp.wire(), [])

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        changed = []
        for name in self.compared_fields():
            new = news.get(name)
            if contains_unknown(new) or _canon(olds.get(name)) != _canon(new):
                changed.append(name)
        replaces = [n for n in changed if n in self.replace_on]
        return DiffResult(changes=bool(changed), replaces=replaces,
                          delete_before_replace=self.delete_before_replace if replaces else None)

    def create(self, props: dict[str, Any]) -> CreateResult:
        inp = self.parse(props)
        existing = self.find(inp)
        if existing is not None and not inp.adopt and not (inp.owner and existing.owner == inp.owner):
            raise AlreadyExists(
                f"{self.what(inp)} already exists: {existing.id}. Set adopt: true in its config to take it over "
                f"(pulumi will then converge it to the configuration), or remove it first.")
        id_, live = self.apply(inp, existing)
        return CreateResult(id_, self._outs(inp, id_, live))

    def update(self, id_: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        inp = self.parse(news)
        existing = self.find(inp)
        new_id, live = self.apply(inp, existing or Existing(id_))
        return UpdateResult(self._outs(inp, new_id, live))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        inp = self.parse(props)
        live = self.get(id_, inp)
        if live is None:
            return ReadResult(None, {})
        outs = dict(props)
        outs.pop(PROVIDER_KEY, None)
        outs.update(live)
        inputs = {k: outs[k] for k in self._wire_names() if k in outs}
        return ReadResult(id_, outs, inputs)

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        self.remove(id_, self.parse(props))
