"""A read-only rights preflight for the Directory-plane providers, run by `check` at preview (and before `up`).

The component passes `preflight: true`; `check` takes it out of the inputs (so it never reaches state or a
diff), validates as usual, then binds and asks AD what the bind account may do (`ndes.directory.rights`): a
missing right is a check failure naming the right, the object and the `dsacls` command that grants it, so
`pulumi preview` fails before anything is written. A DC that does not answer is left to the operation itself
(preview stays usable offline); a refused bind is reported, with its cause.
"""
from __future__ import annotations

from typing import Any

from pulumi.dynamic import CheckFailure, CheckResult

from ..directory import AccessDenied, DirectoryError, NotFound, Unavailable
from .base import contains_unknown

__all__ = ["PreflightCheck", "PREFLIGHT"]

PREFLIGHT = "preflight"


class PreflightCheck:
    """Mixin before NdesProvider: subclasses implement `preflight(inp) -> list[str]` (messages)."""

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        news = dict(news)
        wanted = news.pop(PREFLIGHT, False) is True
        res = super().check(olds, news)  # type: ignore[misc]
        if not wanted or res.failures or contains_unknown(res.inputs):
            return res
        inp = self.parse(res.inputs)  # type: ignore[attr-defined]
        key = inp.config_key or "ndes:domain"
        try:
            problems = self.preflight(inp)
        except Unavailable:
            problems = []
        except AccessDenied as exc:
            problems = [str(exc)] if exc.code == 49 else []
        except NotFound as exc:
            problems = [str(exc)]
        except DirectoryError:
            problems = []
        return CheckResult(res.inputs, list(res.failures) + [CheckFailure("bindUser", f"{key}: {m}")
                                                             for m in problems])

    def preflight(self, inp: Any) -> list[str]:
        raise NotImplementedError
