#!/usr/bin/env python3
"""Benchmark of the whole chain on the lab (prints figures; not a test).

    .venv/bin/python scripts/bench_chain.py [--skip-up]

1. program start: importing the program and building the whole resource graph (under Pulumi mocks), and
   whether any pulumi_azure_native module was imported (it must not be, for a stack without Azure hosts);
2. a full `pulumi up` of the lab stack from nothing (destroy first) — skipped with --skip-up;
3. a no-change `pulumi preview --refresh`;
4. round trips per resource read, per plane: every resource of the deployed stack is read through its own
   provider (the code `pulumi refresh` runs), counting LDAP operations (in process), WinRM and Graph requests
   (the simulators' counters).
The lab servers must be up (./lab/up).
"""
from __future__ import annotations

import argparse
import base64
import json
import re
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def program_start() -> None:
    code = r"""
import sys, time, json
t0 = time.perf_counter()
import os
import pulumi
from ndes.model import load_config
t1 = time.perf_counter()
import yaml
class M(pulumi.runtime.Mocks):
    n = 0
    def new_resource(self, a):
        M.n += 1
        return a.name + "-id", dict(a.inputs)
    def call(self, a):
        return {}
pulumi.runtime.set_mocks(M(), project="ndes", stack="lab", preview=True)
from ndes.components.deployment import NdesScepDeployment
doc = yaml.safe_load(open("Pulumi.lab.yaml"))["config"]
cfg = load_config(doc, stack="lab", environ=os.environ)
t2 = time.perf_counter()
NdesScepDeployment("ndes", cfg)
t3 = time.perf_counter()
azure = sorted(m for m in sys.modules if m.startswith("pulumi_azure_native"))
print(json.dumps({"imports_s": t1 - t0, "config_s": t2 - t1, "graph_s": t3 - t2, "azure_modules": azure}))
"""
    env_proc = subprocess.run([str(REPO / ".venv/bin/python"), "-m", "lab.env"], cwd=REPO, capture_output=True,
                              text=True, check=True)
    env = dict(__import__("os").environ)
    for line in env_proc.stdout.splitlines():
        k, v = line.removeprefix("export ").split("=", 1)
        env[k] = v.strip("'")
    runs = []
    for _ in range(3):
        t = time.perf_counter()
        out = subprocess.run([str(REPO / ".venv/bin/python"), "-c", code], cwd=REPO, env=env, capture_output=True,
                             text=True, check=True)
        wall = time.perf_counter() - t
        runs.append((wall, json.loads(out.stdout.strip().splitlines()[-1])))
    wall, best = min(runs, key=lambda r: r[0])
    print(f"program start (best of 3): {wall:.2f} s wall; imports {best['imports_s']:.2f} s, config "
          f"{best['config_s']:.3f} s, resource graph {best['graph_s']:.2f} s")
    print(f"  pulumi_azure_native modules imported: {len(best['azure_modules'])} "
          f"{'(none: never imported whole)' if not best['azure_modules'] else best['azure_modules'][:5]}")


def cli():
    from tests.e2e.lab_chain import ensure_lab_servers, lab_cli
    ensure_lab_servers()
    return lab_cli()


def timed(label: str, fn) -> None:
    t = time.perf_counter()
    proc = fn()
    dt = time.perf_counter() - t
    counts = re.findall(r"(\d+) (created|unchanged|updated)", proc.stdout)
    print(f"{label}: {dt:.1f} s ({', '.join(f'{n} {w}' for n, w in counts) or 'see output'})")


def read_round_trips(c) -> None:
    import dill
    import ldap3

    from lab.graph_sim.control import admin as graph_admin
    from lab.winrm_sim.control import Instance

    ldap_ops = {"n": 0}
    for name in ("bind", "search", "add", "modify", "delete", "modify_dn", "extended", "start_tls", "unbind"):
        orig = getattr(ldap3.Connection, name)

        def wrap(self, *a, _orig=orig, **k):
            ldap_ops["n"] += 1
            return _orig(self, *a, **k)
        setattr(ldap3.Connection, name, wrap)

    sim = Instance()
    state = c.export(show_secrets=True)["deployment"]["resources"]
    per_kind: dict[str, list[tuple[int, int, int, float]]] = defaultdict(list)
    for r in state:
        if not r["type"].startswith("pulumi-python:dynamic/"):
            continue
        kind = r["type"].rsplit(":", 1)[-1]
        props = json.loads(json.dumps(r.get("outputs") or {}), object_hook=lambda d: json.loads(d["plaintext"])
                           if d.get("4dabf18193072939515e22adb298388d") else d)
        provider = dill.loads(base64.b64decode(props["__provider"]))  # as the engine's dynamic provider does
        w0 = sum(v.get("requests", 0) for v in sim.stats().values())
        g0 = sum(graph_admin("/stats").values())
        l0 = ldap_ops["n"]
        t = time.perf_counter()
        provider.read(r["id"], props)
        dt = time.perf_counter() - t
        w1 = sum(v.get("requests", 0) for v in sim.stats().values())
        g1 = sum(graph_admin("/stats").values())  # the simulator does not count its admin calls
        per_kind[kind].append((ldap_ops["n"] - l0, w1 - w0, g1 - g0, dt))
    print("round trips per resource read (LDAP operations / WinRM HTTP requests / Graph HTTP requests, wall):")
    planes = defaultdict(lambda: [0, 0, 0, 0.0, 0])
    for kind, rows in sorted(per_kind.items()):
        n = len(rows)
        l, w, g, t = (sum(x[i] for x in rows) / n for i in range(4))
        print(f"  {kind:28s} x{n}: {l:5.1f} / {w:5.1f} / {g:5.1f}   {t * 1000:6.0f} ms")
        plane = "windows" if w else "graph" if g else "directory"
        p = planes[plane]
        p[0] += l * n; p[1] += w * n; p[2] += g * n; p[3] += t * n; p[4] += n
    for plane, (l, w, g, t, n) in planes.items():
        print(f"  plane {plane:10s}: {n} resources, {l / n:.1f} LDAP ops, {w / n:.1f} WinRM requests, "
              f"{g / n:.1f} Graph requests per read, {t / n * 1000:.0f} ms per read")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--skip-up", action="store_true", help="do not destroy and re-create the lab stack")
    args = ap.parse_args()
    program_start()
    c = cli()
    if not args.skip_up:
        c.destroy()
        timed("full pulumi up from nothing", c.up)
    else:
        c.up()
    timed("no-change pulumi preview --refresh", lambda: c.preview("--refresh", "--expect-no-changes"))
    read_round_trips(c)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
