"""A read-only rights preflight for the Directory-plane providers, run by `check` at preview (and before `up`).

The component passes `preflight: true`; `check` takes it out of the inputs (so it never reaches state or a
diff), validates as usual, then binds and asks AD what the bind account may do (`ndes.directory.rights`): a
missing right is a check failure naming the right, the object and the `dsacls` command that grants it, so
`pulumi preview` fails before anything is written. A DC that does not answer is left to the operation itself
(preview stays usable offline); a refused bind is reported, with its cause.
"""
from __future__ import annotations

from typing import Any, ClassVar

from .results import CheckFailure, CheckResult

from ..directory import AccessDenied, DirectoryError, NotFound, Unavailable
from .base import contains_unknown

__all__ = ["PreflightCheck", "PREFLIGHT"]

PREFLIGHT = "preflight"


class PreflightCheck:
    """Mixin before NdesProvider (_directory.DirectoryProvider): subclasses implement `preflight(conn, props) ->
    list[str]` (messages) and name in `preflight_needs` the inputs (wire names) it reads besides the connection;
    it runs as soon as those are known, even when others are still unknown at preview (a template name that
    waits for its template)."""

    preflight_needs: ClassVar[frozenset[str]] = frozenset()

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        news = dict(news)
        wanted = news.pop(PREFLIGHT, False) is True
        res = super().check(olds, news)  # type: ignore[misc]
        if not wanted or res.failures:
            return res
        from ._directory import DirectoryInputs

        props = self.filled(dict(res.inputs))  # type: ignore[attr-defined]
        fields = {f.alias or n for n, f in DirectoryInputs.model_fields.items()}
        if any(contains_unknown(props.get(k)) for k in fields | self.preflight_needs):
            return res
        conn = DirectoryInputs.model_validate({k: v for k, v in props.items() if k in fields})
        key = conn.config_key or "ndes:domain"
        try:
            problems = self.preflight(conn, props)
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

    def preflight(self, conn: Any, props: dict[str, Any]) -> list[str]:
        raise NotImplementedError
