"""The Windows plane with the real Pulumi CLI: the directory plane (names of this test's own on the lab Samba),
CaHost and NdesHost for ndes1, against a PRIVATE WinRM simulator (its own addresses and state, so nothing
here disturbs a lab stack or another test on the machine).

up converges both hosts (and the NDES SCEP endpoint answers with the issued SSL certificate); a second up
changes nothing; drift made in the simulator (a host name on the https binding, the CA right removed) shows on
refresh and is repaired by up; a change of an install-time NDES setting previews as a replace with the reason;
the simulator killed in the middle of `pulumi up`, restarted, and `pulumi up` run again converges with nothing
duplicated; destroy leaves the hosts without what up made.
"""
from __future__ import annotations

import json
import secrets
import ssl
import textwrap
import threading
import time
import uuid
from pathlib import Path

import httpx
import pytest
import yaml

from lab import pki, topology
from lab.env import directory_environment
from lab.secrets import lab_secret
from lab.winrm_sim.control import Instance
from lab.winrm_sim.handlers import intune_connector as sim_connector
from lab.winrm_sim import certstore, hostmodel
from tests.e2e.lab_chain import E2E_TEMPLATE_DELAY
from tests.e2e.pulumi_cli import REPO_ROOT, PulumiCLI

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

NDES1 = topology.NDES_HOSTS[0]["name"]
CA1 = topology.CA["name"]
MY = "LocalMachine\\My"

PROGRAM = textwrap.dedent('''
    import pulumi

    from ndes.components.ca_host import CaHost
    from ndes.components.connection import connection_input
    from ndes.components.ndes_host import NdesHost
    from ndes.program import load_stack_config, secret_outputs
    from ndes.providers.resources import CertificateTemplate, ServiceAccount, TemplateIssuance

    cfg = load_stack_config()
    secrets = secret_outputs(cfg)
    d = cfg.domain
    # What DirectoryPlane makes, but with no SPN: ndes1's http/ SPN belongs to the lab stack's account.
    conn = connection_input(cfg, "ldap")  # ndes:domain, resolved by the providers from the stack config
    sa = cfg.service_account
    # in the lab stack's OU: the least-privilege bind account may create users there only (docs/identities.md)
    account = ServiceAccount("svc", {**conn, "owner": "e2e/svc", "name": sa.name, "ou": sa.ou,
                                     "upn": f"{sa.name}@{d.dns_name}",
                                     "password": secrets["serviceAccount.password"], "passwordNeverExpires": True,
                                     "description": "windows e2e", "spnHosts": []})

    def template(res, kind, t, principals):
        return CertificateTemplate(res, {**conn, "owner": f"e2e/{res}", "kind": kind, "name": t.name,
                                         "displayName": t.name, "validity": t.validity,
                                         "extendedKeyUsage": t.extended_key_usage, "enrollPrincipals": principals})

    ssl = template("ssl-template", "ssl", cfg.templates.ssl, [cfg.ndes_hosts[0].computer_account])
    client = template("client-template", "client", cfg.templates.client, [account.dn.apply(lambda _: sa.name)])
    issued = [TemplateIssuance(f"{res}-issuance", {**conn, "owner": f"e2e/{res}-issuance",
                                                   "caCommonName": cfg.ca.common_name,
                                                   "templateName": tpl.dn.apply(lambda _, n=t.name: n)})
              for res, tpl, t in (("ssl", ssl, cfg.templates.ssl), ("client", client, cfg.templates.client))]
    directory = [account, ssl, client, *issued]
    ca = CaHost("ca-host", cfg, secrets, service_account_sid=account.sid,
                opts=pulumi.ResourceOptions(depends_on=directory))
    host = NdesHost("ndes-host-ndes1", cfg, cfg.ndes_hosts[0], 0, secrets, after_directory=directory,
                    after_ca=ca.resources)
    pulumi.export("rootThumbprint", ca.root_thumbprint)
    pulumi.export("ndes1", host.outputs)
''')


@pytest.fixture(scope="module")
def private_sim(tmp_path_factory):
    inst = Instance.private(tmp_path_factory.mktemp("winrm-sim-e2e"))
    inst.up()
    inst.knobs(rebootSeconds=1, templateDelaySeconds=E2E_TEMPLATE_DELAY)
    try:
        yield inst
    finally:
        inst.down()


@pytest.fixture
def world(samba_dc, private_sim, tmp_path: Path):
    sim = private_sim
    for h in (NDES1, CA1):
        sim.reset_state(h)
    with sim.edit_state(NDES1) as st:
        installer = sim_connector.stage_installer(st)
    uid = uuid.uuid4().hex[:6]
    names = {"account": f"svc-w{uid}", "ssl": f"E2E-SSL-{uid}", "client": f"E2E-Intune-{uid}"}
    config = yaml.safe_load((REPO_ROOT / "Pulumi.lab.yaml").read_text())["config"]
    config["ndes:ca"]["winrm"] = {"url": sim.url_of(CA1)}
    config["ndes:ndesHosts"] = [{**config["ndes:ndesHosts"][0], "winrm": {"url": sim.url_of(NDES1)}}]
    config["ndes:serviceAccount"]["name"] = names["account"]
    config["ndes:templates"] = {"ssl": {"name": names["ssl"]}, "client": {"name": names["client"]}}
    # one client template here: only the lab's first SCEP profile, whose key usage that template serves
    config["ndes:intune"]["scepProfiles"] = config["ndes:intune"]["scepProfiles"][:1]
    config["ndes:connector"] = {"installerPath": installer}
    project = tmp_path / "project"
    project.mkdir()
    (project / "Pulumi.yaml").write_text(f"name: ndes\nruntime:\n  name: python\n  options:\n"
                                         f"    virtualenv: {REPO_ROOT / '.venv'}\n")
    (project / "__main__.py").write_text(PROGRAM)
    service_password = "Svc-" + secrets.token_urlsafe(12) + "!9a"
    env = {**directory_environment(), "NDES_LAB_SERVICE_PASSWORD": service_password,
           "NDES_LAB_WINRM_PASSWORD": lab_secret("winrm-password"), "NDES_LAB_GRAPH_SECRET": "unused-graph-secret",
           "NDES_LAB_CA_WINRM_PASSWORD": lab_secret("ca-winrm-password"),
           "NDES_LAB_CA_BUNDLE": str(pki.ca_bundle_path())}
    cli = PulumiCLI(project, stack="windows", state_dir=tmp_path / "state", env=env)
    cli.stack_init()
    stack_file = project / "Pulumi.windows.yaml"
    doc = yaml.safe_load(stack_file.read_text()) or {}
    doc["config"] = config
    stack_file.write_text(yaml.safe_dump(doc))
    yield cli, sim, names, service_password, stack_file
    if sim.health() is None:
        sim.up()
    cli.destroy(check=False)


def _ours(sim) -> dict:
    st = sim.read_state(NDES1)
    store = st.get("certStores", {}).get(MY, {})
    site = (st.get("iis") or {}).get("sites", {}).get("Default Web Site", {})
    return {
        "ssl": [t for t, e in store.items() if (e.get("friendlyName") or "").startswith("pulumi:")],
        "ra": [t for t, e in store.items()
               if certstore.template_of(e) in ("EnrollmentAgentOffline", "CEPEncryption")],
        "https": [b for b in site.get("bindings", []) if b["protocol"] == "https"],
        "ndes": hostmodel.key_exists(st, hostmodel.MSCEP_KEY),
        "boot": st["boot"]["bootId"],
    }


def _scep(sim, params: dict | None = None) -> httpx.Response:
    ctx = ssl.create_default_context(cafile=str(pki.ca_bundle_path()))
    url = f"https://{sim.address_of(NDES1)}/certsrv/mscep/mscep.dll"
    deadline = time.monotonic() + 10
    while True:
        try:
            with httpx.Client(verify=ctx, timeout=10) as c:
                return c.get(url, params=params, extensions={"sni_hostname": "ndes1-lab.msappproxy.net"})
        except httpx.ConnectError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


def test_windows_plane_up_noop_drift_replace_crash_destroy(samba_dc, world, tmp_path):
    cli, sim, names, service_password, stack_file = world
    timings: dict[str, float] = {}
    boot0 = _ours(sim)["boot"]

    t = time.monotonic()
    cli.up()
    timings["first up"] = time.monotonic() - t
    out = cli.outputs()["ndes1"]
    have = _ours(sim)
    assert have["ndes"] and len(have["ra"]) == 2 and len(have["ssl"]) == 1
    assert [b["bindingInformation"] for b in have["https"]] == ["*:443:"]
    assert have["https"][0]["certificateHash"] == out["sslThumbprint"] == have["ssl"][0]
    assert have["boot"] != boot0  # the HTTP.sys change asked for the one restart
    assert out["connectorRegistered"] is False and "PFXCertificateConnectorUI" in out["connectorInstruction"]
    assert 728 <= out["raDaysLeft"] <= 730
    ca_state = sim.read_state(CA1)["certsvc"]
    assert ca_state["service"]["restarts"] == 1
    assert _scep(sim, {"operation": "GetCACaps"}).status_code == 200
    assert _scep(sim).status_code == 403  # the connector is installed
    state_text = "".join(p.read_text(errors="replace") for p in (tmp_path / "state").rglob("*.json"))
    assert service_password not in state_text and lab_secret("winrm-password") not in state_text

    t = time.monotonic()
    cli.preview("--expect-no-changes", "--diff")
    cli.up("--expect-no-changes")
    timings["second preview + up"] = time.monotonic() - t
    assert _ours(sim)["boot"] == have["boot"] and sim.read_state(CA1)["certsvc"]["service"]["restarts"] == 1

    # drift behind the module's back: the IIS dialog's machine name on the binding; the CA right removed
    with sim.edit_state(NDES1) as st:
        hostmodel.find_site(st, "Default Web Site")[1]["bindings"][-1]["bindingInformation"] = f"*:443:{NDES1}"
    with sim.edit_state(CA1) as st:
        sids = {a["sid"] for a in st["certsvc"]["security"]}
        st["certsvc"]["security"] = [a for a in st["certsvc"]["security"] if a["mask"] != 0x200]
    refresh = cli.refresh("--diff")
    assert f'hostName' in refresh.stdout and NDES1 in refresh.stdout, refresh.stdout
    assert "request-certificates" in refresh.stdout
    cli.up()
    assert [b["bindingInformation"] for b in _ours(sim)["https"]] == ["*:443:"]
    assert {a["sid"] for a in sim.read_state(CA1)["certsvc"]["security"]} == sids
    cli.preview("--expect-no-changes")

    # an install-time NDES setting changed: the preview says replace, and why
    doc = yaml.safe_load(stack_file.read_text())
    doc["config"]["ndes:ndesRole"]["raName"] = "Another RA"
    stack_file.write_text(yaml.safe_dump(doc))
    preview = cli.preview("--diff")
    shown = preview.stdout + preview.stderr
    assert "replace" in shown and "raName" in shown
    assert "not a supported scenario" in shown, shown[-3000:]
    where = "stdout" if "not a supported scenario" in preview.stdout else "stderr"
    lines = shown.splitlines()
    at = next(i for i, line in enumerate(lines) if "supported scenario" in line)
    print(f"replace warning (in {where}):\n" + "\n".join(lines[max(0, at - 3):at + 2]))
    doc["config"]["ndes:ndesRole"].pop("raName", None)
    stack_file.write_text(yaml.safe_dump(doc))

    # the simulator killed in the middle of `pulumi up` (a fresh converge of the NDES host), restarted, up again
    cli.destroy()
    assert not _ours(sim)["ndes"] and _ours(sim)["https"] == [] and _ours(sim)["ssl"] == []
    result: dict = {}

    def interrupted_up() -> None:
        try:
            result["proc"] = cli.up(check=False)
        except Exception as exc:  # the CLI's own timeout: keep what it printed for the assertion below
            result["error"] = f"{type(exc).__name__}: {exc}\n{str(getattr(exc, 'stdout', '') or '')[-4000:]}"

    runner = threading.Thread(target=interrupted_up)
    runner.start()
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and not _ours(sim)["ndes"]:
        time.sleep(0.1)
    assert _ours(sim)["ndes"], "NDES was not installed in time"
    sim.down()  # killed (SIGTERM, then SIGKILL) while the engine works on the steps after NdesRole
    runner.join(timeout=20)  # the engine notices (a failed step) or waits in a restart's wait loop
    sim.up()
    runner.join(timeout=900)
    assert "proc" in result, f"the interrupted pulumi up did not end: {result.get('error', 'still running')}"
    print("interrupted up exited", result["proc"].returncode)
    sim.knobs(rebootSeconds=1, templateDelaySeconds=E2E_TEMPLATE_DELAY)
    t = time.monotonic()
    cli.up()
    timings["up after the crash"] = time.monotonic() - t
    have = _ours(sim)
    assert len(have["ra"]) == 2 and len(have["ssl"]) == 1 and len(have["https"]) == 1, have
    cli.preview("--expect-no-changes")

    cli.destroy()
    have = _ours(sim)
    assert not have["ndes"] and have["ssl"] == [] and have["https"] == []
    assert not [a for a in sim.read_state(CA1)["certsvc"]["security"] if a["mask"] == 0x200 and a["sid"] not in
                ("S-1-5-11",)]
    print("timings:", json.dumps({k: round(v, 1) for k, v in timings.items()}))
