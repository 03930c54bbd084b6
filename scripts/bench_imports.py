#!/usr/bin/env python3
"""How much program start the optional Azure host costs: import times, each case in a fresh interpreter.

    .venv/bin/python scripts/bench_imports.py [--repeat 3] [--skip-whole]

Cases (each measured inside a new `python` process, so no case warms another's caches; .pyc files are warm):
  pulumi                   `import pulumi`: the floor every Pulumi program pays
  ndes model               `import ndes.model.config` (pydantic): what every program of this project pays
  azure_host module        `import ndes.components.azure_host`: what the deployment pays to offer Azure hosts
  compute+network          azure-native's compute and network submodules loaded (the two the component uses)
  azure_host + one VM      one AzureNdesHost built under Pulumi mocks (config validated, compute and network
                           loaded, five resources registered): what a stack with an `azure:` block pays
  azure-native root        `import pulumi_azure_native`: the package root (it registers submodules lazily)
  azure-native whole       the root plus every submodule loaded: what `import pulumi_azure_native` followed by
                           attribute access all over the package (or `from pulumi_azure_native import *`) costs

Prints one row per case: median and best time of the measured statement, the whole process's wall time, and
its peak RSS. A benchmark, not a test: nothing is asserted, the figures go in the report and the docs.
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_PRELUDE = "import time, resource\n_t0 = time.perf_counter()\n"
_EPILOGUE = ("import json, sys, types\n"
             "_t1 = time.perf_counter()\n"
             "_loaded = sorted(n.split('.')[1] for n, m in list(sys.modules.items()) if n.count('.') == 1\n"
             "                 and n.startswith('pulumi_azure_native.') and type(m) is types.ModuleType\n"
             "                 and not n.split('.')[1].startswith('_'))\n"
             "print(json.dumps({'seconds': _t1 - _t0, 'maxrss_kb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,\n"
             "                  'azure_submodules': len(_loaded), 'names': _loaded[:5]}))\n")

_SUB = "/subscriptions/00000000-0000-4000-8000-0000000000a1/resourceGroups"
_AZURE = {  # one valid azure block (the unit tests' sample host)
    "resourceGroupName": "rg-ndes", "location": "westeurope", "managementCidr": "10.20.30.0/24",
    "subnetId": f"{_SUB}/rg-net/providers/Microsoft.Network/virtualNetworks/vnet/subnets/snet",
    "adminUsername": "ndesadmin", "adminPassword": "Bench-Pa55word!", "publicIp": True,
    "domainJoin": {"user": "CONTOSO\\join-ndes", "password": "Bench-J0in-Pa55!"},
    "keyVaultId": f"{_SUB}/rg-kv/providers/Microsoft.KeyVault/vaults/kv-ndes",
    "winrmCertificateUrl": "https://kv-ndes.vault.azure.net/secrets/ndes01-winrm/0123456789abcdef",
}

CASES: dict[str, str] = {
    "pulumi": "import pulumi\n",
    "ndes model": "import pulumi\nimport ndes.model.config\n",
    "azure_host module": "import pulumi\nimport ndes.components.azure_host\n",
    "compute+network": (
        "import pulumi\nimport pulumi_azure_native.compute as c, pulumi_azure_native.network as n\n"
        "c.VirtualMachine, n.NetworkInterface\n"),
    "azure_host + one VM": (
        "import pulumi\nfrom ndes.components.azure_host import AzureNdesHost\n"
        "from ndes.model import load_config\nfrom tests.unit.sample_config import sample\n"
        f"raw = sample()\nraw['ndesHosts'][0]['azure'] = {_AZURE!r}\n"
        "class M(pulumi.runtime.Mocks):\n"
        "    def new_resource(self, a): return a.name + '-id', dict(a.inputs)\n"
        "    def call(self, a): return {}\n"
        "pulumi.runtime.set_mocks(M(), project='ndes', stack='bench', preview=False)\n"
        "AzureNdesHost('ndes01', load_config(raw), 0)\n"),
    "azure-native root": "import pulumi\nimport pulumi_azure_native\n",
    "azure-native whole": (
        "import pulumi\nimport importlib, pkgutil\nimport pulumi_azure_native as _pan\n"
        "for _m in pkgutil.iter_modules(_pan.__path__):\n"
        "    if _m.ispkg and not _m.name.startswith('_'):\n"
        "        hasattr(importlib.import_module('pulumi_azure_native.' + _m.name), 'x')  # attribute access loads it\n"),
}


def run_case(code: str) -> dict:
    started = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", _PRELUDE + code + _EPILOGUE], cwd=ROOT, capture_output=True,
                         text=True, check=False)
    wall = time.perf_counter() - started
    if out.returncode != 0:
        raise SystemExit(f"benchmark case failed:\n{out.stderr[-2000:]}")
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["wall"] = wall
    return result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=3, help="runs per case (default 3)")
    ap.add_argument("--skip-whole", action="store_true", help="skip loading the whole azure-native package (~20 s)")
    args = ap.parse_args(argv)

    print(f"python {sys.version.split()[0]}, {args.repeat} run(s) per case, each in a fresh interpreter")
    print(f"{'case':<22} {'median s':>9} {'best s':>8} {'process s':>10} {'peak RSS MB':>12} {'azure modules loaded':>21}")
    baseline = None
    for name, code in CASES.items():
        if args.skip_whole and name == "azure-native whole":
            continue
        runs = [run_case(code) for _ in range(args.repeat)]
        secs = [r["seconds"] for r in runs]
        med = statistics.median(secs)
        baseline = med if baseline is None else baseline
        extra = "" if name == "pulumi" else f"   ({med - baseline:+.3f} s over pulumi)"
        print(f"{name:<22} {med:>9.3f} {min(secs):>8.3f} {statistics.median(r['wall'] for r in runs):>10.3f} "
              f"{max(r['maxrss_kb'] for r in runs) / 1024:>12.0f} {runs[0]['azure_submodules']:>21}{extra}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
