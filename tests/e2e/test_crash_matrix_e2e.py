"""The crash matrix (issue 18): for every resource type of the chain and each fault point (create, update, delete;
before the remote call, after it succeeded but before the engine heard the answer), a `pulumi up` (or, for
delete, a `pulumi destroy`) is killed there, whole (NDES_FAULT scope `session`: the CLI, its language host and the
providers die together, as when a runner dies or a pipeline is cancelled). Then the pipeline's own recovery
runs (`scripts/pipeline up`: pending creates cleared, then up; `scripts/pipeline destroy` for a destroy), and:
- the run converges, and a further `pulumi up --expect-no-changes` reports no changes;
- a census of every object type the chain owns (tests/e2e/crash_census.py, read from the servers) holds
  exactly one of each, the same as a clean deployment, or, after a destroy, nothing of ours.
Each cell shows that the CLI was running when the fault point killed it (exit by SIGKILL, the fault point's own
report from inside the CLI's session) and which step was in flight (the pending operation in state).

`.ci/run` runs a sample of three cells (one per verb) chosen by a seed it prints (NDES_CRASH_SEED to repeat
one); NDES_CRASH_MATRIX=all runs every cell (20 types x 6 points, plus the named steps inside a verb,
faults.STEPS: well over an hour on two cores), and prints the matrix either way (rows: resource types, columns:
fault points). NDES_CRASH_ONLY=<Type>[:<verb>:<when>],... runs the rows or cells named.
"""
from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from lab.env import lab_environment
from ndes.providers import faults

from . import crash_census as cc
from .lab_chain import ensure_lab_servers, lab_cli
from .pulumi_cli import REPO_ROOT, PulumiCLI

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

ROWS: tuple[tuple[str, str], ...] = (
    ("ServiceAccount", "directory-service-account"),
    ("CertificateTemplate", "directory-ssl-template"),
    ("TemplateIssuance", "directory-ssl-issuance"),
    ("CaAccess", "ca-host-request-certificates"),
    ("CaCertificate", "ca-host-certificate"),
    ("WindowsFeatures", "ndes-host-ndes1-features"),
    ("LocalGroupMember", "ndes-host-ndes1-iis-iusrs"),
    ("NdesRole", "ndes-host-ndes1-ndes-role"),
    ("ScepPoolIdentity", "ndes-host-ndes1-scep-pool-identity"),
    ("RaCertificateRenewal", "ndes-host-ndes1-ra-renewal"),
    ("IisRequestLimits", "ndes-host-ndes1-iis-request-limits"),
    ("RegistryValues", "ndes-host-ndes1-http-sys"),
    ("HostReboot", "ndes-host-ndes1-reboot"),
    ("MachineCertificate", "ndes-host-ndes1-ssl-certificate"),
    ("IisHttpsBinding", "ndes-host-ndes1-https-binding"),
    ("MscepTemplateMapping", "ndes-host-ndes1-mscep-mapping"),
    ("IntuneConnector", "ndes-host-ndes1-intune-connector"),
    ("AppProxyApplication", "app-proxy-ndes1"),
    ("TrustedCertificateProfile", "intune-ios-root"),
    ("ScepProfile", "intune-vpn-user-ios-scep"),  # the lab's first named SCEP profile ("VPN user"), iOS
)
COLUMNS = tuple(f"{verb}:{when}" for verb in faults.VERBS for when in faults.WHENS)
STEP_CELLS: tuple[tuple[str, str, str], ...] = (
    ("AppProxyApplication", "app-proxy-ndes1", "create:instantiated"),  # faults.STEPS: between two writes
)
PENDING_TYPE = {"create": "creating", "update": "updating", "delete": "deleting"}
KILL_TIMEOUT_S = 900


@dataclass
class Cell:
    type: str
    name: str
    point: str
    result: str = "not run"
    seconds: float = 0.0
    evidence: list[str] = field(default_factory=list)

    @property
    def verb(self) -> str:
        return self.point.split(":")[0]

    @property
    def when(self) -> str:
        return self.point.split(":")[1]


# ---- the lab ------------------------------------------------------------------------------------------------------

@dataclass
class Lab:
    cli: PulumiCLI
    deployed: dict[str, Any]
    destroyed: dict[str, Any]
    state: str = "deployed"


def _unlock(cli: PulumiCLI) -> list[str]:
    """What a killed CLI leaves in a file:// backend, repaired as the README's runbook says (no update runs now):
    the update's lock, and a state file's attributes sidecar (`<stack>.json.attrs`) emptied by a kill during its
    write (the Go CDK's fileblob writes the state to a temporary file and renames it into place, but rewrites the
    sidecar in place first, with os.Create; an absent one reads as no attributes, an empty one fails every command
    with "failed to load checkpoint: EOF"). Both are the engine's own writes, not the product's: the state beside
    an emptied sidecar is whole. Returns what it repaired (the cell's evidence)."""
    return _repair(cli.state_dir)


def _repair(state_dir: Path) -> list[str]:
    done = []
    for lock in (state_dir / ".pulumi" / "locks").rglob("*.json"):
        lock.unlink()
        done.append(f"lock {lock.parent.name}/{lock.name}")
    for attrs in (state_dir / ".pulumi").rglob("*.attrs"):  # the stack's, and its backups' and history's
        try:
            json.loads(attrs.read_text())
            continue
        except ValueError:  # empty (os.Create truncated it, the encoder had not written yet)
            attrs.unlink()
        done.append(f"emptied {attrs.relative_to(state_dir / '.pulumi')} (the kill fell in the CLI's own save)")
    return done


def pipeline(cli: PulumiCLI, cmd: str) -> subprocess.CompletedProcess[str]:
    env = {**cli.env, "STACK": cli.stack, "OUT": "/dev/null"}
    env.pop(faults.ENV, None)
    return subprocess.run(["bash", "scripts/pipeline", cmd], cwd=REPO_ROOT, env=env, capture_output=True, text=True,
                          timeout=1800)


@pytest.fixture(scope="module")
def lab() -> Lab:
    ensure_lab_servers()
    _repair(Path(lab_environment()["PULUMI_BACKEND_URL"].removeprefix("file://")))  # a killed earlier run's
    cli = lab_cli()
    if _pending(cli):
        pipeline(cli, "up")
    cli.destroy()
    destroyed = cc.census()
    leftovers = {c: dict(destroyed[c]) for c in cc.OWNED_AFTER_DESTROY if destroyed[c]}
    assert not leftovers, f"a clean destroy left objects of ours: {leftovers}"
    cli.up()
    doc = cli.export()
    missing = [f"{t} {n}" for t, n in ROWS if not (r := _resource(doc, n)) or not r["type"].endswith(f":{t}")]
    assert not missing, f"rows of the matrix name no resource of the lab stack (renamed in the program?): {missing}"
    types = {r["type"].rsplit(":", 1)[-1] for r in doc["deployment"].get("resources") or []
             if r["type"].startswith("pulumi-python:dynamic/")}
    rowless = sorted(types - {t for t, _ in ROWS})
    assert not rowless, f"resource types of the chain without a row in the crash matrix: {rowless}"
    deployed = cc.census()
    assert not cc.duplicates(deployed), cc.duplicates(deployed)
    empty = [c for c in cc.CATEGORIES if not deployed[c]]
    assert not empty, f"the census finds nothing of these after a deployment (census broken?): {empty}"
    yield Lab(cli, deployed, destroyed)
    _unlock(cli)
    cli.up(check=False)  # leave the lab deployed, as ./lab/up does


def _pending(cli: PulumiCLI) -> list[dict[str, Any]]:
    return cli.export().get("deployment", {}).get("pending_operations") or []


def _resource(doc: dict[str, Any], name: str) -> dict[str, Any] | None:
    return next((r for r in doc["deployment"].get("resources") or [] if r["urn"].endswith(f"::{name}")), None)


def _provider_class(type_: str) -> type:
    import importlib
    import pkgutil

    import ndes.providers as pkg
    for m in pkgutil.iter_modules(pkg.__path__):
        cls = getattr(importlib.import_module(f"ndes.providers.{m.name}"), f"{type_}Provider", None)
        if cls is not None:
            return cls
    raise LookupError(type_)


SECRET_SIG = "4dabf18193072939515e22adb298388d"
CONNECTION = frozenset({"authority", "bindUser", "caBundle", "clientId", "cloud", "credential", "graphEndpoint",
                        "insecureSkipTlsVerify", "ldapUrl", "readerUrls", "replicationTimeout", "retryAttempts",
                        "retryBudgetSeconds", "spnAdminUser", "startTls", "tenantId", "connection"})
"""How a resource reaches its server: bent last (a resource's own settings show an update best)."""


def _bent(value: Any) -> Any:
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, str):
        return value + "-was"
    if isinstance(value, dict) and isinstance(value.get("fingerprint"), str) and "ref" in value:
        # the connection reference (connections.py): its fingerprint hashes the connection's settings, so a
        # bent one is what the state holds after the stack config's connection changed (a new URL, user, CA
        # bundle or timeout): the update of a resource whose other inputs all replace it
        return {**value, "fingerprint": value["fingerprint"] + "-was"}
    return None


class NotUpdatable(Exception):
    pass


def _candidates(cls: type) -> list[str]:
    return [f for f in cls.compared_fields() if f not in cls.replace_on and f not in cls.identity_inputs
            and f not in cls.secret_fields]


def _why_not(cls: type) -> str:
    return (f"its inputs replace it ({', '.join(sorted(cls.replace_on))}), are secrets or are another resource's "
            f"identity; the others ({', '.join(_candidates(cls)) or 'none'}) hold no plain value to bend")


def updatable(type_: str) -> bool:
    return bool(_candidates(_provider_class(type_)))


def _valid(cls: type, outs: dict[str, Any], name: str) -> bool:
    """Whether the state with `name` bent still holds inputs the provider accepts (a bent value it refuses, such
    as App Proxy's read-only `enabled: false`, would break the refresh of the recovery, not test it)."""
    data = {k: ("x" if isinstance(v, dict) and SECRET_SIG in v else v) for k, v in outs.items()
            if k in cls._wire_names()}
    data[name] = _bent(outs[name])
    try:
        cls.Inputs.model_validate(data)
    except ValidationError as exc:  # judged on the bent input alone (secrets here are placeholders)
        return not any(err.get("loc", ())[:1] == (name,) for err in exc.errors())
    return True


def force_update(cli: PulumiCLI, type_: str, name: str) -> str:
    """Make the next `pulumi up` update `name` (and nothing else): one plain input of its last state is bent
    in the state file, so diff sees a change (an update, never a replace) and the update converges the live
    object to the declared inputs, which it already matches. A type whose own inputs all replace it (CaAccess,
    LocalGroupMember, NdesRole) is updated through its connection reference (the fingerprint: the stack's
    connection settings changed). Returns the field bent."""
    doc = cli.export()
    res = _resource(doc, name)
    assert res is not None, name
    cls = _provider_class(type_)
    outs = res.get("outputs") or {}
    fields = [f for f in _candidates(cls) if f in outs and _bent(outs[f]) is not None
              and not (isinstance(outs[f], dict) and SECRET_SIG in outs[f])]
    fields.sort(key=lambda f: (f in CONNECTION, not isinstance(outs[f], bool), not isinstance(outs[f], int), f))
    fields = [f for f in fields if _valid(cls, outs, f)]
    if not fields:
        raise NotUpdatable(f"{type_} has no input an update changes: {_why_not(cls)}")
    bent = _bent(outs[fields[0]])
    outs[fields[0]] = bent
    # as a refresh that found drift leaves it: the state's inputs hold the live value too (the provider answers a
    # change as "unknown" and the engine then diffs the old and new inputs: base.changes_for_engine)
    if fields[0] in (res.get("inputs") or {}):
        res["inputs"][fields[0]] = bent
    path = cli.state_dir / "crash-matrix-import.json"
    path.write_text(json.dumps(doc))
    try:
        cli.run("stack", "import", "--file", str(path), "--stack", cli.stack)
    finally:
        path.unlink()
    return fields[0]


def _to(lab: Lab, state: str) -> None:
    """Bring the lab stack to `deployed` or `destroyed` (what a cell starts from); after a failed cell, through
    the pipeline's recovery first."""
    if lab.state == state:
        return
    if lab.state == "unknown":
        _unlock(lab.cli)
        rec = pipeline(lab.cli, "up")
        assert rec.returncode == 0, "the lab did not recover from the last cell: " + _reason(rec.stdout + rec.stderr)
        lab.state = "deployed"
        if state == "deployed":
            return
    (lab.cli.up if state == "deployed" else lab.cli.destroy)()
    lab.state = state


def killed_run(cli: PulumiCLI, cell: Cell, report: Path) -> subprocess.CompletedProcess[str] | None:
    """`pulumi up` / `pulumi destroy` with the cell's fault point armed, in a session of its own (the fault point
    kills every process of the session). Returns the process with its output."""
    verb = "destroy" if cell.verb == "delete" else "up"
    args = [str(cli.bin_dir / "pulumi"), verb, "--yes", "--stack", cli.stack, "--non-interactive", "--color", "never"]
    if verb == "up":
        args.append("--skip-preview")
    else:
        args.append("--run-program")
    env = {**cli.env, faults.ENV: f"{cell.type}:{cell.name}:{cell.point}:session", faults.REPORT_ENV: str(report)}
    report.unlink(missing_ok=True)
    started = time.time()
    proc = subprocess.Popen(args, cwd=cli.project_dir, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, text=True, start_new_session=True)
    pid = proc.pid
    try:
        out, _ = proc.communicate(timeout=KILL_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
    cell.evidence.append(f"{verb} ran {time.time() - started:.0f}s, exit {proc.returncode}")
    done = subprocess.CompletedProcess(args, proc.returncode, out, "")
    done.pid = pid  # type: ignore[attr-defined]
    return done


def run_cell(lab: Lab, cell: Cell, tmp: Path) -> None:
    cli = lab.cli
    started = time.time()
    try:
        _to(lab, "destroyed" if cell.verb == "create" else "deployed")
        if cell.verb == "update":
            try:
                cell.evidence.append(f"state bent: {force_update(cli, cell.type, cell.name)}")
            except NotUpdatable as why:
                cell.result = f"n/a: {why}"
                return
        report = tmp / f"fault-{cell.type}-{cell.point.replace(':', '-')}.json"
        proc = killed_run(cli, cell, report)
        lab.state = "unknown"
        # 1. the CLI was running and died at the fault point, killed by SIGKILL with its whole session
        if not report.exists():
            cell.result = f"failed: the fault point was not reached (exit {proc.returncode})"
            cell.evidence.append(proc.stdout[-1500:])
            return
        fired = json.loads(report.read_text())
        assert proc.returncode == -signal.SIGKILL, (proc.returncode, proc.stdout[-2000:])
        assert fired["sid"] == proc.pid, (fired, proc.pid)  # the provider ran inside the CLI's session
        cell.evidence.append(f"killed at {fired['type']} {fired['name']} {fired['verb']}:{fired['when']} in pid "
                             f"{fired['pid']} (in the session of the CLI, pid {fired['sid']})")
        # the engine's own leftovers (its lock; a sidecar its save was rewriting when the kill came), repaired
        # before the first CLI call reads the state, as the README's runbook says
        repaired = _unlock(cli)
        cell.evidence.append("repaired: " + (", ".join(repaired) or "nothing"))
        # 2. which step was in flight: the pending operation the engine recorded before it called the provider
        pending = _pending(cli)
        flight = [p for p in pending if p["resource"]["urn"].endswith(f"::{cell.name}")
                  and p.get("type") == PENDING_TYPE[cell.verb]]
        cell.evidence.append("pending: " + ", ".join(f"{p.get('type')} {p['resource']['urn'].rsplit('::', 1)[-1]}"
                                                      for p in pending))
        if not flight:  # the engine writes its journal behind: a kill can beat the write of the pending operation
            cell.evidence.append(f"no pending {PENDING_TYPE[cell.verb]} of {cell.name} recorded before the kill")
        # 3. the pipeline's recovery
        rec = pipeline(cli, "destroy" if cell.verb == "delete" else "up")
        if rec.returncode != 0:
            cell.result = "failed: recovery: " + _reason(rec.stdout + rec.stderr)
            cell.evidence.append(_first_error(rec.stdout + rec.stderr))
            return
        if cell.verb == "delete":
            lab.state = "destroyed"
            after, expected = cc.census(), lab.destroyed
        else:
            lab.state = "deployed"
            again = cli.up("--expect-no-changes", check=False)
            if again.returncode != 0:
                cell.result = "failed: a further up changes: " + _reason(again.stdout + again.stderr)
                cell.evidence.append(again.stdout[-3000:])
                return
            after, expected = cc.census(), lab.deployed
        dups = cc.duplicates(after)
        diff = cc.differences(expected, after)
        if dups or diff:
            cell.result = f"failed: census: duplicates {dups} differences {diff}"
            return
        cell.result = "converged"
    except Exception as exc:  # noqa: BLE001 - a cell's failure is reported in the matrix, the test fails at the end
        cell.result = f"failed: {type(exc).__name__}: {str(exc)[-600:]}"
    finally:
        cell.seconds = time.time() - started
        if cell.result != "converged" and not cell.result.startswith("n/a"):
            lab.state = "unknown"


def _first_error(text: str, size: int = 6000) -> str:
    """The output from its first Python traceback on (the cause; what follows is often only the engine's
    cancellation of the other steps), else its last `size` characters."""
    at = text.find("Traceback (most recent call last)")
    return text[at:at + size] if at >= 0 else text[-size:]


def _reason(text: str) -> str:
    lines = [l.strip() for l in text.splitlines() if "error" in l.lower() or "failed" in l.lower()]
    return (lines[0] if lines else text.strip().splitlines()[-1] if text.strip() else "no output")[:300]


def render(cells: list[Cell]) -> str:
    by = {(c.type, c.point): c for c in cells}
    width = max(len(t) for t, _ in ROWS)
    lines = [f"{'':{width}} | " + " | ".join(f"{c:13}" for c in COLUMNS)]
    lines.append("-" * len(lines[0]))
    for type_, _ in ROWS:
        row = []
        for col in COLUMNS:
            c = by.get((type_, col))
            mark = "-" if c is None else c.result if c.result in ("converged", "not run") else \
                "n/a" if c.result.startswith("n/a") else "FAILED"
            row.append(f"{mark:13}")
        lines.append(f"{type_:{width}} | " + " | ".join(row))
    for c in cells:
        if c.point not in COLUMNS:
            lines.append(f"{c.type:{width}} | {c.point}: {c.result if c.result in ('converged', 'not run') else 'FAILED'}")
    fails = [c for c in cells if c.result != "converged"]  # failures and n/a, with the reason
    for c in fails:
        lines.append(f"  {c.type} {c.point}: {c.result}")
        if c.result.startswith("failed") and c.evidence:  # the whole output kept for it, from its first traceback
            lines.append("    " + c.evidence[-1].replace("\n", "\n    "))
    for c in cells:
        lines.append(f"  {c.type} {c.point} ({c.seconds:.0f}s): " + "; ".join(e.replace("\n", " ")[:300]
                                                                            for e in c.evidence))
    return "\n".join(lines)


def _ordered(cells: list[Cell]) -> list[Cell]:
    """Cells in an order that needs few extra ups and destroys: update cells (start and end deployed), then a
    delete cell (ends destroyed), then a create cell (ends deployed), and again."""
    groups = {v: [c for c in cells if c.verb == v] for v in faults.VERBS}
    out = list(groups["update"])
    while groups["delete"] or groups["create"]:
        if groups["delete"]:
            out.append(groups["delete"].pop(0))
        if groups["create"]:
            out.append(groups["create"].pop(0))
    return out


def _run(lab: Lab, cells: list[Cell], tmp: Path, header: str) -> None:
    for cell in _ordered(cells):
        run_cell(lab, cell, tmp)
        print(f"crash matrix: {cell.type} {cell.point}: {cell.result} ({cell.seconds:.0f}s)", flush=True)
    text = f"{header}\n{render(cells)}"
    (REPO_ROOT / ".lab").mkdir(exist_ok=True)
    (REPO_ROOT / ".lab" / "crash-matrix.txt").write_text(text)
    print(text)
    failed = [c for c in cells if c.result != "converged" and not c.result.startswith("n/a")]
    assert not failed, text


def sample(seed: int) -> list[Cell]:
    """One cell per verb, rotating with the seed."""
    rng = random.Random(seed)
    rows = {"create": ROWS, "delete": ROWS, "update": tuple(r for r in ROWS if updatable(r[0]))}
    return [Cell(*rng.choice(rows[verb]), f"{verb}:{rng.choice(faults.WHENS)}") for verb in faults.VERBS]


@pytest.mark.timeout(2400)  # three cells, about two minutes each on an idle lab
def test_a_sample_of_the_crash_matrix_converges(lab, tmp_path, capsys):
    seed = int(os.environ.get("NDES_CRASH_SEED") or time.time_ns() % 1_000_000)
    with capsys.disabled():
        print(f"\ncrash matrix sample: seed {seed} (NDES_CRASH_SEED={seed} repeats it)", flush=True)
        _run(lab, sample(seed), tmp_path, f"crash matrix sample, seed {seed}")


@pytest.mark.skipif(os.environ.get("NDES_CRASH_MATRIX") != "all" and not os.environ.get("NDES_CRASH_ONLY"),
                    reason="the whole crash matrix takes over an hour: NDES_CRASH_MATRIX=all runs it")
@pytest.mark.timeout(6 * 3600)
def test_the_whole_crash_matrix_converges(lab, tmp_path, capsys):
    cells = [Cell(t, n, col) for t, n in ROWS for col in COLUMNS] + [Cell(*c) for c in STEP_CELLS]
    only = os.environ.get("NDES_CRASH_ONLY")  # "AppProxyApplication,ScepProfile:create:after": rows or cells
    if only:
        wanted = only.split(",")
        cells = [c for c in cells if c.type in wanted or f"{c.type}:{c.point}" in wanted]
    with capsys.disabled():
        _run(lab, cells, tmp_path, "the whole crash matrix")
