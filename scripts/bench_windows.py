#!/usr/bin/env python3
"""Benchmark: HTTP round trips and wall time of a no-change `read` of every NDES host resource, with added
latency on the WinRM simulator (default 50 ms per request).

Runs a private simulator (own addresses, state directory and admin port: a shared lab is not touched),
converges the host resources once without latency, then reads each one the way `pulumi refresh` does (the
provider's read, in one process: the first read pays the NTLM handshake and the shell creation, later ones
reuse the shell). Requests are counted by the simulator.

    .venv/bin/python scripts/bench_windows.py [--latency-ms 50] [--rounds 3] [--preview]

--preview also runs the real engine (tests/e2e/pulumi_cli.py, file backend in a temp folder): a program with
the same host resources is brought up once, then `pulumi preview --refresh --expect-no-changes` is timed with
the latency on, and the requests the simulator saw are divided by the resources read.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lab import pki, topology  # noqa: E402
from lab.secrets import lab_secret  # noqa: E402
from lab.winrm_sim import hostmodel  # noqa: E402
from lab.winrm_sim.control import Instance  # noqa: E402
from ndes.providers.iis_request_limits import IisRequestLimitsProvider  # noqa: E402
from ndes.providers.local_group_member import LocalGroupMemberProvider  # noqa: E402
from ndes.providers.mscep_template_mapping import MscepTemplateMappingProvider  # noqa: E402
from ndes.providers.registry_values import RegistryValuesProvider, http_sys_values  # noqa: E402
from ndes.providers.windows_features import WindowsFeaturesProvider  # noqa: E402

HOST = topology.NDES_HOSTS[0]["name"]


def resources(sim: Instance) -> list[tuple[str, object, dict]]:
    endpoint = {"host": HOST, "url": sim.url_of(HOST), "username": topology.WINRM_USER,
                "password": lab_secret("winrm-password"), "caBundlePem": pki.ca_bundle_path().read_text()}
    out = [
        ("WindowsFeatures", WindowsFeaturesProvider(), {}),
        ("LocalGroupMember", LocalGroupMemberProvider(), {"member": f"{HOST.split('.')[0].upper()}\\Administrator"}),
        ("IisRequestLimits", IisRequestLimitsProvider(), {}),
        ("RegistryValues", RegistryValuesProvider(), {"values": http_sys_values(), "markRebootPending": True}),
        ("MscepTemplateMapping", MscepTemplateMappingProvider(),
         {"keyUsage": ["digitalSignature", "keyEncipherment"], "templateName": "NDES-Intune"}),
    ]
    try:  # part 2's reboot resource reads HostBoot on every refresh, when it is there
        from ndes.providers.reboot import HostRebootProvider
        out.append(("HostReboot", HostRebootProvider(), {"allowReboot": False}))
    except ImportError:
        pass
    return [(kind, prov, {"endpoint": endpoint, "owner": f"ndes/bench/{kind}", **extra}) for kind, prov, extra in out]


PROGRAM = """
import json, os
import pulumi
from ndes.providers.resources import WindowsFeatures
from ndes.providers.resources import LocalGroupMember
from ndes.providers.resources import IisRequestLimits
from ndes.providers.registry_values import http_sys_values
from ndes.providers.resources import RegistryValues
from ndes.providers.resources import MscepTemplateMapping
from ndes.providers.resources import HostReboot

ep = json.loads(os.environ["NDES_BENCH_ENDPOINT"])
ep["password"] = os.environ["NDES_BENCH_WINRM_PASSWORD"]
endpoint = pulumi.Output.secret(ep)
def props(kind, **kw):
    return {"endpoint": endpoint, "owner": f"ndes/bench/{kind}", **kw}
features = WindowsFeatures("features", props("features"))
after = pulumi.ResourceOptions(depends_on=[features])
LocalGroupMember("iis-iusrs", props("member", member=os.environ["NDES_BENCH_MEMBER"]), after)
IisRequestLimits("request-limits", props("limits"), after)
reg = RegistryValues("http-sys", props("http-sys", values=http_sys_values(), markRebootPending=True), after)
MscepTemplateMapping("mscep", props("mscep", keyUsage=["digitalSignature", "keyEncipherment"],
                                    templateName="NDES-Intune"), after)
HostReboot("reboot", props("reboot", allowReboot=False), pulumi.ResourceOptions(depends_on=[reg]))
"""


def preview_variant(sim: Instance, latency_ms: int) -> None:
    import json
    import os
    from tests.e2e.pulumi_cli import REPO_ROOT, PulumiCLI
    work = Path(tempfile.mkdtemp(prefix="bench-preview-"))
    project = work / "project"
    project.mkdir()
    (project / "Pulumi.yaml").write_text(f"name: ndesbench\nruntime:\n  name: python\n  options:\n"
                                         f"    virtualenv: {REPO_ROOT / '.venv'}\n")
    (project / "__main__.py").write_text(PROGRAM)
    endpoint = {"host": HOST, "url": sim.url_of(HOST), "username": topology.WINRM_USER,
                "caBundlePem": pki.ca_bundle_path().read_text()}
    env = {"NDES_BENCH_ENDPOINT": json.dumps(endpoint), "NDES_BENCH_WINRM_PASSWORD": lab_secret("winrm-password"),
           "NDES_BENCH_MEMBER": f"{HOST.split('.')[0].upper()}\\Administrator",
           "PYTHONPATH": os.pathsep.join([str(REPO_ROOT), os.environ.get("PYTHONPATH", "")])}
    cli = PulumiCLI(project, stack="bench", state_dir=work / "state", env=env)
    cli.stack_init()
    sim.knobs(latencyMs=0)
    cli.up("--yes", "--skip-preview")
    try:
        sim.knobs(latencyMs=latency_ms)
        n = 6
        for attempt in (1, 2):
            sim.reset_stats()
            t0 = time.perf_counter()
            cli.preview("--refresh", "--expect-no-changes")
            wall = time.perf_counter() - t0
            st = sim.stats().get(HOST, {})
            print(f"pulumi preview --refresh #{attempt}: {n} host resources, {st.get('requests', 0)} HTTP requests "
                  f"({st.get('requests', 0) / n:.1f} per resource read; Create {st.get('Create', 0)}, auth legs "
                  f"{st.get('authLegs', 0)}), {wall:.1f} s wall (engine and program start included)")
        sim.knobs(latencyMs=0)
        sim.reset_stats()
        t0 = time.perf_counter()
        cli.preview("--refresh", "--expect-no-changes")
        print(f"same preview without added latency: {time.perf_counter() - t0:.1f} s wall")
    finally:
        sim.knobs(latencyMs=0)
        cli.destroy("--yes", check=False)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--latency-ms", type=int, default=50)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--preview", action="store_true", help="also time pulumi preview --refresh (real engine)")
    args = ap.parse_args()
    sim = Instance.private(Path(tempfile.mkdtemp(prefix="bench-winrm-")))
    sim.up()
    try:
        sim.reset_state(HOST)
        with sim.edit_state(HOST) as st:
            hostmodel.install_mscep_defaults(st)  # as the NDES role leaves it
        created = []
        for kind, prov, props in resources(sim):
            res = prov.create(props)
            created.append((kind, prov, res.id, res.outs))
        from ndes.windows import _session
        _session.close_all()  # start the reads like a fresh provider process
        sim.knobs(latencyMs=args.latency_ms)
        print(f"no-change read of every host resource on {HOST}, {args.latency_ms} ms added per HTTP request")
        print(f"{'resource':<22}{'round':>6}{'requests':>10}{'Create':>8}{'auth legs':>11}{'wall ms':>10}"
              f"{'changed':>9}")
        totals = []
        for rnd in range(1, args.rounds + 1):
            total_req, t_round = 0, time.perf_counter()
            for kind, prov, id_, outs in created:
                sim.reset_stats()
                t0 = time.perf_counter()
                read = prov.read(id_, outs)
                ms = (time.perf_counter() - t0) * 1000
                st = sim.stats().get(HOST, {})
                drift = prov.diff(id_, read.outs, prov.check({}, read.inputs).inputs).changes
                total_req += st.get("requests", 0)
                print(f"{kind:<22}{rnd:>6}{st.get('requests', 0):>10}{st.get('Create', 0):>8}"
                      f"{st.get('authLegs', 0):>11}{ms:>10.0f}{str(drift):>9}")
            totals.append((total_req, (time.perf_counter() - t_round) * 1000))
        for rnd, (req, ms) in enumerate(totals, 1):
            print(f"round {rnd}: {req} HTTP requests for {len(created)} reads, {ms:.0f} ms wall")
        if args.preview:
            sim.knobs(latencyMs=0)
            for kind, prov, id_, outs in created:
                prov.delete(id_, outs)
            sim.reset_state(HOST)
            with sim.edit_state(HOST) as st:
                hostmodel.install_mscep_defaults(st)
            preview_variant(sim, args.latency_ms)
    finally:
        sim.down()
    return 0


if __name__ == "__main__":
    sys.exit(main())
