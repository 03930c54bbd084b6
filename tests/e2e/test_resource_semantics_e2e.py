"""Resource semantics a Pulumi user relies on, with the real CLI on the lab stack: `pulumi up --replace` and a
re-parented program keep the live objects (generations), protected resources refuse `destroy`, and what
`pulumi preview` announces for a one-value config change is what `pulumi up` then does, step for step.

Each test leaves the lab stack deployed with its own config, as ./lab/up does.
"""
from __future__ import annotations

import json
import os
import random
from pathlib import Path
from typing import Any

import pytest

from .lab_chain import bent_project, ensure_lab_servers, graph_objects, lab_cli, samba_contents, simulator_contents
from .lab_stack import lab_stack_config, set_dotted

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

NDES1 = "ndes1.lab.contoso.test"


@pytest.fixture(scope="module")
def deployed():
    ensure_lab_servers()
    cli = lab_cli()
    cli.up()
    yield cli
    cli.up()


def live() -> dict[str, Any]:
    """What the lab's servers hold of the chain: the objects a wrong delete would remove."""
    dns = samba_contents()
    host = simulator_contents((NDES1,))["hosts"][NDES1]
    return {
        "serviceAccount": any(dn.startswith("cn=svc-ndes,") for dn in dns),
        "templates": sorted(dn.split(",")[0] for dn in dns if ",cn=certificate templates," in dn
                            and dn.split(",")[0] in ("cn=ndes-ssl", "cn=ndes-intune")),
        "features": sorted(f for f in host["features"]["installed"] if f in ("ADCS-Device-Enrollment", "Web-Server")),
        "certificates": len(host["certStores"].get("LocalMachine\\My", {})),
        "apps": len([a for a in graph_objects("applications") if str(a.get("displayName", "")).startswith("NDES")]),
        "profiles": len(graph_objects("deviceConfigurations")),
    }


def _urn(cli, kind: str, name: str) -> str:
    return next(r["urn"] for r in cli.resources() if r["type"].endswith(f":{kind}") and r["urn"].endswith(f"::{name}"))


def test_replace_keeps_the_live_objects(deployed):
    cli = deployed
    before = live()
    assert before["serviceAccount"] and len(before["templates"]) == 2 and before["apps"] and before["profiles"]
    targets = [_urn(cli, "CertificateTemplate", "directory-ssl-template"),
               _urn(cli, "IisHttpsBinding", "ndes-host-ndes1-https-binding"),
               _urn(cli, "ScepProfile", "intune-vpn-user-ios-scep"),
               _urn(cli, "WindowsFeatures", "ndes-host-ndes1-features")]
    out = cli.up(*[a for u in targets for a in ("--replace", u)])
    text = out.stdout + out.stderr
    assert live() == before, text[-4000:]
    assert "keep: CertificateTemplate" in text and "keep: WindowsFeatures" in text, text[-4000:]
    cli.preview("--expect-no-changes")


REPARENTED_MAIN = '''"""The program with its deployment moved under a new component, and no alias: every URN changes."""
import pulumi

from ndes.components.deployment import NdesScepDeployment
from ndes.program import load_stack_config, secret_outputs

cfg = load_stack_config()
wrapper = pulumi.ComponentResource("ndes:index:Refactored", "refactored")
NdesScepDeployment("ndes", cfg, secret_outputs(cfg), pulumi.ResourceOptions(parent=wrapper))
'''


def test_a_re_parented_program_without_aliases_keeps_the_live_objects(deployed, tmp_path):
    before = live()
    bent = bent_project(tmp_path)
    (bent.project_dir / "__main__.py").write_text(REPARENTED_MAIN)
    moved = bent.up()
    text = moved.stdout + moved.stderr
    assert live() == before, text[-4000:]
    assert all(r["urn"].split("::")[2].startswith("ndes:index:Refactored") for r in bent.resources()
               if r["type"].startswith("pulumi-python:dynamic/")), "the program did not move"
    back = lab_cli().up()  # and back to the committed program: the same again
    assert live() == before, (back.stdout + back.stderr)[-4000:]
    lab_cli().preview("--expect-no-changes")
    # and the resources that took the objects over still delete them: nothing is left behind by a destroy
    lab_cli().destroy()
    after = live()
    host = simulator_contents((NDES1,))["hosts"][NDES1]
    marked = [t for t, e in host["certStores"].get("LocalMachine\\My", {}).items()
              if str(e.get("friendlyName") or "").startswith("pulumi:")]
    assert not after["serviceAccount"] and not after["templates"] and not after["apps"] and not after["profiles"]
    assert marked == [], marked
    lab_cli().up()  # the lab stays deployed for the next test


def test_protected_resources_refuse_destroy_until_unprotected(deployed, tmp_path):
    doc = lab_stack_config()
    doc["config"]["ndes:protect"] = "true"
    bent = bent_project(tmp_path, doc=doc)
    bent.up()
    before = live()
    refused = bent.destroy(check=False)
    text = refused.stdout + refused.stderr
    assert refused.returncode != 0 and "protect" in text.lower(), text[-3000:]
    assert live() == before
    protected = {r["type"].rsplit(":", 1)[-1] for r in bent.resources() if r.get("protect")}
    assert protected == {"CertificateTemplate", "TemplateIssuance", "ServiceAccount", "NdesRole",
                         "AppProxyApplication", "TrustedCertificateProfile", "ScepProfile"}
    lab_cli().up()  # the committed config (protect: false) unprotects them
    assert not any(r.get("protect") for r in lab_cli().resources())


# ---- previews that tell the truth -----------------------------------------------------------------------------

# One value changed per entry, one per key group of the README's configuration table that an existing stack can
# change in place (identity keys such as domain.dnsName or ca.host name other servers, not a change).
CATALOGUE: list[tuple[str, Any]] = [
    ("ndes:templates.client.validity", "2 years"),
    ("ndes:templates.ssl.renewalPeriod", "4 weeks"),
    ("ndes:templates.ssl.displayName", "NDES SSL (lab)"),
    ("ndes:serviceAccount.passwordNeverExpires", False),
    ("ndes:sslCertificate.renewBeforeDays", 45),
    ("ndes:iis.maxUrl", 65000),
    ("ndes:httpSys.maxFieldLength", 65000),
    ("ndes:appProxy.translateHostHeader", False),
    ("ndes:intune.scepProfiles[1].keyStorageProvider", "useSoftwareKsp"),  # (4096-bit keys on Windows need it)
    ("ndes:intune.scepProfiles[0].renewalThresholdPercent", 25),
    ("ndes:intune.scepProfiles[0].validity", "6 months"),
    ("ndes:intune.platforms", ["ios", "windows"]),
]


def _set(doc: dict, dotted: str, value: Any) -> None:
    set_dotted(doc["config"], dotted, value)


def steps(proc) -> dict[str, str]:
    """URN -> operation of each step that changes something. `preview --json` prints one digest with "steps";
    `up --skip-preview --json` prints the engine's events, one JSON document per line (resOutputsEvent: done)."""
    out: dict[str, str] = {}
    text, dec, i = proc.stdout, json.JSONDecoder(), 0
    while True:
        while i < len(text) and text[i].isspace():
            i += 1
        if i >= len(text):
            return out
        doc, i = dec.raw_decode(text, i)
        found = list(doc.get("steps") or [])
        if "resOutputsEvent" in doc:
            found.append(doc["resOutputsEvent"].get("metadata") or {})
        for s in found:
            if s.get("op") not in (None, "same", "read", "refresh"):
                out[s["urn"]] = s["op"]


def sample() -> list[tuple[str, Any]]:
    """NDES_CATALOGUE=all runs every entry; else a few, chosen by NDES_CATALOGUE_SEED (logged, reproducible)."""
    if os.environ.get("NDES_CATALOGUE") == "all":
        return list(CATALOGUE)
    seed = int(os.environ.get("NDES_CATALOGUE_SEED") or random.randrange(1 << 16))
    print(f"\npreview/up catalogue: seed {seed} (NDES_CATALOGUE_SEED={seed} repeats it, NDES_CATALOGUE=all runs all)")
    return [CATALOGUE[0], *random.Random(seed).sample(CATALOGUE[1:], int(os.environ.get("NDES_CATALOGUE_N", "2")))]


@pytest.mark.parametrize("key,value", sample())
def test_preview_announces_what_up_does(deployed, tmp_path: Path, key: str, value: Any):
    doc = lab_stack_config()
    _set(doc, key, value)
    bent = bent_project(tmp_path, doc=doc)
    preview = bent.preview("--json")
    up = bent.run("up", "--yes", "--skip-preview", "--json", "--stack", "lab", "--non-interactive")
    announced, done = steps(preview), steps(up)
    assert announced, f"{key}={value!r}: the preview announced no change"
    assert announced == done, {"key": key, "preview": announced, "up": done}
    bent.preview("--expect-no-changes")
