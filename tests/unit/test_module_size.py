"""No module under ndes/ or lab/ exceeds 500 lines (issue 21): a file that grows past it is split by concern."""
from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
LIMIT = 500


def test_no_module_over_500_lines():
    over = {str(p.relative_to(REPO)): n for d in ("ndes", "lab") for p in (REPO / d).rglob("*.py")
            if ".venv" not in p.parts and (n := len(p.read_text().splitlines())) > LIMIT}
    assert not over, f"split these by concern: {over}"
