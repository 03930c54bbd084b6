"""The Directory plane with the real Pulumi CLI against the lab's Samba AD DC: a throw-away program that builds
only DirectoryPlane from the lab stack's configuration (with names of its own, so it never meets the lab
stack's svc-ndes or NDES-SSL on the shared DC).

up creates the account, its SPN, both templates and their issuance; a second up changes nothing; an ldapmodify
made by hand (the client template's key made exportable, the account disabled) shows on refresh and the next
up repairs it; destroy removes what up created and nothing else (every object of the domain and Configuration
partitions counted before and after); no secret reaches the state in clear.
"""
from __future__ import annotations

import secrets
import textwrap
import time
import uuid
from pathlib import Path

import ldap3
import pytest
import yaml

from lab.env import directory_environment
from ndes.directory import DirectoryClient, DirectorySettings
from ndes.directory import accounts as acc
from ndes.directory import issuance as iss
from ndes.directory import templates as tpl
from tests.directory.delegation import schema_guid, without_right
from tests.e2e.pulumi_cli import REPO_ROOT, PulumiCLI

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

PROGRAM = textwrap.dedent('''
    import pulumi

    from ndes.components.directory import DirectoryPlane
    from ndes.program import load_stack_config, secret_outputs

    cfg = load_stack_config()
    plane = DirectoryPlane("directory", cfg, secret_outputs(cfg))
    pulumi.export("serviceAccountDn", plane.service_account_dn)
    pulumi.export("serviceAccountSid", plane.service_account_sid)
    pulumi.export("sslTemplateOid", plane.ssl_template_oid)
    pulumi.export("clientTemplateOid", plane.client_template_oid)
''')


def client(dc) -> DirectoryClient:
    return DirectoryClient.connect(DirectorySettings(dc.ldap_url, dc.bind_user, dc.bind_password,
                                                     ca_bundle=dc.ca_bundle))


def all_dns(dc) -> set[str]:
    with client(dc) as c:
        out = set()
        for base in (dc.domain_dn, dc.config_dn):
            out |= {e["dn"].lower() for e in c.search(base, "(objectClass=*)", "subtree", ["objectClass"])
                    if not e["dn"].lower().endswith(f"cn=schema,{dc.config_dn}".lower())}
        return out


@pytest.fixture
def world(samba_dc, tmp_path: Path):
    """An NDES host of this test's own (its computer account, as a domain join leaves it) and the stack."""
    uid = uuid.uuid4().hex[:6]
    host = f"e2e{uid}"
    fqdn = f"{host}.{samba_dc.dns_domain}"
    computer_dn = f"CN={host.upper()},CN=Computers,{samba_dc.domain_dn}"
    with client(samba_dc) as c:
        tpl.forest_base_oid(c)  # a forest setting the first template creates; not part of what destroy removes
        c.add(computer_dn, ["top", "person", "organizationalPerson", "user", "computer"],
              {"sAMAccountName": f"{host.upper()}$", "userAccountControl": "4096", "dNSHostName": fqdn})
    names = {"account": f"svc-e2e{uid}", "ssl": f"E2E-SSL-{uid}", "client": f"E2E-Intune-{uid}", "fqdn": fqdn}
    config = yaml.safe_load((REPO_ROOT / "Pulumi.lab.yaml").read_text())["config"]
    config["ndes:domain"]["ldapUrl"] = samba_dc.ldap_url
    config["ndes:ca"]["commonName"] = samba_dc.enterprise_ca_name
    config["ndes:ndesHosts"] = [{**config["ndes:ndesHosts"][0], "fqdn": fqdn,
                                 "externalUrl": f"https://{host}-lab.msappproxy.net/"}]
    config["ndes:serviceAccount"]["name"] = names["account"]
    config["ndes:templates"] = {"ssl": {"name": names["ssl"]}, "client": {"name": names["client"]}}
    # one client template here: only the lab's first SCEP profile, whose key usage that template serves
    config["ndes:intune"]["scepProfiles"] = config["ndes:intune"]["scepProfiles"][:1]
    project = tmp_path / "project"
    project.mkdir()
    (project / "Pulumi.yaml").write_text(f"name: ndes\nruntime:\n  name: python\n  options:\n"
                                         f"    virtualenv: {REPO_ROOT / '.venv'}\n")
    (project / "__main__.py").write_text(PROGRAM)
    service_password = "Svc-" + secrets.token_urlsafe(12) + "!9a"
    env = {**directory_environment(), "NDES_LAB_SERVICE_PASSWORD": service_password,
           "NDES_LAB_WINRM_PASSWORD": "unused-WinRM-1", "NDES_LAB_CA_WINRM_PASSWORD": "unused-WinRM-2",
           "NDES_LAB_GRAPH_SECRET": "unused-graph-secret",
           "NDES_LAB_CA_BUNDLE": str(samba_dc.ca_bundle)}
    cli = PulumiCLI(project, stack="directory", state_dir=tmp_path / "state", env=env)
    cli.stack_init()
    stack_file = project / "Pulumi.directory.yaml"
    doc = yaml.safe_load(stack_file.read_text()) or {}
    doc["config"] = config
    stack_file.write_text(yaml.safe_dump(doc))
    yield cli, names, service_password
    cli.destroy(check=False)
    with client(samba_dc) as c:
        c.delete(computer_dn)


def test_up_noop_drift_repair_destroy(samba_dc, world, tmp_path):
    cli, names, service_password = world
    before = all_dns(samba_dc)
    timings = {}

    t = time.monotonic()
    cli.up()
    timings["up"] = time.monotonic() - t
    out = cli.outputs()
    with client(samba_dc) as c:
        account = acc.find_principal(c, names["account"])
        assert account is not None and out["serviceAccountDn"] == account.dn and out["serviceAccountSid"] == account.sid
        assert [s.lower() for s in acc.as_list(account.attributes["servicePrincipalName"])] == [f"http/{names['fqdn']}"]
        for kind in ("ssl", "client"):
            t_ = tpl.read_template(c, tpl.template_dn(c, names[kind]))
            assert t_ is not None and t_["msPKI-Cert-Template-OID"] == out[f"{kind}TemplateOid"]
        assert {names["ssl"], names["client"]} <= set(iss.issued_templates(c, samba_dc.enterprise_ca_name))
    added = all_dns(samba_dc) - before
    assert len(added) == 5, sorted(added)  # the account, two templates, their two OID objects

    # no secret in clear in the state
    state_text = "".join(p.read_text(errors="replace") for p in (tmp_path / "state").rglob("*.json"))
    assert service_password not in state_text and samba_dc.bind_password not in state_text
    assert samba_dc.delegated_password not in state_text

    # a second up changes nothing
    t = time.monotonic()
    cli.preview("--expect-no-changes", "--diff")
    cli.up("--expect-no-changes")  # fails when the engine sees any change
    timings["second preview + up"] = time.monotonic() - t

    # out of band: the client template's key made exportable, the account disabled
    with client(samba_dc) as c:
        c.modify(tpl.template_dn(c, names["client"]),
                 {"msPKI-Private-Key-Flag": [(ldap3.MODIFY_REPLACE, [str(16842752 | 0x10)])]})
        c.modify(account.dn, {"userAccountControl": [(ldap3.MODIFY_REPLACE, ["66050"])]})
    refresh = cli.refresh("--diff")
    assert "exportable" in refresh.stdout and "enabled" in refresh.stdout, refresh.stdout
    print("\n".join(line for line in refresh.stdout.splitlines() if "exportable" in line or "enabled" in line))
    preview = cli.preview("--diff", check=False)
    assert "exportable" in preview.stdout
    cli.up()
    with client(samba_dc) as c:
        t_ = tpl.read_template(c, tpl.template_dn(c, names["client"]))
        assert t_["msPKI-Private-Key-Flag"] == 16842752
        uac = acc.as_int(acc.find_principal(c, names["account"]).attributes["userAccountControl"])
        assert uac == 0x200 | 0x10000
    cli.preview("--expect-no-changes")

    # destroy removes what up created and nothing else
    t = time.monotonic()
    cli.destroy()
    timings["destroy"] = time.monotonic() - t
    assert all_dns(samba_dc) == before
    with client(samba_dc) as c:
        issued = set(iss.issued_templates(c, samba_dc.enterprise_ca_name))
    assert not {names["ssl"], names["client"]} & issued
    print("timings:", {k: round(v, 1) for k, v in timings.items()})


def test_preview_names_a_delegated_right_the_bind_account_lacks(samba_dc, world):
    """The lab stack binds as a plain user holding only the delegation of docs/identities.md: take one right
    away and `pulumi preview` fails, naming the right, the object and the dsacls command that grants it."""
    cli, names, _ = world
    cli.preview()
    with without_right(samba_dc, samba_dc.enrollment_service_dn, schema_guid(samba_dc, "certificateTemplates")):
        out = cli.preview(check=False)
        text = out.stdout + out.stderr
        assert out.returncode != 0, text
        assert "may not write certificateTemplates on CN=Lab Issuing CA,CN=Enrollment Services" in text, text
        assert 'LAB\\pulumi-ndes:WP;certificateTemplates' in text, text
    with client(samba_dc) as c:  # and nothing was written
        assert acc.find_principal(c, names["account"]) is None
