"""A stand-in for `pulumi up` in a process a test can kill: creates the resources listed in a plan, in order,
through the providers' own check + create, and records each id in a state file once its create returned (as
the engine records a resource only after create answers). A rerun skips what the state file holds, as
`pulumi up` does after a killed run.

Usage: python -m tests.graph.kill_harness <plan.json>
plan: {"state": path, "resources": [{"name", "kind": "app"|"root"|"scep", "props": {...}, "root": name?}]}
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from ndes.providers.app_proxy_application import AppProxyApplicationProvider
from ndes.providers.scep_profile import ScepProfileProvider
from ndes.providers.trusted_certificate_profile import TrustedCertificateProfileProvider

PROVIDERS = {"app": AppProxyApplicationProvider, "root": TrustedCertificateProfileProvider,
             "scep": ScepProfileProvider}


def run(plan_path: str) -> None:
    plan = json.loads(Path(plan_path).read_text())
    state_path = Path(plan["state"])
    state = json.loads(state_path.read_text()) if state_path.is_file() else {}
    for r in plan["resources"]:
        if r["name"] in state:
            continue
        props = dict(r["props"])
        if r.get("root"):
            props["rootProfileId"] = state[r["root"]]
        provider = PROVIDERS[r["kind"]]()
        checked = provider.check({}, props)
        if checked.failures:
            raise SystemExit(f"check failed for {r['name']}: {[(f.property, f.reason) for f in checked.failures]}")
        res = provider.create(checked.inputs)
        state[r["name"]] = res.id
        tmp = state_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(state))
        os.replace(tmp, state_path)


if __name__ == "__main__":
    run(sys.argv[1])
