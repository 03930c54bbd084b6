"""Run the real Pulumi CLI against a local file backend, for end-to-end tests.

    from tests.e2e.pulumi_cli import PulumiCLI

    cli = PulumiCLI(project_dir, stack="lab", state_dir=tmp_path / "state")
    cli.stack_init()
    cli.config_set("ndes:domain", "corp.example")
    cli.up()
    assert cli.outputs()["thumbprint"]
    cli.destroy()

The engine comes from lab/engine/install (a `pulumi` on PATH at or above the pinned version, otherwise the
version-keyed build cache under ~/.cache/ndes-pulumi; the first call in a fresh machine builds it, which takes
minutes). It is looked up once per process. Every command runs with:
  PULUMI_BACKEND_URL=file://<state_dir>  (the state of each test stays in its own folder),
  PULUMI_CONFIG_PASSPHRASE               (the passphrase secrets provider; no cloud KMS),
  PULUMI_HOME only when pulumi_home= is given (the ambient one, usually ~/.pulumi, holds installed provider
                                         plugins; the backend URL above already keeps state and login out of it),
  PULUMI_SKIP_UPDATE_CHECK=1 and the other offline switches (defaults; the caller's environment wins),
  PATH with the engine's bin folder first (so the engine finds our language host and dynamic-provider shim).
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import threading
from pathlib import Path
from typing import Any, Mapping, Sequence

REPO_ROOT = Path(__file__).resolve().parents[2]
INSTALL_SCRIPT = REPO_ROOT / "lab" / "engine" / "install"
PINNED_VERSION = (REPO_ROOT / ".pulumi-version").read_text().strip()

# A cold engine build takes minutes on 2 cores; a cache hit is instant.
INSTALL_TIMEOUT_S = 1800
DEFAULT_TIMEOUT_S = 600

# Defaults only: a value already in the environment (or passed as env=) wins.
OFFLINE_ENV = {
    "PULUMI_SKIP_UPDATE_CHECK": "1",
    "PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK": "1",
    # No registry or GitHub download of provider plugins: offline it could only fail, and slowly.
    "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
    "PULUMI_SKIP_CONFIRMATIONS": "1",
}

_engine_lock = threading.Lock()


class PulumiError(RuntimeError):
    """A pulumi command failed; carries the completed process so a test can show its output."""

    def __init__(self, args: Sequence[str], proc: subprocess.CompletedProcess[str]):
        self.proc = proc
        tail = "\n".join((proc.stdout or "").splitlines()[-150:] + (proc.stderr or "").splitlines()[-60:])
        super().__init__(f"`pulumi {' '.join(args)}` exited {proc.returncode}:\n{tail}")


@functools.lru_cache(maxsize=1)
def _engine_bin_cached() -> Path:
    proc = subprocess.run(
        ["bash", str(INSTALL_SCRIPT)],
        capture_output=True,
        text=True,
        timeout=INSTALL_TIMEOUT_S,
        cwd=REPO_ROOT,
    )
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        raise RuntimeError(
            f"lab/engine/install failed (exit {proc.returncode}):\n{proc.stderr[-4000:]}"
        )
    bin_dir = Path(lines[-1])
    if not (bin_dir / "pulumi").exists():
        raise RuntimeError(f"lab/engine/install printed {bin_dir}, which holds no pulumi")
    return bin_dir


def engine_bin() -> Path:
    """The folder holding `pulumi` and its plugins (runs lab/engine/install once per process)."""
    with _engine_lock:
        return _engine_bin_cached()


class PulumiCLI:
    """One project + stack + file-backend state folder, driven through the real `pulumi` command."""

    def __init__(
        self,
        project_dir: str | os.PathLike[str],
        stack: str,
        state_dir: str | os.PathLike[str],
        *,
        passphrase: str = "e2e-test-passphrase",
        env: Mapping[str, str] | None = None,
        pulumi_home: str | os.PathLike[str] | None = None,
        timeout: float = DEFAULT_TIMEOUT_S,
    ) -> None:
        self.project_dir = Path(project_dir).resolve()
        self.stack = stack
        self.state_dir = Path(state_dir).resolve()
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.timeout = timeout
        self.bin_dir = engine_bin()

        self.env = dict(os.environ)
        for key, value in OFFLINE_ENV.items():
            self.env.setdefault(key, value)
        self.env.update(
            {
                "PULUMI_BACKEND_URL": self.state_dir.as_uri(),
                "PULUMI_CONFIG_PASSPHRASE": passphrase,
                "PATH": os.pathsep.join([str(self.bin_dir), self.env.get("PATH", "")]),
            }
        )
        if pulumi_home is not None:
            Path(pulumi_home).mkdir(parents=True, exist_ok=True)
            self.env["PULUMI_HOME"] = str(Path(pulumi_home).resolve())
        # A passphrase file in the environment would win over the passphrase; a test must not pick one up.
        self.env.pop("PULUMI_CONFIG_PASSPHRASE_FILE", None)
        if env:
            self.env.update(env)

    # ---- plumbing ---------------------------------------------------------------------------------------------------
    def run(
        self,
        *args: str,
        check: bool = True,
        timeout: float | None = None,
        input: str | None = None,  # noqa: A002 - mirrors subprocess.run
    ) -> subprocess.CompletedProcess[str]:
        """Run `pulumi <args>` in the project folder; stdout/stderr are captured as text."""
        cmd = [str(self.bin_dir / "pulumi"), *args]
        proc = subprocess.run(
            cmd,
            cwd=self.project_dir,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout if timeout is not None else self.timeout,
            input=input,
            stdin=None if input is not None else subprocess.DEVNULL,
        )
        if check and proc.returncode != 0:
            raise PulumiError(args, proc)
        return proc

    def _stack_args(self) -> list[str]:
        return ["--stack", self.stack, "--non-interactive"]

    # ---- stack & config ---------------------------------------------------------------------------------------------
    def version(self) -> str:
        return self.run("version").stdout.strip()

    def stack_init(self, *extra: str) -> subprocess.CompletedProcess[str]:
        return self.run("stack", "init", self.stack, "--non-interactive", *extra)

    def stack_rm(self, *extra: str) -> subprocess.CompletedProcess[str]:
        return self.run("stack", "rm", self.stack, "--yes", "--force", "--non-interactive", *extra)

    def config_set(self, key: str, value: str, secret: bool = False) -> subprocess.CompletedProcess[str]:
        # The value goes through stdin, so secrets never appear in a process listing.
        flags = ["--secret"] if secret else ["--plaintext"]
        return self.run("config", "set", key, *flags, "--stack", self.stack, input=value)

    def config_set_all(self, values: Mapping[str, str], secret: bool = False) -> None:
        for key, value in values.items():
            self.config_set(key, value, secret=secret)

    # ---- operations -------------------------------------------------------------------------------------------------
    def preview(self, *extra: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return self.run("preview", *self._stack_args(), *extra, check=check)

    def up(self, *extra: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return self.run("up", "--yes", "--skip-preview", *self._stack_args(), *extra, check=check)

    def refresh(self, *extra: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return self.run("refresh", "--yes", *self._stack_args(), *extra, check=check)

    def destroy(self, *extra: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return self.run("destroy", "--yes", *self._stack_args(), *extra, check=check)

    # ---- state ------------------------------------------------------------------------------------------------------
    def outputs(self, show_secrets: bool = False) -> dict[str, Any]:
        args = ["stack", "output", "--json", "--stack", self.stack]
        if show_secrets:
            args.append("--show-secrets")
        return json.loads(self.run(*args).stdout or "{}")

    def export(self, show_secrets: bool = False) -> dict[str, Any]:
        args = ["stack", "export", "--stack", self.stack]
        if show_secrets:
            args.append("--show-secrets")
        return json.loads(self.run(*args).stdout)

    def resources(self) -> list[dict[str, Any]]:
        """The stack's resources from `pulumi stack export` (type, urn, inputs, outputs, ...)."""
        return self.export().get("deployment", {}).get("resources", []) or []
