"""docs/getting-started.md stays true: the README's top links it, each prerequisite has why / how / a read-only
check, and the commands it shows parse with the real `ndes` CLI."""
from __future__ import annotations

import re
import shlex
from pathlib import Path

from ndes.cli import parser

ROOT = Path(__file__).resolve().parents[2]
GUIDE = (ROOT / "docs" / "getting-started.md").read_text()


def test_the_readme_top_links_the_guide():
    top = "\n".join((ROOT / "README.md").read_text().splitlines()[:15])
    assert "[Deploy to your environment](docs/getting-started.md)" in top


def test_every_prerequisite_has_why_how_and_a_check():
    section = GUIDE.split("## 1. Prerequisites", 1)[1].split("\n## ", 1)[0]
    rows = [r for r in section.splitlines() if re.match(r"\| \d+ \|", r)]
    assert len(rows) == 10
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split(" | ")]
        assert len(cells) == 5 and all(cells), row[:80]
        assert "`" in cells[4], f"no command in the check of: {cells[1][:60]}"
    for needed in ("Enterprise CA", "NDES host", "WinRM HTTPS listener", "Accounts", "Intune Graph app",
                   "App Proxy admin", "App Proxy connector", "Intune licensing", "Pulumi CLI", "Outbound proxy"):
        assert needed in section, needed


def test_the_ndes_commands_it_shows_parse():
    shown = re.findall(r"^(?:\.venv/bin/)?(ndes (?:host-prep|init|verify) [^#\n]*)", GUIDE, re.M)
    assert len(shown) >= 3, shown
    for line in shown:
        args = shlex.split(line.replace("<fqdn>", "h.contoso.com"))[1:]
        parser().parse_args(args)  # SystemExit on an option that does not exist
