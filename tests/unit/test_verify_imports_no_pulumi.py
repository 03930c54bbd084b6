"""`ndes verify` imports no Pulumi: reading the config (a file, {fromEnv} resolved), validating it, building the
verify Context and running every check (here against servers that are not there) loads no `pulumi` module. It runs
in a fresh interpreter, since this test process has imported Pulumi long before."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

from .sample_config import sample

REPO = Path(__file__).resolve().parents[2]

RUN = r"""
import json, socket, sys

import ndes.cli as cli
import ndes.verify
import ndes.verify.context as context

real_getaddrinfo = socket.getaddrinfo


def loopback_only(host, *args, **kwargs):  # nothing reachable: names do not resolve, 127.0.0.1:1 refuses
    if host not in ("127.0.0.1", b"127.0.0.1"):
        raise socket.gaierror(socket.EAI_NONAME, f"{host}: not resolved in this test")
    return real_getaddrinfo(host, *args, **kwargs)


socket.getaddrinfo = loopback_only


def no_graph(cfg, base):  # the Graph client's token request would retry for seconds against a closed port
    import ndes.graph  # noqa: F401 - its imports still count
    raise ConnectionError("graph: unreachable in this test")


context.default_graph = no_graph
built = []
real_run = ndes.verify.run


def run(ctx, progress=None):
    built.append(type(ctx).__module__ + "." + type(ctx).__name__)
    return real_run(ctx, progress=progress)


ndes.verify.run = run
code = cli.main(["verify", "--config", sys.argv[1], "--json"])
print("\n" + json.dumps({"code": code, "built": built,
                         "pulumi": sorted(m for m in sys.modules if m == "pulumi" or m.startswith("pulumi."))}))
"""


def test_ndes_verify_imports_no_pulumi(tmp_path):
    raw = sample(**{"domain.ldapUrl": "ldaps://127.0.0.1:1", "winrm.url": "https://127.0.0.1:1/wsman",
                    "serviceAccount.password": {"fromEnv": "NDES_TEST_VERIFY_PW"}})
    path = tmp_path / "Pulumi.prod.yaml"
    path.write_text(yaml.safe_dump({"config": {f"ndes:{k}": v for k, v in raw.items()}}))
    env = {k: v for k, v in os.environ.items() if not k.startswith("PULUMI")}
    env.update(NDES_TEST_VERIFY_PW="Env-Pa55!word", PYTHONPATH=str(REPO))
    proc = subprocess.run([sys.executable, "-c", RUN, str(path)], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=240)
    assert proc.stdout.strip(), proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["built"] == ["ndes.verify.context.Context"], proc.stderr[-3000:]  # the config loaded, the run ran
    assert out["code"] == 1  # every check failed: nothing answers
    assert out["pulumi"] == []
