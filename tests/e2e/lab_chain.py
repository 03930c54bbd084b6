"""The whole lab, as ./lab/up leaves it: the real Samba DC and both simulators on their lab addresses, and the
repository's `lab` stack in the lab's own state backend (.pulumi-state), driven by the real CLI.

A test that bends the configuration runs the program from a copy of the project folder that shares the same
backend and stack, so the committed Pulumi.lab.yaml stays as it is.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, Mapping

import ldap3
import yaml

from lab import samba_dc
from lab.env import LAB_PASSPHRASE, lab_environment

from .lab_stack import PROGRAM_FILES, lab_stack_config
from .pulumi_cli import REPO_ROOT, PulumiCLI

PY = str(REPO_ROOT / ".venv" / "bin" / "python")
E2E_TEMPLATE_DELAY = 3.0
"""The simulated CA's template pickup delay in e2e runs (templateDelaySeconds): a template just issued, and the RA
templates the NDES installer publishes, are offered only this long after the CA first sees them, as AD replication
and the CA's template cache make it on Windows; the product's bounded waits must carry every e2e deploy."""


def ensure_lab_servers() -> None:
    """Start (or reuse) the DC, the Windows host simulator and the Graph simulator, as ./lab/up does."""
    for module, arg in (("lab.hosts", "add"), ("lab.samba_dc", "up"), ("lab.winrm_sim", "up"), ("lab.graph_sim", "up")):
        proc = subprocess.run([PY, "-m", module, arg], cwd=REPO_ROOT, capture_output=True, text=True, timeout=600)
        if proc.returncode != 0:
            raise RuntimeError(f"python -m {module} {arg} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    from lab.winrm_sim import control
    control.LAB.knobs(templateDelaySeconds=E2E_TEMPLATE_DELAY)


def lab_cli(project_dir: Path | None = None) -> PulumiCLI:
    env = lab_environment()
    env.pop("PULUMI_CONFIG_PASSPHRASE")
    state = env["PULUMI_BACKEND_URL"].removeprefix("file://")
    cli = PulumiCLI(project_dir or REPO_ROOT, stack="lab", state_dir=state, passphrase=LAB_PASSPHRASE, env=env)
    cli.run("stack", "select", "lab", "--create", "--non-interactive")
    return cli


def bent_project(tmp: Path, overrides: Mapping[str, Any] | None = None, doc: dict | None = None) -> PulumiCLI:
    """The program in a copy of the project folder with a bent lab config, on the lab's backend and stack."""
    project = tmp / "bent"
    project.mkdir(parents=True, exist_ok=True)
    for name in PROGRAM_FILES:
        shutil.copy(REPO_ROOT / name, project / name)
    if not (project / ".venv").exists():
        (project / ".venv").symlink_to(REPO_ROOT / ".venv")
    doc = doc if doc is not None else lab_stack_config(overrides)
    (project / "Pulumi.lab.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
    return lab_cli(project)


# ---- what the servers hold, for before/after comparisons -------------------------------------------------------

def samba_contents() -> dict[str, dict[str, list[str]]]:
    """Every object of the domain and Configuration partitions with its attributes (minus bookkeeping that AD
    itself rewrites: USNs, timestamps, replication metadata)."""
    skip = {"uSNChanged", "uSNCreated", "whenChanged", "whenCreated", "replPropertyMetaData", "dSCorePropagationData",
            "lastLogon", "lastLogonTimestamp", "logonCount", "badPwdCount", "badPasswordTime", "msDS-NcType",
            # replication partners' bookkeeping on the naming contexts (the two-DC lab's dc2 comes and goes)
            "repsTo", "repsFrom", "replUpToDateVector",
            # the DC's RID pool moves on with every account created, as on Windows
            "rIDNextRID", "rIDAllocationPool", "rIDPreviousAllocationPool", "rIDAvailablePool", "rIDUsedPool",
            "nextRid"}
    conn = samba_dc.connect()
    out: dict[str, dict[str, list[str]]] = {}
    try:
        for base in (samba_dc.DOMAIN_DN, samba_dc.CONFIG_DN):
            for entry in conn.extend.standard.paged_search(base, "(objectClass=*)", ldap3.SUBTREE, attributes=["*"],
                                                           paged_size=500, generator=True):
                if entry.get("type") != "searchResEntry":
                    continue
                attrs = {k: sorted(str(v) for v in (vals if isinstance(vals, list) else [vals]))
                         for k, vals in entry["raw_attributes"].items() if k not in skip}
                if "servicePrincipalName" in attrs:  # SPNs compare case-insensitively; Samba re-cases host/ ones
                    attrs["servicePrincipalName"] = sorted(v.lower() for v in attrs["servicePrincipalName"])
                out[entry["dn"].lower()] = attrs
    finally:
        conn.unbind()
    return out


def simulator_contents(hosts_wanted: tuple[str, ...] | None = None) -> dict[str, Any]:
    """The simulated hosts' state (all, or the named ones) and the Graph simulator's objects (history such as
    boot ids and counters left out: a real host keeps those too)."""
    from lab.winrm_sim.store import sim_dir

    hosts = {}
    for path in sorted(sim_dir().glob("*.json")):
        if hosts_wanted is not None and path.stem not in hosts_wanted:
            continue
        state = json.loads(path.read_text())
        state.pop("boot", None)
        # history: how often CertSvc restarted, and the boot a restart was last asked for (a stale marker once
        # the host restarted: HostBoot compares it with the current boot)
        (state.get("certsvc") or {}).get("service", {}).pop("restarts", None)
        marker = (state.get("registry") or {}).get("hklm:\\software\\pulumi\\ndes", {}).get("values", {})
        marker.pop("rebootpendingboot", None)
        # a restart consumes the file renames patching left for it (Windows' own history, not ours)
        sm = (state.get("registry") or {}).get("hklm:\\system\\currentcontrolset\\control\\session manager", {})
        sm.get("values", {}).pop("pendingfilerenameoperations", None)
        # the simulator's own observation record of moments without an SSL binding (lab/winrm_sim/http_sys.py),
        # not a fact of the host: a destroy removes the binding, as it should
        (state.get("httpSys") or {}).pop("absences", None)
        if state.get("httpSys") == {}:
            state.pop("httpSys")
        hosts[path.stem] = state
    graph = graph_state()
    graph.pop("knobs", None)
    return {"hosts": hosts, "graph": graph}


def diff_paths(a: Any, b: Any, path: str = "") -> list[str]:
    """Where two JSON-like values differ (for a readable assertion message)."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for k in sorted(set(a) | set(b), key=str):
            if k not in a or k not in b:
                out.append(f"{path}/{k}: {'added' if k not in a else 'removed'}")
            else:
                out += diff_paths(a[k], b[k], f"{path}/{k}")
        return out
    return [] if a == b else [f"{path}: {str(a)[:120]} -> {str(b)[:120]}"]


def graph_state() -> dict[str, Any]:
    """The Graph simulator's live objects (its admin endpoint: the file on disk is written behind)."""
    from lab.graph_sim.control import admin
    return admin("/state")


def graph_objects(kind: str) -> list[dict[str, Any]]:
    return list(graph_state().get(kind, {}).values())


def python(*args: str, timeout: int = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([PY, *args], cwd=REPO_ROOT, capture_output=True, text=True, timeout=timeout)


__all__ = ["bent_project", "diff_paths", "ensure_lab_servers", "graph_objects", "lab_cli", "python",
           "samba_contents", "simulator_contents", "sys"]
