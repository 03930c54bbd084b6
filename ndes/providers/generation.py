"""Generations: a delete removes only the live object this resource instance made.

Why. `create` takes back an object that carries this resource's owner mark (crash recovery: a create the engine
never recorded). The same match happens when the engine replaces a resource create-before-delete (`pulumi up
--replace`, a `replace_on` field that keeps the object's natural key) and when a resource moves to a new URN
(re-parented, a component renamed, without an alias): the new resource takes the object over, then the engine
deletes the old one, which is the same object. Without a check that delete removes what its successor now owns.

How. Every create stamps a new generation into the owner mark the plane writes on the live object
(`<project>/<stack>/<resource>#<generation>`) and keeps it in state (`__generation`, hidden from diffs). A delete
first reads the live mark through the plane's own `find`; when the live object now carries another generation or
another owner, it is kept and the delete is a logged no-op. Within one deployment (one provider process) a
create records the object it made or took over with its generation, so the later delete of the same object by
an older generation is a no-op even for planes whose mark cannot carry a generation (WindowsFeatures keeps one
record per owner name; TemplateIssuance has no mark of its own).

State written before generations existed has none: its delete goes ahead when the live mark is the plain owner,
and is kept when a newer create has stamped one.
"""
from __future__ import annotations

import re
import sys
import threading
import uuid
from typing import Any

GENERATION_KEY = "__generation"
_SEP = "#"
_GEN = re.compile(r"^(?P<owner>.*)#(?P<gen>[0-9a-f]{12})$")
_lock = threading.Lock()
_taken: dict[tuple[str, str], str] = {}


def new() -> str:
    return uuid.uuid4().hex[:12]


def mark(owner: str, generation: str) -> str:
    """The owner mark a plane writes: the owner with this create's generation."""
    return f"{owner}{_SEP}{generation}" if owner and generation else owner


def owner_of(live_mark: str | None) -> str | None:
    """The owner part of a live mark (a mark from before generations is all owner)."""
    if not live_mark:
        return live_mark
    m = _GEN.match(live_mark)
    return m.group("owner") if m else live_mark


def generation_of(live_mark: str | None) -> str:
    m = _GEN.match(live_mark or "")
    return m.group("gen") if m else ""


def _key(kind: str, id_: str) -> tuple[str, str]:
    return kind, (id_ or "").casefold()


def created(kind: str, id_: str, generation: str) -> None:
    """A create in this process made or took over the live object `id_`, as `generation`."""
    with _lock:
        _taken[_key(kind, id_)] = generation


def deleted(kind: str, id_: str, generation: str) -> None:
    with _lock:
        if _taken.get(_key(kind, id_)) == generation:
            del _taken[_key(kind, id_)]


def forget() -> None:
    """For tests: a new provider process."""
    with _lock:
        _taken.clear()


def keep_reason(provider: Any, id_: str, inp: Any, generation: str) -> str | None:
    """Why the delete of `id_` (state generation `generation`, inp with the stamped mark) must keep the live
    object, or None when it is this instance's to delete."""
    with _lock:
        taker = _taken.get(_key(provider.kind, id_))
        if taker is not None and taker != generation:
            return "a replacement, or this resource under a new name or parent, took it over in this deployment"
    if not inp.owner:
        return None
    existing = provider.find(inp)
    if existing is None or not existing.owner or (existing.id or "").casefold() != (id_ or "").casefold():
        return None  # gone, unmarked, or another object: remove() deals with this id as before
    mine = owner_of(inp.owner)
    if owner_of(existing.owner) != mine:
        return f"it now carries the owner mark of {owner_of(existing.owner)}"
    live_gen = generation_of(existing.owner)
    if provider.stamps_generation and live_gen and live_gen != generation:
        return (f"a newer create took it over (live generation {live_gen}, this state's "
                f"{generation or 'from before generations'})")
    return None


def say(line: str) -> None:
    """A provider message: stderr is what the engine shows from a dynamic provider."""
    print(line, file=sys.stderr, flush=True)
