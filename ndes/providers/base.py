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
- delete removes only what this resource instance made (see ndes/providers/generation.py): every create stamps a
  new generation into the owner mark the plane writes on the live object and keeps it in state; a delete whose
  live object now carries another generation (a replacement or a moved resource took it over) is a logged no-op.
- state written by an older release is brought to today's shape by `migrate` before diff, read, update and
  delete (each state records the schema version that wrote it); an input absent from old state that equals its
  default is no change.
- connections (ndes/providers/connections.py): the inputs name the connection (`connection`: ref and
  fingerprint); `configure()` keeps the stack config the engine hands the provider and every verb resolves the
  connection from it, falling back to the copy kept in state (`__connection`, a secret) when the verb runs
  without the program. The Inputs' `connection_fields` are filled from it before validation and never stored
  as inputs, so a rotated password works for refresh and destroy, and a diff shows only what the admin declares.

Providers hold no live connections: every hook builds its client from `inp` inside the call.
"""
from __future__ import annotations

import functools
import json
import sys
from dataclasses import dataclass
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic.alias_generators import to_camel
from pydantic_core import to_jsonable_python
from ..model.field_rules import RECORDED
from . import connections as conns
from . import faults
from . import generation as gen
from .results import CheckFailure, CheckResult, CreateResult, DiffResult, ReadResult, UpdateResult

UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"  # the engine's marker for a value unknown at preview
PROVIDER_KEY = "__provider"
SCHEMA_KEY = "__schemaVersion"
"""The schema version of the provider code that wrote a state (absent: written before versions were recorded,
version 0). `__`-prefixed keys are internal to the engine's display, so they never show in a diff."""
INTERNAL_KEYS = (PROVIDER_KEY, SCHEMA_KEY, gen.GENERATION_KEY, conns.STATE_COPY)
IDENTITY_INPUTS: dict[str, frozenset[str]] = {
    "CaAccess": frozenset({"accountSid"}),             # the service account's SID
    "IisHttpsBinding": frozenset({"thumbprint"}),      # the SSL certificate's thumbprint
    "ScepProfile": frozenset({"rootProfileId"}),       # its trusted root profile's Graph id
    "MachineCertificate": frozenset({"templateOid"}),  # the SSL template's OID (the forest assigns it at creation)
}
"""Inputs that are the immutable identity of another resource (an output it gets when created). At preview they
are unknown whenever that resource is updated, yet they change only when it is replaced: an unknown value there
is no change, so a preview does not announce an update the up will not do. (When the other resource is replaced
the preview shows that replace; the up then re-diffs with the new value and updates this one.)"""
NO_GENERATION_IN_MARK: dict[str, str] = {
    "WindowsFeatures": "WindowsFeatures.ps1 keeps one record of installed features per owner name: a generation "
                       "there would split the record",
    "MachineCertificate": "MachineCertificate.ps1 keeps the FriendlyName of a certificate it takes over, so the mark "
                          "would keep the older generation",
}
"""Planes whose live mark cannot follow the generation of the create that took the object over; they rely on the
in-deployment record only (generation.py). Remove a kind once its script re-stamps the mark on every set."""


class ConnectionRef(BaseModel):
    """The `connection` input: which connection of the stack config reaches this resource's server."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid",
                              hide_input_in_errors=True)

    ref: str
    fingerprint: str = ""
    url: str | None = None
    host: str | None = None
    address: str | None = None
    insecure_skip_tls_verify: bool | None = None


class ResourceInputs(BaseModel):
    """Base of every resource's Inputs: camelCase on the wire, unknown keys refused, plain data only."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid", hide_input_in_errors=True)
    connection_fields: ClassVar[tuple[str, ...]] = ()
    """Wire names of the inputs that are connection plumbing (endpoint, bind, Graph identity): resolved from
    the stack config by `connection`, never stored as inputs when `connection` is given."""

    adopt: bool = False
    """Take over an object that already exists (a hand-built NDES) instead of refusing."""
    owner: str = ""
    """<project>/<stack>/<resource name>: marks what this resource created, for crash recovery."""
    config_key: str = ""
    """The stack config key this resource comes from (e.g. ndes:serviceAccount), for error messages."""
    connection: ConnectionRef | None = None
    """See connections.py; None: the connection fields travel as inputs (callers that pass them directly)."""

    def wire(self) -> dict[str, Any]:
        out = self.model_dump(by_alias=True, mode="json")
        if out.get(conns.CONNECTION) is None:
            out.pop(conns.CONNECTION, None)
        else:
            out[conns.CONNECTION] = {k: v for k, v in out[conns.CONNECTION].items() if v is not None}
        return out


META_FIELDS = ("adopt", "owner", "configKey")


@dataclass(frozen=True)
class Existing:
    id: str
    owner: str | None = None
    """The owner mark found on the live object, if it carries one."""


class AlreadyExists(Exception):
    pass


def secret_inputs(inputs: type[BaseModel]) -> frozenset[str]:
    """The wire names of the inputs that hold a secret: a field hidden from repr (`Field(repr=False)`, which
    also keeps it out of validation errors), or an object carrying one (the WinRM endpoint and its password)."""
    def holds_secret(annotation: Any) -> bool:
        return isinstance(annotation, type) and issubclass(annotation, BaseModel) and any(
            f.repr is False for f in annotation.model_fields.values())
    return frozenset(f.alias or n for n, f in inputs.model_fields.items()
                     if f.repr is False or holds_secret(f.annotation))


def contains_unknown(value: Any) -> bool:
    """True when the value (or anything inside it) is still unknown at preview: the engine hands providers
    `pulumi.output.Unknown` objects (or, over some paths, the UNKNOWN marker string)."""
    sdk = sys.modules.get("pulumi.output")  # no Pulumi loaded (ndes verify): no value can be unknown
    if sdk is not None and isinstance(value, sdk.Unknown):
        return True
    if isinstance(value, str):
        return value == UNKNOWN
    if isinstance(value, dict):
        return any(contains_unknown(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(contains_unknown(v) for v in value)
    return False


def under_dynamic_host() -> bool:
    """True inside the engine's dynamic provider host (`python -m pulumi.dynamic`), False in tests and programs."""
    main = sys.modules.get("__main__")
    return getattr(getattr(main, "__spec__", None), "name", "") == "pulumi.dynamic.__main__"


def changes_for_engine(changed: list[str]) -> bool | None:
    """What a diff tells the engine: no change (False), or, when something changed, "unknown" (None) inside the
    dynamic provider host. The Python dynamic provider cannot return which properties differ (DiffResult has no
    detailed diff), so the engine would print every input of an updated resource, unchanged ones included, in
    `preview --diff`; on "unknown" it diffs the old and new inputs itself and prints only the changed ones
    (engine v3.274.1, pkg/resource/deploy/step_generator.go diffResource: DiffUnknown -> ChangedKeys and
    DetailedDiff from the inputs). Whether there is a change, and what replaces, stay this provider's decision:
    "unknown" is said only when it found a change, and the replaces go with it."""
    if not changed:
        return False
    return None if under_dynamic_host() else True


def _canon(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def _keeps_generation(update: Any) -> Any:
    """Wrap a plane's own `update`: its news carry the state's generation (so `parse` stamps the owner mark
    with it), the old state is migrated first, and the outputs record schema and generation as the base does."""
    if getattr(update, "_keeps_generation", False):
        return update

    @functools.wraps(update)
    def wrapper(self: "NdesProvider", id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        olds = self.upgraded(olds or {})
        if self._changed(olds, news) == [conns.CONNECTION]:
            return UpdateResult(self._reconnected(olds, news))
        generation = news.get(gen.GENERATION_KEY) or olds.get(gen.GENERATION_KEY) or gen.new()
        result = update(self, id_, olds, {**news, gen.GENERATION_KEY: generation})
        if result.outs is not None:
            self._record(result.outs, generation)
        return result

    wrapper._keeps_generation = True  # type: ignore[attr-defined]
    return wrapper


class NdesProvider:
    """Base of the project's dynamic providers. Subclasses set `kind`, `Inputs`, `replace_on`, and the hooks.
    No Pulumi import: the dynamic provider host calls the verbs by name and reads their results' attributes
    (results.py), so `ndes verify` reads through these classes without the SDK."""

    serialize_as_secret_always: ClassVar[bool] = True  # the pickled provider stays a secret (the SDK's default)

    kind: ClassVar[str] = "Resource"
    Inputs: ClassVar[type[ResourceInputs]] = ResourceInputs
    replace_on: ClassVar[frozenset[str]] = frozenset()
    delete_before_replace: ClassVar[bool] = False
    secret_fields: ClassVar[frozenset[str]] = frozenset()
    """Inputs that are secrets: kept in state (the engine encrypts them), never returned from `get`, the
    Resource's secret outputs. Derived from the Inputs (see `secret_inputs`): a secret is declared once, where
    the input is."""
    schema_version: ClassVar[int] = 1
    """Bump when the shape of Inputs/outputs changes in a way `migrate` must translate; recorded in every state."""
    identity_inputs: ClassVar[frozenset[str]] = frozenset()
    """See IDENTITY_INPUTS (filled from it by kind unless a provider sets its own)."""
    stamps_generation: ClassVar[bool] = True
    """Whether the owner mark this plane writes is a value (it can carry a generation). False where the plane
    cannot follow a takeover (NO_GENERATION_IN_MARK)."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "kind" not in cls.__dict__ and cls.__name__.endswith("Provider"):
            cls.kind = cls.__name__.removesuffix("Provider")  # WindowsFeaturesProvider -> WindowsFeatures
        if "secret_fields" not in cls.__dict__:
            cls.secret_fields = secret_inputs(cls.Inputs)
        if "identity_inputs" not in cls.__dict__ and cls.kind in IDENTITY_INPUTS:
            cls.identity_inputs = IDENTITY_INPUTS[cls.kind]
        if cls.kind in NO_GENERATION_IN_MARK and "stamps_generation" not in cls.__dict__:
            cls.stamps_generation = False
        if "update" in cls.__dict__:  # a plane's own update keeps the generation and records the schema too
            cls.update = _keeps_generation(cls.__dict__["update"])
        faults.guard_verbs(cls)  # NDES_FAULT: stop here, for the crash matrix (faults.py; off unless set)

    # ---- hooks -------------------------------------------------------------------------------------------
    previous: dict[str, Any] = {}
    """The state the last run recorded (migrated to today's schema), while `find` and `apply` run for an update;
    empty on create. Hooks that converge away from what the last run did read it (a template dropped from the
    MSCEP mapping goes back to the default; Intune targets this stack set before)."""

    def find(self, inp: Any) -> Existing | None:
        raise NotImplementedError

    def apply(self, inp: Any, existing: Existing | None) -> tuple[str, dict[str, Any]]:
        raise NotImplementedError

    def get(self, id_: str, inp: Any) -> dict[str, Any] | None:
        raise NotImplementedError

    def remove(self, id_: str, inp: Any) -> None:
        raise NotImplementedError

    def migrate(self, olds: dict[str, Any], version: int) -> dict[str, Any]:
        """Translate a state written by schema `version` (< schema_version) to today's keys and words. The
        default keeps it: an input added since then with a default reads as that default (see `diff`)."""
        return olds

    def warnings(self, olds: Any, news: Any) -> list[str]:
        """Messages to show with a diff (e.g. why a change replaces); the engine shows check failures only,
        so providers surface these through their outputs' `notes`."""
        return []

    # ---- connections (connections.py) ---------------------------------------------------------------------
    _stack_config: dict[str, Any] = {}
    graph_ref: ClassVar[str] = "graph"
    """The Graph connection of this kind (App Proxy: graph:appProxy), for a state from before connections."""

    def configure(self, req: Any) -> None:
        """Keep the stack config: the engine hands a dynamic provider the whole stack config, secrets decrypted,
        during preview, up and refresh/destroy --run-program, and none on a plain refresh or destroy
        (pulumi/dynamic/__main__.py: get_provider calls configure on each provider it deserializes)."""
        raw = getattr(getattr(req, "config", None), "_props", None)
        self._stack_config = dict(raw) if isinstance(raw, dict) else {}

    def connection(self, props: dict[str, Any]) -> tuple[dict[str, Any] | None, str]:
        """(the connection fields for these inputs or this state, where they came from: "config" (the
        stack config, by `connection.ref`), "inputs" (passed inline, or a state written before connections),
        "state" (the copy the last verb kept), or "" (none))."""
        fields = self.Inputs.connection_fields
        if not fields:
            return None, ""
        ref = props.get(conns.CONNECTION) or conns.implied(props, self.graph_ref)
        if isinstance(ref, dict) and isinstance(ref.get("ref"), str) and self._stack_config:
            cfg = conns.config_from(self._stack_config, conns.stack_of(props.get("owner") or ""))
            if cfg is not None:
                try:
                    conn = conns.resolve(cfg, ref["ref"])
                except conns.ConnectionError_ as exc:
                    print(f"warning: {self.kind}: {exc}; using the connection kept in state", file=sys.stderr,
                          flush=True)
                else:
                    url = ref.get("url")
                    conn = conns.with_url(conn, url if isinstance(url, str) and url != UNKNOWN else None)
                    return {k: v for k, v in conn.items() if k in fields}, "config"
        if any(k in props for k in fields):
            return {k: props[k] for k in fields if k in props}, "inputs"
        copy = conns.unsecret(props.get(conns.STATE_COPY))
        if isinstance(copy, dict):
            return {k: v for k, v in copy.items() if k in fields}, "state"
        return None, ""

    def filled(self, props: dict[str, Any]) -> dict[str, Any]:
        """Inputs or state with the connection fields filled in (see `connection`)."""
        conn, _ = self.connection(props)
        return {**props, **conn} if conn else props

    def _public(self, outs: dict[str, Any], conn: dict[str, Any] | None) -> dict[str, Any]:
        """Outputs without the connection fields when the resource names its `connection`; the connection used
        is kept as a secret (the fallback of a verb run without the program)."""
        fields = self.Inputs.connection_fields
        if not fields or not isinstance(outs.get(conns.CONNECTION), dict):
            return outs
        for k in fields:
            outs.pop(k, None)
        if conn:
            outs[conns.STATE_COPY] = conns.secret(conn)
        return outs

    def _reconnected(self, olds: dict[str, Any], news: dict[str, Any]) -> dict[str, Any]:
        """The outputs of an update that changes only the connection (a new URL, user or CA bundle): nothing
        to converge on the server; the state records the new reference and the connection."""
        outs = {k: v for k, v in olds.items() if k != PROVIDER_KEY}
        outs[conns.CONNECTION] = news[conns.CONNECTION]
        conn, _ = self.connection({**news, "owner": news.get("owner") or olds.get("owner")})
        return self._record(self._public(outs, conn), olds.get(gen.GENERATION_KEY) or "")

    def _refreshed(self, id_: str, props: dict[str, Any], live: dict[str, Any]) -> ReadResult:
        """read's result: the state with the live values (inputs in the admin's words, for refresh's drift)."""
        conn, _ = self.connection(props)
        outs = {k: v for k, v in props.items() if k != PROVIDER_KEY}
        outs.update(live)
        outs = self._public(outs, conn)
        return ReadResult(id_, outs, {k: outs[k] for k in self._wire_names() if k in outs})

    # ---- helpers -----------------------------------------------------------------------------------------
    def parse(self, props: dict[str, Any]) -> Any:
        """Validated Inputs from inputs or state (the connection filled in; what read recorded loads as it is:
        RECORDED); the owner carries the state's generation (what the plane writes and compares on the live object)."""
        props = self.filled(props)
        data = {k: v for k, v in props.items() if k != PROVIDER_KEY and k in self._wire_names()}
        return self._stamped(self.Inputs.model_validate(data, context=RECORDED), props.get(gen.GENERATION_KEY) or "")

    def upgraded(self, state: dict[str, Any]) -> dict[str, Any]:
        """A state (olds/outputs) brought to today's schema by `migrate` (internal keys kept as they are)."""
        try:
            version = int(state.get(SCHEMA_KEY) or 0)
        except (TypeError, ValueError):
            version = 0
        if version >= self.schema_version:
            return state
        internal = {k: state[k] for k in INTERNAL_KEYS if k in state}
        out = dict(self.migrate({k: v for k, v in state.items() if k not in INTERNAL_KEYS}, version))
        return {**out, **internal}

    @classmethod
    def default_wire(cls, name: str) -> tuple[bool, Any]:
        """(has a default, the default as it travels on the wire) of the input `name` (camelCase)."""
        for n, f in cls.Inputs.model_fields.items():
            if (f.alias or n) == name:
                if f.is_required():
                    return False, None
                return True, to_jsonable_python(f.get_default(call_default_factory=True), by_alias=True)
        return False, None

    def _stamped(self, inp: Any, generation: str) -> Any:
        """inp with the owner mark the plane writes carrying `generation` (unchanged where it cannot)."""
        if not generation or not inp.owner or not self.stamps_generation:
            return inp
        return inp.model_copy(update={"owner": gen.mark(inp.owner, generation)})

    def _record(self, outs: dict[str, Any], generation: str) -> dict[str, Any]:
        """Outputs with the owner in the admin's words, the schema version and the generation recorded."""
        if outs.get("owner"):
            outs["owner"] = gen.owner_of(outs["owner"])
        outs[SCHEMA_KEY] = self.schema_version
        if generation:
            outs[gen.GENERATION_KEY] = generation
        return outs

    @classmethod
    def secret_outputs(cls) -> list[str]:
        """The secret fields in the order the Inputs declare them: what the Resource lists in
        `additional_secret_outputs` (one declaration, `secret_fields`, serves both)."""
        return [f.alias or n for n, f in cls.Inputs.model_fields.items() if (f.alias or n) in cls.secret_fields]

    @classmethod
    def _wire_names(cls) -> set[str]:
        return {f.alias or n for n, f in cls.Inputs.model_fields.items()}

    @classmethod
    def compared_fields(cls) -> list[str]:
        """What a diff compares: the admin's inputs and the connection reference, not the connection itself."""
        return sorted(n for n in cls._wire_names() if n not in META_FIELDS and n not in cls.Inputs.connection_fields)

    def _outs(self, inp: Any, id_: str, live: dict[str, Any]) -> dict[str, Any]:
        outs = inp.wire()
        conn = {k: outs[k] for k in self.Inputs.connection_fields if k in outs}
        outs.update(live)
        return self._public(outs, conn)

    def what(self, inp: Any) -> str:
        return f"{self.kind}" + (f" ({inp.config_key})" if getattr(inp, "config_key", "") else "")

    # ---- the engine's verbs ------------------------------------------------------------------------------
    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        props = {k: v for k, v in news.items() if k != PROVIDER_KEY}
        full = self.filled(props)
        from .adoption import report  # adopt: true on a create: say what taking the object over changes
        report(self, {k: v for k, v in (_olds or {}).items() if k != PROVIDER_KEY}, full)
        if contains_unknown(full):
            return CheckResult(props, [])
        try:
            inp = self.Inputs.model_validate(full)
        except ValidationError as exc:
            failures = []
            for err in exc.errors(include_input=False, include_url=False):
                loc = ".".join(str(p) for p in err.get("loc", ())) or "(inputs)"
                msg = err.get("msg", "").removeprefix("Value error, ")
                key = props.get("configKey") if isinstance(props.get("configKey"), str) else ""
                failures.append(CheckFailure(loc, f"{key + ': ' if key else ''}{msg}"))
            return CheckResult(props, failures)
        return CheckResult(self._public(inp.wire(), None), [])

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        olds = self.upgraded(olds)
        changed = self._changed(olds, news)
        replaces = [n for n in changed if n in self.replace_on]
        return DiffResult(changes=changes_for_engine(changed), replaces=replaces,
                          delete_before_replace=self.delete_before_replace if replaces else None)

    def _changed(self, olds: dict[str, Any], news: dict[str, Any]) -> list[str]:
        """The compared inputs whose new value differs from the (migrated) state."""
        changed = []
        for name in self.compared_fields():
            if name == conns.CONNECTION and name not in olds:
                continue  # a state from before connections: its inline connection is the fallback until an update
            new = news.get(name)
            if contains_unknown(new):
                if not (name in self.identity_inputs and olds.get(name)):
                    changed.append(name)
                continue
            if name not in olds:  # an input added since this state was written: its default is no change
                has_default, default = self.default_wire(name)
                if (has_default and _canon(default) == _canon(new)) or (new is None and not has_default):
                    continue
            if _canon(olds.get(name)) != _canon(new):
                changed.append(name)
        return changed

    def create(self, props: dict[str, Any]) -> CreateResult:
        inp = self.parse(props)
        existing = self.find(inp)
        ours = bool(inp.owner) and existing is not None and gen.owner_of(existing.owner) == inp.owner
        if existing is not None and not inp.adopt and not ours:
            raise AlreadyExists(
                f"{self.what(inp)} already exists: {existing.id}. Set adopt: true in its config to take it over "
                f"(pulumi will then converge it to the configuration), or remove it first.")
        generation = gen.new()
        stamped = self._stamped(inp, generation)
        id_, live = self.apply(stamped, existing)
        gen.created(self.kind, id_, generation)  # a delete of this object by an older generation must keep it
        return CreateResult(id_, self._record(self._outs(stamped, id_, live), generation))

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        previous = self.upgraded(olds or {})
        if self._changed(previous, news) == [conns.CONNECTION]:
            return UpdateResult(self._reconnected(previous, news))
        generation = news.get(gen.GENERATION_KEY) or (olds or {}).get(gen.GENERATION_KEY) or gen.new()
        inp = self.parse({**news, gen.GENERATION_KEY: generation})
        self.previous = previous
        try:
            existing = self.find(inp)
            new_id, live = self.apply(inp, existing or Existing(id_))
        finally:
            self.previous = {}
        return UpdateResult(self._record(self._outs(inp, new_id, live), generation))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        props = self.upgraded(props)
        inp = self.parse(props)
        live = self.get(id_, inp)
        if live is None:
            return ReadResult(None, {})
        return self._refreshed(id_, props, live)

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        props = self.upgraded(props)
        inp = self.parse(props)
        generation = props.get(gen.GENERATION_KEY) or ""
        why = gen.keep_reason(self, id_, inp, generation)
        if why:
            gen.say(f"keep: {self.what(inp)} {id_}: {why}; not deleted")
            return
        self.remove(id_, inp)
        gen.deleted(self.kind, id_, generation)


faults.guard_verbs(NdesProvider)
