"""Waiting for the CA to offer a template: a template just issued over LDAP (or published by the NDES installer)
reaches the CA through AD replication and its template cache; until then the CA refuses a request for it with
CERTSRV_E_UNSUPPORTED_CERT_TYPE (0x80094800). Used by the providers and by the lab's hand-built host."""
from __future__ import annotations

import time
from typing import Callable, TypeVar

from ._exceptions import ScriptFailed

__all__ = ["TEMPLATE_WAIT_SECONDS", "not_offered_yet", "while_template_not_offered"]

T = TypeVar("T")
TEMPLATE_WAIT_SECONDS = 600.0
"""How long a step that needs a template (an enrollment, the NDES install) waits for the CA to offer it."""
TEMPLATE_RETRY_FIRST, TEMPLATE_RETRY_MAX = 5.0, 60.0


def not_offered_yet(exc: ScriptFailed) -> bool:
    """The CA refused because it does not (yet) offer the template: CERTSRV_E_UNSUPPORTED_CERT_TYPE."""
    return "0x80094800" in exc.message or "CERTSRV_E_UNSUPPORTED_CERT_TYPE" in exc.message


def while_template_not_offered(run: Callable[[], T], template: str, fix: str, *,
                               sleep: Callable[[float], None] = time.sleep,
                               budget: float = TEMPLATE_WAIT_SECONDS) -> T:
    """`run()`, again with bounded backoff (5 s doubling to 60 s, `budget` in all) while the CA refuses with
    CERTSRV_E_UNSUPPORTED_CERT_TYPE (0x80094800): a template just issued (or published by the NDES installer)
    reaches the CA through AD replication and its template cache. After the budget the refusal names `template`
    and `fix`."""
    waited, delay = 0.0, TEMPLATE_RETRY_FIRST
    while True:
        try:
            return run()
        except ScriptFailed as exc:
            if not not_offered_yet(exc):
                raise
            if waited >= budget:
                raise ScriptFailed(exc.script, exc.host, f"{exc.message} -- the CA still did not offer template "
                                   f"{template} after {int(waited)} s: {fix}", exc.category) from exc
        step = min(delay, budget - waited)
        sleep(step)
        waited += step
        delay = min(delay * 2, TEMPLATE_RETRY_MAX)
