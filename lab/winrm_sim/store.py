"""Host state on disk: <lab_dir>/winrm_sim/<host>.json, read and written under an exclusive flock per host,
so the server and a test editing state "behind the module's back" never interleave."""
from __future__ import annotations

import contextlib
import fcntl
import json
import os
import tempfile
from pathlib import Path
from typing import Any, Iterator

from lab.pki import lab_dir

from . import hostmodel


def sim_dir(base: Path | None = None) -> Path:
    """Where host state lives: `base`, else $NDES_WINRM_SIM_DIR (a private instance), else <lab_dir>/winrm_sim."""
    env = os.environ.get("NDES_WINRM_SIM_DIR")
    d = Path(base) if base else Path(env) if env else lab_dir() / "winrm_sim"
    d.mkdir(parents=True, exist_ok=True)
    return d


def state_path(host: str, base: Path | None = None) -> Path:
    return sim_dir(base) / f"{host.lower()}.json"


@contextlib.contextmanager
def _locked(host: str, base: Path | None = None) -> Iterator[None]:
    with open(sim_dir(base) / f".{host.lower()}.lock", "a+") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def _load(host: str, base: Path | None = None) -> dict[str, Any]:
    path = state_path(host, base)
    if path.is_file():
        return json.loads(path.read_text())
    return hostmodel.initial_state(host)


def _save(host: str, state: dict[str, Any], base: Path | None = None) -> None:
    path = state_path(host, base)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    with os.fdopen(fd, "w") as fh:
        json.dump(state, fh, indent=1, sort_keys=True)
    os.replace(tmp, path)


@contextlib.contextmanager
def edit_state(host: str, base: Path | None = None) -> Iterator[dict[str, Any]]:
    """The host's state as a mutable dict, saved when the block ends without an exception."""
    with _locked(host, base):
        state = _load(host, base)
        yield state
        _save(host, state, base)


def read_state(host: str, base: Path | None = None) -> dict[str, Any]:
    with _locked(host, base):
        return _load(host, base)


def reset_state(host: str, base: Path | None = None) -> None:
    """Back to a freshly installed host (the first boot of a new server)."""
    with _locked(host, base):
        _save(host, hostmodel.initial_state(host), base)
