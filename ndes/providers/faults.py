"""Fault points: a provider can stop its own process at a named point, so a test proves that a deployment killed
there converges on the next run (tests/e2e/test_crash_matrix_e2e.py).

    NDES_FAULT=<type>:<name>:<verb>:<when>[:<scope>]

- type: the resource type (the provider's class name without `Provider`, e.g. ServiceAccount, or `*`);
- name: the resource name (the last part of its owner mark `<project>/<stack>/<name>`, or `*`);
- verb: create, update or delete;
- when: `before` (the engine asked, nothing written yet) or `after` (every write succeeded, the engine has not
  heard the answer), or a named step inside a verb where one write leaves a window of its own (STEPS);
- scope: `process` (default: this provider process dies, the engine carries on and reports the step failed) or
  `session` (every process of this session: the CLI, its language host and the providers, as when a runner dies
  or a pipeline is cancelled; start the CLI in a session of its own. The engine starts each plugin in a process
  group of its own, so a process group is not enough. Reads /proc: Linux only).

NDES_FAULT_REPORT=<file>: before it stops, the fault point writes there (JSON) which point fired, in which
process and when, so a test can show which step was in flight.

Off unless NDES_FAULT is set: the variable is read once per process, and an unset one costs one `is None` test
per verb.
"""
from __future__ import annotations

import functools
import json
import os
import signal
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable

ENV = "NDES_FAULT"
REPORT_ENV = "NDES_FAULT_REPORT"
VERBS = ("create", "update", "delete")
WHENS = ("before", "after")
SCOPES = ("process", "session")
STEPS = {
    "instantiated": "AppProxyApplication create: the application template instantiated (under its provisional name, "
                    "which carries the owner mark), not yet named, published or marked in notes",
}
"""Named points inside a verb (`faults.step`), for windows between two writes of one create."""


class FaultSpecError(ValueError):
    pass


@dataclass(frozen=True)
class FaultPoint:
    type: str
    name: str
    verb: str
    when: str
    scope: str = "process"

    def matches(self, type_: str, name: str, verb: str, when: str) -> bool:
        return (self.verb == verb and self.when == when
                and self.type in ("*", type_) and self.name in ("*", name))


def parse(spec: str) -> FaultPoint:
    """`type:name:verb:when[:scope]` -> FaultPoint (a wrong spec is an error: a typo must not test nothing)."""
    parts = [p.strip() for p in spec.split(":")]
    if len(parts) not in (4, 5) or not all(parts):
        raise FaultSpecError(f"{ENV}={spec!r}: expected <type>:<name>:<verb>:<when>[:<scope>]")
    type_, name, verb, when = parts[:4]
    scope = parts[4] if len(parts) == 5 else "process"
    if verb not in VERBS:
        raise FaultSpecError(f"{ENV}={spec!r}: verb must be one of {', '.join(VERBS)}")
    if when not in WHENS and when not in STEPS:
        raise FaultSpecError(f"{ENV}={spec!r}: when must be one of {', '.join(WHENS + tuple(STEPS))}")
    if scope not in SCOPES:
        raise FaultSpecError(f"{ENV}={spec!r}: scope must be one of {', '.join(SCOPES)}")
    return FaultPoint(type_, name, verb, when, scope)


_UNSET = object()
_point: Any = _UNSET
_lock = threading.Lock()


def armed() -> FaultPoint | None:
    """The fault point of this process (NDES_FAULT, parsed on the first call), or None."""
    global _point
    if _point is _UNSET:
        with _lock:
            if _point is _UNSET:
                spec = os.environ.get(ENV, "")
                _point = parse(spec) if spec else None
    return _point


def reset() -> None:
    """For tests: read NDES_FAULT again on the next call."""
    global _point
    with _lock:
        _point = _UNSET


def resource_name(props: dict[str, Any] | None) -> str:
    """The resource name from the owner mark `<project>/<stack>/<name>[#generation]` in inputs or state."""
    owner = str((props or {}).get("owner") or "")
    return owner.split("#", 1)[0].rsplit("/", 1)[-1]


def stop(point: FaultPoint, type_: str, name: str) -> None:
    """Say which point fired (NDES_FAULT_REPORT), then SIGKILL this process or its whole session."""
    report = os.environ.get(REPORT_ENV)
    if report:
        doc = {"type": type_, "name": name, "verb": point.verb, "when": point.when, "scope": point.scope,
               "pid": os.getpid(), "sid": os.getsid(0), "time": time.time()}
        with open(report, "w", encoding="utf-8") as fh:
            json.dump(doc, fh)
            fh.flush()
            os.fsync(fh.fileno())
    if point.scope == "session":
        for pid in session_members(os.getsid(0)):
            if pid != os.getpid():
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
    os.kill(os.getpid(), signal.SIGKILL)


def session_members(sid: int) -> list[int]:
    """The processes of session `sid` (/proc/<pid>/stat field 6)."""
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="utf-8", errors="replace") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == sid:  # after "pid (comm)": state ppid pgrp session
            out.append(int(entry))
    return out


def step(provider: Any, owner: str, verb: str, name: str) -> None:
    """A named point inside a verb (STEPS): stop here when NDES_FAULT names it."""
    point = armed()
    if point is None:
        return
    type_ = provider_type(provider)
    res = resource_name({"owner": owner})
    if point.matches(type_, res, verb, name):
        stop(point, type_, res)


_depth = threading.local()


def guarded(verb: str, type_of: Callable[[Any], str], props_at: int) -> Callable[[Callable], Callable]:
    """Wrap a provider verb (create/update/delete) with its two fault points. Only the outermost call of a verb
    fires (a subclass's verb that calls the base's is one step); `props_at` is the index of the argument that
    holds the inputs or state (after self)."""
    def deco(fn: Callable) -> Callable:
        if getattr(fn, "_fault_guarded", False):
            return fn

        @functools.wraps(fn)
        def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
            point = armed()
            if point is None or getattr(_depth, "n", 0):
                return fn(self, *args, **kwargs)
            type_ = type_of(self)
            name = resource_name(args[props_at] if len(args) > props_at else None)
            if point.matches(type_, name, verb, "before"):
                stop(point, type_, name)
            _depth.n = 1
            try:
                result = fn(self, *args, **kwargs)
            finally:
                _depth.n = 0
            if point.matches(type_, name, verb, "after"):
                stop(point, type_, name)
            return result

        wrapper._fault_guarded = True  # type: ignore[attr-defined]
        return wrapper
    return deco


PROPS_AT = {"create": 0, "update": 2, "delete": 1}
"""Where each verb's inputs/state are: create(props), update(id, olds, news), delete(id, props)."""


def guard_verbs(cls: type) -> None:
    """Wrap the create/update/delete that `cls` defines itself (called for the base and each subclass)."""
    for verb, at in PROPS_AT.items():
        if verb in cls.__dict__:
            setattr(cls, verb, guarded(verb, provider_type, at)(cls.__dict__[verb]))


def provider_type(provider: Any) -> str:
    """The resource type a provider serves: its class name without `Provider` (ServiceAccountProvider ->
    ServiceAccount), as the type token names it."""
    return type(provider).__name__.removesuffix("Provider")
