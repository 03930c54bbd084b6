"""Which script texts the simulated hosts run: today's, and the golden release's where today's handler models them.

The simulator runs only the project's own scripts (dispatch.py): a text it does not know is refused, so a test can
never pass by sending PowerShell that no handler models. The upgrade e2e deploys the lab with the code of the last
release (the commit tests/unit/golden_state/ was captured from, named in `RELEASE_FILE`), whose scripts may since
have changed while keeping their contracts. So besides today's bytes a host accepts the release's bytes of the SAME
script (read with `git show <release>:<path>` from this repository, cached), but only when the contract that script
is modelled by is byte-identical at the release and today; then today's handler plays what the release's script
does. Otherwise the refusal names the script and the contract that differs. Without git, the commit, or a release
file, only today's bytes run.

Contracts: a script `Name.ps1` is modelled by ndes/windows/contracts/<snake_name>.py (and the base every contract
model derives from, contracts/__init__.py); the bootstrap and the prelude by the protocol they implement,
ndes/windows/_scripts.py (the stdin line, the prelude's functions) and contracts/__init__.py (the result shape).
"""
from __future__ import annotations

import functools
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

REPO = Path(__file__).resolve().parents[2]
RELEASE_FILE = Path(__file__).with_name("RELEASE")  # written by tests/unit/golden_state.py --write
SCRIPTS = "ndes/windows/scripts"
CONTRACTS = "ndes/windows/contracts"
BASE_CONTRACT = f"{CONTRACTS}/__init__.py"
PROTOCOL = ("ndes/windows/_scripts.py", BASE_CONTRACT)

Show = Callable[[str, str], Optional[bytes]]  # (commit, repo path) -> the file's bytes there, None when absent


def release_commit(path: Path = RELEASE_FILE) -> str:
    """The golden release's commit ('' when none is named): the first line of `path` that is not a comment."""
    try:
        lines = path.read_text().splitlines()
    except OSError:
        return ""
    return next((s.strip() for s in lines if s.strip() and not s.lstrip().startswith("#")), "")


@functools.lru_cache(maxsize=None)
def git_show(commit: str, path: str) -> Optional[bytes]:
    """`git show <commit>:<path>` in this repository (cached); None when git, the commit or the file is missing."""
    try:
        res = subprocess.run(["git", "show", f"{commit}:{path}"], cwd=REPO, capture_output=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    return res.stdout if res.returncode == 0 else None


def contract_paths(name: str) -> tuple[str, ...]:
    """The repo files whose text fixes what script `name` (or _prelude / _bootstrap) does on a host."""
    if name in ("_prelude", "_bootstrap"):
        return PROTOCOL
    return f"{CONTRACTS}/{re.sub(r'(?<!^)(?=[A-Z])', '_', name).lower()}.py", BASE_CONTRACT


def _today(path: str) -> Optional[bytes]:
    try:
        return (REPO / path).read_bytes()
    except OSError:
        return None


@dataclass
class Releases:
    """The texts a host runs: today's files, and `commit`'s where its contract matches today's."""
    commit: str = field(default_factory=release_commit)
    show: Show = git_show
    today: Callable[[str], Optional[bytes]] = _today

    def refusal(self, name: str, sent: bytes) -> str:
        """'' when `sent` is script `name` (or _prelude / _bootstrap) as today or as the release has it and
        today's handler models it; otherwise why not, naming the script."""
        path = f"{SCRIPTS}/{name}.ps1"
        if sent == self.today(path):
            return ""
        what = f"the text sent as {name} is not {path}"
        if not self.commit:
            return f"{what} (and no golden release is named in lab/winrm_sim/RELEASE)"
        release = self.show(self.commit, path)
        if release is None:
            return f"{what}, and release {self.commit[:7]} has no such file (or git cannot read it)"
        if sent != release:
            return f"{what}, nor its text at release {self.commit[:7]}"
        for contract in contract_paths(name):
            then, now = self.show(self.commit, contract), self.today(contract)
            if now is None or then != now:
                return (f"the text sent as {name} is {path} at release {self.commit[:7]}, but its contract "
                        f"{contract} differs from today's, so today's handler does not model it (re-capture the "
                        "golden state from a release whose contracts match: tests/unit/golden_state.py)")
        return ""


@functools.lru_cache(maxsize=1)
def current() -> Releases:
    """The host's view (the release file is read once per simulator process)."""
    return Releases()
