"""Where a provider's hooks get their client: built from the resource's connection inputs inside each call (the
default), or from a factory a caller put in place for the calls it makes in this thread.

The one caller that substitutes is `ndes verify`'s Context: it keeps one client per server for a whole run (an
unreachable host costs one timeout, not one per check) and its unit tests pass fakes at the client boundary.
The engine never substitutes: a dynamic provider builds its clients from its inputs, as before.

    with substituted(windows=lambda endpoint: ..., graph=lambda settings: ...):
        provider.get(id_, inp)
"""
from __future__ import annotations

import contextlib
from contextvars import ContextVar
from typing import Any, Callable, Iterator

PLANES = ("windows", "graph", "directory")
_FACTORIES: ContextVar[dict[str, Callable[[Any], Any]]] = ContextVar("ndes_client_factories", default={})


def factory(plane: str) -> Callable[[Any], Any] | None:
    """The factory substituted for `plane` (windows: Endpoint -> host; graph: GraphSettings -> client;
    directory: DirectorySettings -> context manager of a bound client), or None: build the real client."""
    return _FACTORIES.get().get(plane)


@contextlib.contextmanager
def substituted(**factories: Callable[[Any], Any] | None) -> Iterator[None]:
    unknown = set(factories) - set(PLANES)
    if unknown:
        raise ValueError(f"no client plane {sorted(unknown)}: one of {PLANES}")
    token = _FACTORIES.set({**_FACTORIES.get(), **{k: v for k, v in factories.items() if v is not None}})
    try:
        yield
    finally:
        _FACTORIES.reset(token)
