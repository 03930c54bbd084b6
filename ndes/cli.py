"""`ndes` console script:

    ndes verify --stack lab            read the stack's config (pulumi config --show-secrets --json)
    ndes verify --config ndes.yaml     or a YAML/JSON file with the same `ndes:` keys
                [--json] [--project-dir DIR]
    ndes host-prep --host FQDN         the one-time PowerShell for a Windows host (ndes/host_prep.py)
    ndes init --stack NAME             a first Pulumi.<stack>.yaml, discovered read-only (ndes/init/)

Read-only: every check reads through the project's clients (LDAP, WinRM scripts in get mode, Graph, HTTPS).
Progress goes to stderr, the table (or with --json one JSON document) to stdout. Exit 0 when nothing fails,
1 when a check fails, 2 when the configuration cannot be read or is invalid.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, Sequence


class UsageError(Exception):
    pass


def pulumi_binary(project: Path) -> str:
    """`pulumi` from PATH: the official Pulumi CLI. verify installs and builds nothing (the lab puts its own engine
    on PATH itself)."""
    found = shutil.which("pulumi")
    if found:
        return found
    raise UsageError(
        "pulumi is not on PATH: install the Pulumi CLI (https://www.pulumi.com/docs/install/) to read the stack's "
        "config with --stack, or pass the configuration as a file with --config ndes.yaml")


def stack_config(stack: str, project: Path) -> dict[str, Any]:
    """The stack's config as `pulumi config --show-secrets --json` lists it (secrets shown: they stay in this
    process); ndes.model.load_config reads that shape."""
    cmd = [pulumi_binary(project), "config", "--show-secrets", "--json", "--stack", stack]
    proc = subprocess.run(cmd, cwd=project, capture_output=True, text=True,
                          env=dict(os.environ, PULUMI_SKIP_UPDATE_CHECK="1"))
    if proc.returncode != 0:
        raise UsageError(f"pulumi config --stack {stack} failed in {project}: {proc.stderr.strip()[-800:]}")
    try:
        doc = json.loads(proc.stdout or "{}")
    except ValueError:
        raise UsageError(f"pulumi config --json --stack {stack} printed no JSON") from None  # (it holds secrets)
    if not isinstance(doc, dict):
        raise UsageError(f"pulumi config --json --stack {stack} printed no object of keys")
    return doc


def file_config(path: Path) -> dict[str, Any]:
    """A YAML/JSON file of `ndes:` keys: either the keys at the top, or under `config:` (a Pulumi.<stack>.yaml)."""
    import yaml
    try:
        doc = yaml.safe_load(path.read_text())
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise UsageError(f"{path} is not YAML/JSON: {exc}") from None
    if isinstance(doc, dict) and isinstance(doc.get("config"), dict):
        doc = doc["config"]
    if not isinstance(doc, dict):
        raise UsageError(f"{path} holds no `ndes:` keys")
    return doc


def load(raw: dict[str, Any], stack: str | None = None):
    """The model's config pipeline (ndes.model.load_config), {fromEnv: NAME} read from this environment as the
    Pulumi program does."""
    from .model import load_config
    return load_config(raw, stack, environ=os.environ)


def verify(args: argparse.Namespace) -> int:
    from .model import ConfigError
    from .verify import Context, document, run, table

    project = Path(args.project_dir).resolve()
    try:
        raw = stack_config(args.stack, project) if args.stack else file_config(Path(args.config))
        cfg = load(raw, args.stack)
    except UsageError as exc:
        print(f"ndes verify: {exc}", file=sys.stderr)
        return 2
    except ConfigError as exc:
        print(f"ndes verify: the configuration is invalid:\n{exc}", file=sys.stderr)
        return 2
    import logging
    logging.getLogger("azure").setLevel(logging.CRITICAL)  # its sign-in errors come back as our messages
    base = project if args.stack else Path(args.config).resolve().parent
    from .config_files import file_problems
    if problems := file_problems(cfg, base):
        print(f"ndes verify: the configuration is invalid:\n{ConfigError(problems)}", file=sys.stderr)
        return 2
    ctx = Context(cfg, base=base)
    recorder = None
    if getattr(args, "bundle", None):
        from .verify.bundle import Recorder
        recorder = ctx.script = Recorder(ctx.script)  # type: ignore[method-assign]
    logs: dict[str, str] = {}
    try:
        results = run(ctx, progress=sys.stderr)
        if recorder is not None:  # the hosts' raw logs, for the bundle only (scrubbed there)
            from .verify.logs import collect
            logs = collect(cfg, ctx.script)
    finally:
        ctx.close()
    print(document(results) if args.json else table(results))
    if recorder is not None:
        from .verify.bundle import write
        print(f"ndes verify: support bundle (no secrets) in "
              f"{write(Path(args.bundle), cfg, results, recorder.facts, logs)}", file=sys.stderr)
    return 1 if any(r.status == "fail" for r in results) else 0


def host_prep(args: argparse.Namespace) -> int:
    from .host_prep import HostPrepError, instructions, plan, write
    try:
        prep = plan(args.host, args.thumbprint, args.management_range, args.template)
    except HostPrepError as exc:
        print(f"ndes host-prep: {exc}", file=sys.stderr)
        return 2
    print(instructions(prep, write(prep, Path(args.out))))
    return 0


def init(args: argparse.Namespace) -> int:
    from .init.command import run_init
    return run_init(args)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="ndes", description="NDES + SCEP for Intune, as code")
    sub = p.add_subparsers(dest="command", required=True)
    v = sub.add_parser("verify", help="read-only checks of a live NDES/SCEP chain, each with its fix")
    src = v.add_mutually_exclusive_group(required=True)
    src.add_argument("--stack", help="read this Pulumi stack's config (pulumi config --show-secrets --json)")
    src.add_argument("--config", help="a YAML/JSON file with the same ndes: keys")
    v.add_argument("--project-dir", default=".", help="the Pulumi project directory (default: .)")
    v.add_argument("--json", action="store_true", help="one JSON document on stdout, for pipelines")
    v.add_argument("--bundle", metavar="FILE", help="also write a support bundle (zip, no secrets) to FILE")
    v.set_defaults(func=verify)
    hp = sub.add_parser("host-prep", help="write the one-time PowerShell that prepares a Windows host for WinRM/HTTPS")
    hp.add_argument("--host", required=True, help="the host's FQDN (as in ndes:ndesHosts[i].fqdn or ndes:ca.host)")
    hp.add_argument("--thumbprint", help="use this certificate from LocalMachine\\My (default: enroll one from the "
                    "domain's Enterprise CA)")
    hp.add_argument("--management-range", action="append", metavar="CIDR",
                    help="where WinRM may be reached from (repeatable; default: LocalSubnet)")
    hp.add_argument("--template", help="the computer certificate template (default: Machine)")
    hp.add_argument("--out", default="host-prep", help="folder to write HostPrep.ps1 to (default: ./host-prep)")
    hp.set_defaults(func=host_prep)
    from .init.command import add_parser as add_init
    add_init(sub, init)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    raise SystemExit(main())
