"""What an operator reads after `pulumi up` on the lab stack, through `pulumi stack output` (issue 23, item 4):
CA thumbprints and expiry, per NDES host the RA and SSL expiry and the connector's state and instruction, the App
Proxy ids and external URLs, the Intune profile ids per platform, and the resources' notes. The values are the
ones the resources hold in state, not an echo of the configuration.

It deploys the repository's `lab` stack (the state ./lab/up uses) and leaves it deployed, as ./lab/up does."""
from __future__ import annotations

import re

import pytest

from .lab_chain import ensure_lab_servers, lab_cli
from .lab_stack import lab_stack_config

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

HOST = "ndes1.lab.contoso.test"


def _by_kind(cli, kind: str) -> list[dict]:
    return [r for r in cli.resources() if r["type"] == f"pulumi-python:dynamic/ndes:{kind}"]


def test_stack_output_shows_what_the_deployment_made():
    ensure_lab_servers()
    cli = lab_cli()
    cli.up()
    out = cli.outputs()

    (role,) = _by_kind(cli, "NdesRole")
    (cert,) = _by_kind(cli, "MachineCertificate")
    (connector,) = _by_kind(cli, "IntuneConnector")
    (ca,) = _by_kind(cli, "CaCertificate")
    host = out["ndesHostState"][HOST]
    assert host["scepUrl"] == "https://ndes1-lab.msappproxy.net/certsrv/mscep/mscep.dll"
    assert host["raNotAfter"] == role["outputs"]["raNotAfter"] and host["raDaysLeft"] > 300
    assert host["sslThumbprint"] == cert["outputs"]["thumbprint"] and host["sslNotAfter"] == cert["outputs"]["notAfter"]
    assert host["connectorRegistered"] is connector["outputs"]["registered"]
    assert host["connectorInstruction"] == connector["outputs"]["instruction"]
    assert re.fullmatch(r"[0-9A-F]{40}", out["caCertificates"]["rootThumbprint"])
    assert out["caCertificates"]["rootThumbprint"] == ca["outputs"]["rootThumbprint"]
    assert out["caCertificates"]["issuingNotAfter"] == ca["outputs"]["issuingNotAfter"]

    app = out["appProxyApplications"][HOST]
    (app_res,) = _by_kind(cli, "AppProxyApplication")
    assert app["externalUrl"] == "https://ndes1-lab.msappproxy.net/"
    assert app["applicationId"] == app_res["outputs"]["applicationId"]
    assert app["servicePrincipalId"] == app_res["outputs"]["servicePrincipalId"]

    platforms = lab_stack_config()["config"]["ndes:intune"]["platforms"]
    ids = out["intuneProfileIds"]
    # one entry per SCEP profile and platform (the lab's named profiles: "<profile>-<platform>"), by resource id
    assert sorted(ids["scepProfiles"].values()) == sorted(r["id"] for r in _by_kind(cli, "ScepProfile"))
    assert {k.rsplit("-", 1)[-1] for k in ids["scepProfiles"]} == set(platforms)
    assert set(ids["trustedRootProfiles"]) == set(platforms)
    assert isinstance(out["notes"], list)

    text = cli.run("stack", "output", "--stack", "lab").stdout  # what an operator sees, as text
    for key in ("caCertificates", "ndesHostState", "appProxyApplications", "intuneProfileIds", "notes", "scepUrls"):
        assert key in text, text
