"""Adoption with the real CLI: a hand-built NDES (lab/handbuilt.py: ndes2, names of its own, three planted
mistakes) taken over by a stack with `adopt: true` in each section.

`pulumi preview` lists exactly the planted differences; `pulumi up` takes every object over without replacing
it and changes only what differs; a second `up` changes nothing; nothing was deleted and recreated (Samba
objectGUIDs, Graph object ids, the NDES install's RA certificates and the hand-made certificate are unchanged);
`ndes verify` then passes. The lab's shared servers are used (Samba, the lab WinRM and Graph simulators), with
ndes2 and the hand-built names, which the lab stack never touches; everything is removed afterwards.
"""
from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path

import pytest

from lab import handbuilt
from lab.winrm_sim import certstore, control
from lab.winrm_sim.handlers import ndes_role
from tests.e2e.lab_stack import lab_project
from tests.e2e.pulumi_cli import REPO_ROOT

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

EXPECTED = {
    # the hand-built SSL certificate is the SSL template's (its template extension carries the template's OID),
    # so it is adopted as it is: no line. The hand-built host lacks IIS Management Scripts and Tools, which
    # the WebAdministration module our IIS scripts import comes with: adoption installs it.
    ("WindowsFeatures", "features ["),
    ("IisHttpsBinding", "hostName 'ndes2.lab.contoso.test' -> ''"),
    ("MscepTemplateMapping", f"templateName '{handbuilt.NAMES['ssl']}' -> '{handbuilt.NAMES['client']}'"),
}


def ensure_lab_servers() -> None:
    """The lab's WinRM and Graph simulators (started as ./lab/up does when not running) and its /etc/hosts names."""
    from lab import hosts
    from lab.graph_sim import control as graph_sim
    from lab.winrm_sim import control as winrm_sim
    winrm_sim.up()
    graph_sim.up()
    try:
        hosts.add()
    except PermissionError:
        pass


def adopt_lines(text: str) -> set[tuple[str, str]]:
    """(Kind, what it says) of each `adopt:` line the preview shows (the engine may repeat a line)."""
    out = set()
    for line in text.splitlines():
        m = re.search(r"adopt: (\w+) \([^)]*\)(?: [^:]+)?: (.*)$", line.strip())
        if m:
            out.add((m.group(1), m.group(2).strip()))
    return out


def matches(got: set[tuple[str, str]]) -> bool:
    return len(got) == len(EXPECTED) and all(any(k == gk and w in gw for gk, gw in got) for k, w in EXPECTED)


def _directory(cfg):
    """The product's directory client, bound as the administrator who built the NDES (reads only)."""
    from ndes.directory import DirectoryClient, DirectorySettings
    d = cfg.domain
    user, pw = (d.spn_admin_user, d.spn_admin_password) if d.spn_admin_user else (d.bind_user, d.bind_password)
    return DirectoryClient.connect(DirectorySettings(d.ldap_url, user, pw.get_secret_value(), ca_bundle=d.ca_bundle))


def identities(cfg) -> dict[str, str]:
    """What must survive adoption unchanged: objectGUIDs in Samba, Graph object ids, the NDES install's RA
    certificates and every certificate that was in the NDES host's store."""
    from ndes.directory import accounts as acc, templates as tpl
    from ndes.directory.security import guid_to_str
    out: dict[str, str] = {}
    with _directory(cfg) as c:
        out["account"] = acc.find_principal(c, cfg.service_account.name).guid
        for t in (cfg.templates.ssl, cfg.templates.client):
            out[f"template {t.name}"] = guid_to_str(tpl.read_template(c, tpl.template_dn(c, t.name))["objectGUID"])
    out.update({f"graph {k}": v for k, v in handbuilt.graph_ids(cfg).items()})
    for c in ndes_role.ra_certificates(control.LAB.read_state(cfg.ndes_hosts[0].fqdn)):
        out[f"ra {c['template']}"] = c["thumbprint"]
    return out


def certificates(cfg) -> set[str]:
    """Thumbprints in the NDES host's LocalMachine\\My (the simulator's view of the host)."""
    return set(certstore.store(control.LAB.read_state(cfg.ndes_hosts[0].fqdn)))


@pytest.fixture
def handbuilt_ndes(samba_dc):
    ensure_lab_servers()
    handbuilt.clean(echo=lambda _m: None)
    planted = handbuilt.build(echo=lambda _m: None)
    try:
        yield handbuilt.deployment_config(), planted
    finally:
        handbuilt.clean(echo=lambda _m: None)


def test_adopt_a_hand_built_ndes(handbuilt_ndes, tmp_path: Path):
    cfg, planted = handbuilt_ndes
    assert len(planted) == len(EXPECTED) == 3
    before = identities(cfg)
    certs_before = certificates(cfg)
    cli = lab_project(tmp_path, handbuilt.stack_overrides())

    t0 = time.monotonic()
    preview = cli.preview("--diff")
    t_preview = time.monotonic() - t0
    got = adopt_lines(preview.stdout + preview.stderr)
    assert matches(got), "\n".join(f"{k}: {w}" for k, w in sorted(got))

    t0 = time.monotonic()
    up = cli.up()
    t_up = time.monotonic() - t0
    shown = up.stdout + up.stderr
    assert not re.search(r"\d+ (replaced|deleted)", shown), shown[-3000:]
    assert re.search(r"\d+ created", shown), shown[-3000:]

    again = cli.up("--expect-no-changes")
    assert "error" not in again.stderr.lower()

    after = identities(cfg)
    for key, value in before.items():
        assert after.get(key) == value, f"{key} changed: {value} -> {after.get(key)}"
    assert certs_before <= certificates(cfg), "a certificate the admin made was deleted"

    env = {**cli.env, "PATH": f"{cli.bin_dir}:{cli.env.get('PATH', '')}"}
    verify = subprocess.run([str(REPO_ROOT / ".venv/bin/ndes"), "verify", "--stack", "lab", "--json",
                             "--project-dir", str(cli.project_dir)], env=env, capture_output=True, text=True)
    import json
    doc = json.loads(verify.stdout)
    fails = [r for r in doc["results"] if r["status"] == "fail"]
    assert verify.returncode == 0 and not fails, fails
    print(f"\nadoption timings: preview {t_preview:.1f} s, up {t_up:.1f} s")
