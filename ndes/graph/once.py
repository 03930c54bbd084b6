"""Creates that never make two objects: a POST whose answer is lost may have created the object, so before
sending it again the object is looked for (by what the POST wrote: a name, an owner mark) for the whole
replication budget (new objects show in lists only after replication)."""
from __future__ import annotations

from typing import Callable, TypeVar

from .client import GraphClient
from .errors import GraphError, NotFound, Unavailable

T = TypeVar("T")


def wait_for_lookup(c: GraphClient, lookup: Callable[[], T | None]) -> T | None:
    """`lookup()` until it finds something or the replication budget (RetryPolicy.not_found_*) is spent."""
    pol = c.settings.retry
    start = c.clock()
    for i in range(pol.not_found_attempts):
        found = lookup()
        if found is not None:
            return found
        wait = min(0.25 * 2 ** i, 5.0)
        if i + 1 >= pol.not_found_attempts or c.clock() - start + wait > pol.not_found_seconds:
            break
        c.sleep(wait)
    return None


def create_once(c: GraphClient, post: Callable[[], T], lookup: Callable[[], T | None]) -> T:
    """`post()`; when it gets no answer (or an error that may follow a done create: 5xx, 404 from a lagging
    replica), `lookup()` within the replication budget; only when nothing is found is `post()` sent again, once."""
    last: GraphError | None = None
    for _ in range(2):
        try:
            return post()
        except (Unavailable, NotFound) as exc:
            last = exc
        found = wait_for_lookup(c, lookup)
        if found is not None:
            return found
    assert last is not None
    raise last
