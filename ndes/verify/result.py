"""One verification outcome: what was checked, on what, pass / warn / fail, and the fix in the admin's words."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

Status = Literal["pass", "warn", "fail"]
ORDER = {"pass": 0, "warn": 1, "fail": 2}


@dataclass(frozen=True)
class Result:
    area: str
    """directory, ca, ndes host <fqdn>, external URL, graph."""
    check: str
    """What was checked, e.g. "service account enabled"."""
    status: Status
    detail: str
    """What was found (never a secret)."""
    fix: str = ""
    """How to repair it (empty on pass)."""

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def ok(area: str, check: str, detail: str) -> Result:
    return Result(area, check, "pass", detail)


def warn(area: str, check: str, detail: str, fix: str) -> Result:
    return Result(area, check, "warn", detail, fix)


def fail(area: str, check: str, detail: str, fix: str) -> Result:
    return Result(area, check, "fail", detail, fix)


def worst(results: list[Result]) -> Status:
    return max((r.status for r in results), key=ORDER.__getitem__, default="pass")
