"""The policy pack under the real CLI: `pulumi preview --policy-pack policies`.

- the lab stack, from the repository's program, passes (with the pack's own per-stack config and with it given
  explicitly through --policy-pack-config);
- a lab configuration bent where the program's own checks allow it but the policies do not fails, naming each
  violated policy (TLS off on a stack that is not the lab, an exportable client key, a renewal threshold out of
  bounds, a key size the stack's policy config refuses, Entra pre-authentication as an advisory);
- a small program declaring the project's resource kinds directly with bad inputs (and some under another
  module name, to show matching by Kind) fails, naming every other policy;
- the fallback analyzer shim (pulumi-analyzer-policy-python) serves the pack from its virtualenv;
- after a real `pulumi up` of the directory, CA host and NDES host planes (lab Samba DC + a private WinRM
  simulator), the stack policies pass on the providers' real outputs, and a wide expiry window names each real
  certificate (SSL, both RA certificates, issuing and root CA), advisory or, through the policy config, mandatory;
- `pulumi up --policy-pack` of App Proxy + Intune against the Graph simulator passes, with each SCEP profile
  linked by id to its platform's root;
- the stack's own policy-config.<stack>.json is applied; scripts/pipeline preview reports and fails as a PR needs.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import textwrap

import pytest
import yaml

from tests.graph.conftest import graph_sim, graph_sim_server, lab_ca_der  # noqa: F401  (fixtures)

from lab.env import directory_environment, lab_environment

from .lab_stack import lab_project, lab_stack_config
from .pulumi_cli import REPO_ROOT, PulumiCLI, engine_bin

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

PACK = REPO_ROOT / "policies"
VENV = REPO_ROOT / ".venv"


def _policies_section(out: str) -> str:
    return out[out.find("Policies:"):] if "Policies:" in out else ""


VIOLATION = re.compile(r"\[(advisory|mandatory)\]\s+([a-z0-9-]+)\s+\(")


def _violations(out: str) -> dict[str, str]:
    """policy name -> enforcement level, from a preview's output: the `Policies:` section of a plain preview
    (`- [mandatory]  name  (type: resource)`) or the lines `preview --diff` prints under each resource
    (`ndes-scep@v0.1.0 [mandatory]  name  (type: resource)`)."""
    return {name: level for level, name in VIOLATION.findall(out)}


@pytest.mark.parametrize("explicit_config", [False, True], ids=["pack-config", "policy-pack-config-flag"])
def test_lab_stack_preview_passes_the_pack(tmp_path, explicit_config):
    cli = lab_project(tmp_path)
    extra = ["--policy-pack-config", str(PACK / "policy-config.lab.json")] if explicit_config else []
    proc = cli.preview("--policy-pack", str(PACK), *extra)
    out = proc.stdout
    assert "ndes-scep@v0.1.0" in out, out
    assert _violations(out) == {}, _policies_section(out)
    assert "pulumi-python:dynamic/ndes:CertificateTemplate" in out  # the pack looked at the real chain


def test_bent_lab_configuration_fails_naming_each_policy(tmp_path):
    cli = lab_project(tmp_path, {
        "templates.client.exportable": True,           # the program does not check exportability
        "intune.scepProfiles[0].renewalThresholdPercent": 60,  # Intune allows 1-99, the policy 10-50
        "appProxy.preAuthentication": "aadPreAuthentication",
    }, stack="staging")
    config = tmp_path / "policy-config.json"
    config.write_text(json.dumps({"client-template-key-size": {"minimumKeySize": 4096}}))
    proc = cli.preview("--policy-pack", str(PACK), "--policy-pack-config", str(config), check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out
    assert _violations(proc.stdout) == {
        "client-template-key-not-exportable": "mandatory",
        "client-template-key-size": "mandatory",
        "scep-validity-and-renewal": "mandatory",
        "app-proxy-passthrough": "advisory",
    }, _policies_section(proc.stdout)
    for text in ("ndes:templates.client.exportable",
                 "at least 4096", "ndes:intune.scepProfiles[0].renewalThresholdPercent", "ndes:appProxy.preAuthentication"):
        assert text in out, text
    for name in ("NDES_LAB_BIND_PASSWORD", "NDES_LAB_WINRM_PASSWORD", "NDES_LAB_SERVICE_PASSWORD",
                 "NDES_LAB_GRAPH_SECRET"):
        assert cli.env[name] not in out, f"{name}'s value leaked into the preview"


def test_program_refuses_tls_off_on_a_stack_not_listed(tmp_path):
    """ndes:lab is true in the lab's config, and a pull request could set it anywhere: the stack's name decides."""
    cli = lab_project(tmp_path, {"domain.insecureSkipTlsVerify": True}, stack="staging")
    proc = cli.preview(check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out
    assert "ndes:domain.insecureSkipTlsVerify" in out and "stack 'staging'" in out, out
    assert "Traceback" not in out, out


BAD_PROGRAM = textwrap.dedent('''
    """Resources of the project's kinds with bad inputs, through a provider that stores what it is given."""
    import datetime as dt

    import pulumi
    from pulumi.dynamic import CreateResult, ReadResult, ResourceProvider


    class Store(ResourceProvider):
        def create(self, props):
            return CreateResult(id_=props.get("name") or "id", outs=props)

        def read(self, id_, props):
            return ReadResult(id_=id_, outs=props)


    def kind(name, module="ndes"):
        return type(name, (pulumi.dynamic.Resource,), {}, module=module, name=name)


    def make(k, res, props, module="ndes", **opts):
        return kind(k, module)(Store(), res, props, pulumi.ResourceOptions(**opts))


    soon = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
    ca = {"host": "ca1.corp.test", "url": "https://ca1.corp.test:5986/wsman", "insecureSkipTlsVerify": True}
    make("CertificateTemplate", "client", {"kind": "client", "name": "NDES-Intune", "minimumKeySize": 1024,
         "keyUsage": ["digitalSignature", "keyEncipherment"], "extendedKeyUsage": ["serverAuth"],
         "exportable": False, "configKey": "ndes:templates.client"})
    root = make("TrustedCertificateProfile", "ios-root", {"platform": "ios", "role": "root",
                "displayName": "Root - iOS", "groups": ["group-a"], "profileId": "root-ios"}, module="intune")
    make("ScepProfile", "ios-scep", {"platform": "ios", "displayName": "SCEP - iOS",
         "rootProfileId": root.id, "scepServerUrls": ["http://ndes.corp.test/certsrv/mscep/mscep.dll"],
         "keyUsage": ["digitalSignature"], "validity": "1 year", "renewalThresholdPercent": 20,
         "groups": ["group-a", "group-b"]}, module="intune")
    make("MscepTemplateMapping", "mscep", {"endpoint": ca, "keyUsage": ["keyEncipherment"],
         "templateName": "NDES-Intune"})
    make("CaAccess", "ca-access", {"endpoint": ca, "caName": "Corp CA", "account": "CORP\\\\svc-ndes"})
    make("NdesRole", "role", {"endpoint": ca, "caConfig": "ca1.corp.test\\\\Corp CA",
         "raCertificates": [{"template": "CEPEncryption", "notAfter": soon}]})
    make("AppProxyApplication", "app", {"displayName": "NDES", "externalUrl": "https://ndes-corp.msappproxy.net/",
         "internalUrl": "https://ca1.corp.test/", "preAuthentication": "passthrough"})
    make("MachineCertificate", "ssl", {"endpoint": ca, "template": "NDES-SSL", "commonName": "ndes.corp.test",
         "dnsNames": ["ca1.corp.test"], "notAfter": soon, "configKey": "ndes:sslCertificate"})
    make("IisHttpsBinding", "binding", {"endpoint": ca, "siteName": "Default Web Site", "hostName": "CA1",
         "configKey": "ndes:sslCertificate"})
''')


def test_bad_resources_fail_naming_each_policy(tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    (project / "Pulumi.yaml").write_text(
        f"name: badchain\nruntime:\n  name: python\n  options:\n    virtualenv: {VENV}\n")
    (project / "__main__.py").write_text(BAD_PROGRAM)
    cli = PulumiCLI(project, stack="prod", state_dir=tmp_path / "state")
    cli.stack_init()
    proc = cli.preview("--policy-pack", str(PACK), check=False)
    assert proc.returncode != 0, proc.stdout + proc.stderr
    found = _violations(proc.stdout)
    assert found == {
        "client-template-key-size": "mandatory",
        "client-template-client-auth": "mandatory",
        "scep-url-format": "mandatory",
        "scep-trusted-root-groups": "mandatory",
        "mscep-mapping-consistent": "mandatory",
        "ssl-certificate-names": "mandatory",
        "iis-binding-empty-host-name": "mandatory",
        "ca-ndes-separate-hosts": "mandatory",
        "certificate-expiry": "advisory",
        "tls-verification-on": "mandatory",
    }, _policies_section(proc.stdout)
    out = proc.stdout
    for text in ("stack 'prod'", "group-b", "does not use https", "writes EncryptionTemplate", "lacks ndes-corp.msappproxy.net",
                 "host name 'CA1'", "NDES is installed on ca1.corp.test", "CEPEncryption RA certificate",
                 "NDES SSL certificate on ca1.corp.test expires on"):
        assert text in out, text


SSL_ONLY_PROGRAM = BAD_PROGRAM.split("soon = ")[0] + textwrap.dedent('''
    make("MachineCertificate", "ssl", {"connection": {"host": "ndes1.lab.contoso.test"}, "template": "NDES-SSL",
         "commonName": "ndes1.lab.contoso.test", "dnsNames": ["ndes1.lab.contoso.test"],
         "configKey": "ndes:sslCertificate"})
''')


@pytest.mark.parametrize("secrets_set", [True, False], ids=["config-valid", "variable-unset"])
def test_the_pack_reads_the_stack_config_through_the_model(tmp_path, secrets_set):
    """With no App Proxy application among the resources, ssl-certificate-names takes the external FQDN from the
    stack's ndes:ndesHosts: the engine hands the pack the stack config (PULUMI_CONFIG) and the CLI's environment,
    and the pack reads them through the model's config pipeline ({fromEnv} secrets resolved, validated for the
    stack's name). A config that does not validate (a variable it reads unset) gives the pack nothing to demand."""
    project = tmp_path / "project"
    project.mkdir()
    (project / "Pulumi.yaml").write_text(
        f"name: sslonly\nruntime:\n  name: python\n  options:\n    virtualenv: {VENV}\n")
    (project / "__main__.py").write_text(SSL_ONLY_PROGRAM)
    (project / "Pulumi.lab.yaml").write_text(yaml.safe_dump(lab_stack_config(), sort_keys=False))
    env = lab_environment(state_dir=tmp_path / "state")
    passphrase = env.pop("PULUMI_CONFIG_PASSPHRASE")
    if not secrets_set:
        env.pop("NDES_LAB_SERVICE_PASSWORD")
    cli = PulumiCLI(project, stack="lab", state_dir=tmp_path / "state", passphrase=passphrase, env=env)
    if not secrets_set:
        cli.env.pop("NDES_LAB_SERVICE_PASSWORD", None)  # also when this process has it
    cli.stack_init()
    proc = cli.preview("--policy-pack", str(PACK), check=False)
    if secrets_set:
        assert _violations(proc.stdout) == {"ssl-certificate-names": "mandatory"}, _policies_section(proc.stdout)
        assert "lacks ndes1-lab.msappproxy.net" in proc.stdout
    else:
        assert _violations(proc.stdout) == {}, _policies_section(proc.stdout)
    assert proc.returncode == (1 if secrets_set else 0), proc.stdout + proc.stderr


def test_apple_nonrepudiation_and_stack_policies_see_renamed_modules(tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    (project / "Pulumi.yaml").write_text(
        f"name: applechain\nruntime:\n  name: python\n  options:\n    virtualenv: {VENV}\n")
    program = BAD_PROGRAM.split("soon = ")[0] + textwrap.dedent('''
        make("CertificateTemplate", "client", {"kind": "client", "name": "NDES-Intune", "minimumKeySize": 2048,
             "keyUsage": ["digitalSignature", "nonRepudiation"], "extendedKeyUsage": ["clientAuth"],
             "exportable": False}, module="pki")
        make("ScepProfile", "mac-scep", {"platform": "macos", "displayName": "SCEP - macOS", "rootProfileId": "",
             "scepServerUrls": ["https://ndes.corp.test/certsrv/mscep/mscep.dll"], "keyUsage": ["digitalSignature"],
             "validity": "1 year", "renewalThresholdPercent": 20, "groups": []}, module="pki")
    ''')
    (project / "__main__.py").write_text(program)
    cli = PulumiCLI(project, stack="prod", state_dir=tmp_path / "state")
    cli.stack_init()
    proc = cli.preview("--policy-pack", str(PACK), check=False)
    assert proc.returncode != 0
    assert _violations(proc.stdout) == {"scep-apple-no-nonrepudiation": "mandatory",
                                        "scep-trusted-root-groups": "mandatory"}, _policies_section(proc.stdout)
    assert "SCEP profiles target macos" in proc.stdout and "not linked to a trusted root" in proc.stdout


def test_analyzer_shim_serves_the_pack_from_its_virtualenv(tmp_path):
    """The engine's fallback path: pulumi-analyzer-policy-python ENGINE . -virtualenv=../.venv, started in the
    pack's folder with a PATH that has no Python with pulumi-policy: the pack answers the Analyzer protocol."""
    import grpc
    from google.protobuf import empty_pb2, struct_pb2
    from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc

    shim = engine_bin() / "pulumi-analyzer-policy-python"
    env = {"PATH": "/usr/bin:/bin", "HOME": os.environ.get("HOME", "/root"), "PULUMI_STACK": "prod",
           "PULUMI_PROJECT": "ndes", "PULUMI_DRY_RUN": "true"}
    proc = subprocess.Popen([str(shim), "127.0.0.1:1", ".", "-virtualenv=../.venv", "-toolchain=pip"], cwd=PACK,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        port = proc.stdout.readline().strip()
        assert port.isdigit(), proc.stderr.read() if proc.poll() is not None else port
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = analyzer_pb2_grpc.AnalyzerStub(channel)
            info = stub.GetAnalyzerInfo(empty_pb2.Empty(), timeout=30)
            from policies.ndes_policies import ALL_POLICIES
            assert info.name == "ndes-scep" and sorted(p.name for p in info.policies) == sorted(
                p.name for p in ALL_POLICIES)
            props = struct_pb2.Struct()
            props.update({"kind": "client", "name": "NDES-Intune", "exportable": True})
            resp = stub.Analyze(analyzer_pb2.AnalyzeRequest(
                type="pulumi-python:dynamic/ndes:CertificateTemplate", properties=props, name="client",
                urn="urn:pulumi:prod::ndes::pulumi-python:dynamic/ndes:CertificateTemplate::client"), timeout=30)
            assert [d.policyName for d in resp.diagnostics] == ["client-template-key-not-exportable"]
    finally:
        proc.terminate()
        proc.wait(timeout=30)


# ---- after a real `pulumi up`: the stack policies read the providers' real outputs -------------------------------
WINDOWS_PROGRAM = textwrap.dedent('''
    import pulumi

    from ndes.components.ca_host import CaHost
    from ndes.components.directory import DirectoryPlane
    from ndes.components.ndes_host import NdesHost
    from ndes.program import load_stack_config, secret_outputs

    cfg = load_stack_config()
    secrets = secret_outputs(cfg)
    directory = DirectoryPlane("directory", cfg, secrets)
    ca = CaHost("ca-host", cfg, secrets, service_account_sid=directory.service_account_sid,
                opts=pulumi.ResourceOptions(depends_on=directory.resources))
    NdesHost("ndes-host-ndes2", cfg, cfg.ndes_hosts[0], 0, secrets, after_directory=directory.resources,
             after_ca=ca.resources)
''')


@pytest.fixture
def deployed_windows_plane(samba_dc, tmp_path_factory, tmp_path):
    """The directory, CA host and NDES host planes `pulumi up`-ed against the lab Samba DC and a PRIVATE WinRM
    simulator (names of this test's own, and ndes2: the SPN http/<host> is forest-wide, and the Windows-plane
    e2e registers ndes1's), destroyed afterwards."""
    import secrets as pysecrets
    import uuid

    import yaml

    from lab import pki, topology
    from lab.secrets import lab_secret
    from lab.winrm_sim.control import Instance
    from lab.winrm_sim.handlers import intune_connector as sim_connector

    ndes, ca1 = topology.NDES_HOSTS[1], topology.CA["name"]
    ndes2 = ndes["name"]
    sim = Instance.private(tmp_path_factory.mktemp("winrm-sim-policies"))
    sim.up()
    sim.knobs(rebootSeconds=1)
    cli = None
    try:
        for h in (ndes2, ca1):
            sim.reset_state(h)
        with sim.edit_state(ndes2) as st:
            installer = sim_connector.stage_installer(st)
        uid = uuid.uuid4().hex[:6]
        config = yaml.safe_load((REPO_ROOT / "Pulumi.lab.yaml").read_text())["config"]
        config["ndes:ca"]["winrm"] = {"url": sim.url_of(ca1)}
        config["ndes:ndesHosts"] = [{"fqdn": ndes2, "externalUrl": ndes["external_url"],
                                     "winrm": {"url": sim.url_of(ndes2)}}]
        config["ndes:serviceAccount"]["name"] = f"svc-p{uid}"
        config["ndes:templates"] = {"ssl": {"name": f"POL-SSL-{uid}"}, "client": {"name": f"POL-Intune-{uid}"}}
        # one client template here: only the lab's first SCEP profile, whose key usage that template serves
        config["ndes:intune"]["scepProfiles"] = config["ndes:intune"]["scepProfiles"][:1]
        config["ndes:connector"] = {"installerPath": installer}
        project = tmp_path / "project"
        project.mkdir()
        (project / "Pulumi.yaml").write_text(
            f"name: ndes\nruntime:\n  name: python\n  options:\n    virtualenv: {VENV}\n")
        (project / "__main__.py").write_text(WINDOWS_PROGRAM)
        env = {**directory_environment(),  # the lab's least-privilege bind account and its SPN administrator
               "NDES_LAB_SERVICE_PASSWORD": "Svc-" + pysecrets.token_urlsafe(12) + "!9a",
               "NDES_LAB_WINRM_PASSWORD": lab_secret("winrm-password"), "NDES_LAB_GRAPH_SECRET": "unused",
               "NDES_LAB_CA_WINRM_PASSWORD": lab_secret("ca-winrm-password"),
               "NDES_LAB_CA_BUNDLE": str(pki.ca_bundle_path())}
        cli = PulumiCLI(project, stack="lab", state_dir=tmp_path / "state", env=env)
        cli.stack_init()
        stack_file = project / "Pulumi.lab.yaml"
        doc = yaml.safe_load(stack_file.read_text()) or {}
        doc["config"] = config
        stack_file.write_text(yaml.safe_dump(doc))
        cli.up("--policy-pack", str(PACK))
        yield cli
    finally:
        if cli is not None:
            cli.destroy(check=False)
        sim.down()


def test_stack_policies_read_real_outputs_after_up(deployed_windows_plane, tmp_path):
    cli = deployed_windows_plane
    kinds = {r["type"].rsplit(":", 1)[-1] for r in cli.resources()}
    assert {"MachineCertificate", "NdesRole", "CaCertificate", "IisHttpsBinding", "MscepTemplateMapping",
            "CaAccess"} <= kinds

    # deployed and unchanged: every policy passes on the real outputs
    proc = cli.preview("--policy-pack", str(PACK), "--expect-no-changes")
    assert _violations(proc.stdout) == {}, _policies_section(proc.stdout)

    # a ten-year window: the expiry policy names each real certificate (advisory: the preview still passes) ...
    config = tmp_path / "expiry.json"
    config.write_text(json.dumps({"certificate-expiry": {"expiryWarningDays": 3650}}))
    proc = cli.preview("--policy-pack", str(PACK), "--policy-pack-config", str(config))
    assert _violations(proc.stdout) == {"certificate-expiry": "advisory"}, _policies_section(proc.stdout)
    print(_policies_section(proc.stdout).split("Outputs:")[0])
    for text in ("NDES SSL certificate on ndes2.lab.contoso.test expires on",
                 "EnrollmentAgentOffline RA certificate on ndes2.lab.contoso.test",
                 "CEPEncryption RA certificate on ndes2.lab.contoso.test",
                 "the issuing CA certificate (", "of Lab Issuing CA expires on"):
        assert text in proc.stdout, text

    # ... and the stack's policy config can make it mandatory
    config.write_text(json.dumps({"certificate-expiry": {"enforcementLevel": "mandatory",
                                                         "expiryWarningDays": 3650}}))
    proc = cli.preview("--policy-pack", str(PACK), "--policy-pack-config", str(config), check=False)
    assert proc.returncode != 0
    assert _violations(proc.stdout) == {"certificate-expiry": "mandatory"}


def test_the_stacks_own_policy_config_file_is_applied(tmp_path):
    """policies/policy-config.<stack>.json reaches the engine without a flag ("all" included); a file given with
    --policy-pack-config still wins."""
    import shutil

    pack = tmp_path / "policies"
    shutil.copytree(PACK, pack, ignore=shutil.ignore_patterns("__pycache__", "policy-config.*.json"))
    (tmp_path / ".venv").symlink_to(VENV)  # the pack's ../.venv
    (pack / "policy-config.prod.json").write_text(json.dumps({
        "all": "advisory", "scep-url-format": {"enforcementLevel": "disabled"}}))
    project = tmp_path / "project"
    project.mkdir()
    (project / "Pulumi.yaml").write_text(
        f"name: badchain\nruntime:\n  name: python\n  options:\n    virtualenv: {VENV}\n")
    (project / "__main__.py").write_text(BAD_PROGRAM)
    cli = PulumiCLI(project, stack="prod", state_dir=tmp_path / "state")
    cli.stack_init()

    proc = cli.preview("--policy-pack", str(pack))  # every policy advisory: the preview passes
    found = _violations(proc.stdout)
    assert set(found.values()) == {"advisory"} and "scep-url-format" not in found, _policies_section(proc.stdout)
    assert "ca-ndes-separate-hosts" in found

    flag = tmp_path / "flag.json"
    flag.write_text(json.dumps({"ca-ndes-separate-hosts": "mandatory"}))
    proc = cli.preview("--policy-pack", str(pack), "--policy-pack-config", str(flag), check=False)
    assert proc.returncode != 0
    assert _violations(proc.stdout)["ca-ndes-separate-hosts"] == "mandatory"
    assert _violations(proc.stdout)["client-template-key-size"] == "advisory"


@pytest.mark.parametrize("overrides,ok", [({}, True), ({"templates.client.exportable": True}, False)],
                         ids=["lab", "exportable-client-key"])
def test_pipeline_preview_runs_the_pack(tmp_path, overrides, ok):
    """scripts/pipeline preview (what the pull-request workflow runs) passes --policy-pack policies and puts the
    policy results in preview.md; a violation fails the step."""
    import shutil

    cli = lab_project(tmp_path, overrides)
    (cli.project_dir / "scripts").mkdir()
    shutil.copy(REPO_ROOT / "scripts" / "pipeline", cli.project_dir / "scripts" / "pipeline")
    (cli.project_dir / "policies").symlink_to(PACK)
    out = tmp_path / "preview.md"
    env = {**cli.env, "STACK": "lab", "OUT": str(out)}
    proc = subprocess.run(["bash", str(cli.project_dir / "scripts" / "pipeline"), "preview"], env=env,
                          capture_output=True, text=True, timeout=600)
    report = out.read_text()
    assert (proc.returncode == 0) is ok, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "Policy Packs run:" in report and "ndes-scep" in report
    if ok:
        assert report.startswith("### pulumi preview: `lab` ok") and _violations(report) == {}
    else:
        assert report.startswith("### pulumi preview: `lab` FAILED")
        assert _violations(report) == {"client-template-key-not-exportable": "mandatory"}


GRAPH_PROGRAM = textwrap.dedent('''
    import json

    import pulumi

    from ndes.components.app_proxy import AppProxy
    from ndes.components.intune import Intune
    from ndes.program import load_stack_config, secret_outputs

    cfg = load_stack_config()
    secrets = secret_outputs(cfg)
    app_proxy = AppProxy("app-proxy", cfg, secrets)
    Intune("intune", cfg, secrets, json.loads(pulumi.Config("e2e").require("caCertificates")),
           pulumi.ResourceOptions(depends_on=app_proxy.resources))
''')


def test_graph_planes_up_and_preview_with_the_pack(tmp_path, graph_sim, lab_ca_der):
    """`pulumi up --policy-pack` of App Proxy + Intune against the Graph simulator: the resource policies pass on
    the inputs and the stack policies on the real outputs, where each SCEP profile's rootProfileId is now the id
    of its platform's root profile (the link the trusted-root policy follows once ids are known)."""
    import yaml

    from lab.graph_sim.server import client_secret
    from lab.pki import ca_bundle_path

    project = tmp_path / "project"
    project.mkdir()
    (project / "Pulumi.yaml").write_text(
        f"name: ndes\nruntime:\n  name: python\n  options:\n    virtualenv: {VENV}\n")
    (project / "__main__.py").write_text(GRAPH_PROGRAM)
    config = yaml.safe_load((REPO_ROOT / "Pulumi.lab.yaml").read_text())["config"]
    config["ndes:graph"]["graphEndpoint"] = config["ndes:graph"]["authority"] = graph_sim.url + "/"
    for key in ("ndes:domain", "ndes:winrm", "ndes:graph"):
        config[key]["caBundle"] = str(ca_bundle_path())
    config["e2e:caCertificates"] = json.dumps(lab_ca_der)
    env = {"NDES_LAB_GRAPH_SECRET": client_secret(), "NDES_LAB_BIND_PASSWORD": "unused-Bind-1",
           "NDES_LAB_SPN_ADMIN_PASSWORD": "unused-Admin-1",
           "NDES_LAB_WINRM_PASSWORD": "unused-WinRM-1", "NDES_LAB_CA_WINRM_PASSWORD": "unused-WinRM-2",
           "NDES_LAB_SERVICE_PASSWORD": "unused-Svc-1!"}
    cli = PulumiCLI(project, stack="lab", state_dir=tmp_path / "state", env=env)
    cli.stack_init()
    stack_file = project / "Pulumi.lab.yaml"
    doc = yaml.safe_load(stack_file.read_text()) or {}
    doc["config"] = config
    stack_file.write_text(yaml.safe_dump(doc))
    try:
        up = cli.up("--policy-pack", str(PACK))
        assert _violations(up.stdout) == {}, up.stdout[-4000:]
        resources = cli.resources()
        roots = {r["outputs"]["profileId"]: r["outputs"]["platform"] for r in resources
                 if r["type"].endswith(":TrustedCertificateProfile") and r["outputs"].get("role") == "root"}
        sceps = [r["outputs"] for r in resources if r["type"].endswith(":ScepProfile")]
        intune = config["ndes:intune"]
        assert len(sceps) == sum(len(p.get("platforms") or intune["platforms"]) for p in intune["scepProfiles"])
        assert all(roots.get(s["rootProfileId"]) == s["platform"] for s in sceps)
        proc = cli.preview("--policy-pack", str(PACK), "--expect-no-changes")
        assert _violations(proc.stdout) == {}, _policies_section(proc.stdout)
    finally:
        cli.destroy(check=False)
