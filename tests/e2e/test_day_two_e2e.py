"""Day two through the real CLI on the lab stack: the lab clock moved to 30 days before the NDES RA certificates
expire; `pulumi preview` says the renewal in words, `pulumi up` renews both RA certificates without reinstalling
NDES, `scepclient` enrolls through the whole chain with the new ones, and a second `pulumi up` changes nothing.

It drives the repository's own `lab` stack (deploying it first when needed) and leaves it deployed, the clock
back at real time.
"""
from __future__ import annotations

import pytest

from lab.topology import NDES_HOSTS
from lab.winrm_sim import certstore
from lab.winrm_sim.control import Instance

from .lab_chain import ensure_lab_servers, lab_cli, python, simulator_contents

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
NDES1 = NDES_HOSTS[0]["name"]
RA = ("EnrollmentAgentOffline", "CEPEncryption")


def _ndes1() -> dict:
    return simulator_contents((NDES1,))["hosts"][NDES1]


def _ra(host: dict) -> dict[str, dict]:
    return {tp: e for tp, e in host["certStores"].get("LocalMachine\\My", {}).items() if certstore.template_of(e) in RA}


def _install_identity(host: dict) -> tuple:
    """What a reinstall of NDES would change: its owner mark (a new generation), the SCEP pool's identity, CAInfo."""
    owners = host["registry"].get("hklm:\\software\\pulumi\\ndes\\owners", {}).get("values", {})
    cainfo = host["registry"].get("hklm:\\software\\microsoft\\cryptography\\mscep\\cainfo", {}).get("values", {})
    return ({k: v for k, v in owners.items() if "ndesrole" in k.lower()},
            host["iis"]["appPools"]["SCEP"]["userName"], cainfo)


@pytest.fixture
def lab():
    ensure_lab_servers()
    sim = Instance()
    sim.set_clock(0)
    cli = lab_cli()
    cli.up()
    try:
        yield cli, sim
    finally:
        sim.set_clock(0)


def test_ra_renewal_30_days_before_expiry(lab):
    cli, sim = lab
    cli.preview("--expect-no-changes")
    host = _ndes1()
    before, identity = _ra(host), _install_identity(host)
    assert len(before) == 2
    days = min(certstore.days_left(certstore.load(e)) for e in before.values())
    sim.set_clock(days - 30)  # the hosts and the CA: 30 days before the first RA certificate expires

    preview = cli.preview("--diff")
    said = preview.stdout + preview.stderr
    assert "30 days left" in said and "requests new EnrollmentAgentOffline and CEPEncryption" in said, said
    updates = [line for line in said.splitlines() if "(update)" in line or "(replace)" in line]
    assert any("RaCertificateRenewal" in line for line in updates), said
    assert not any("NdesRole" in line for line in updates), updates  # NDES itself is left as installed

    up = cli.up()
    out = up.stdout
    assert "replaced" not in out and "deleted" not in out, out
    host = _ndes1()
    after = _ra(host)
    assert len(after) == 2 and not set(after) & set(before), "both renewed, the old ones deleted"
    assert _install_identity(host) == identity, "NDES was not reinstalled"
    assert min(certstore.days_left(certstore.load(e)) for e in after.values()) >= 728

    enroll = python("-m", "lab.enroll", "--register-connector", timeout=600)
    assert enroll.returncode == 0, enroll.stdout[-3000:] + enroll.stderr[-3000:]

    cli.preview("--expect-no-changes")
    second = cli.up("--expect-no-changes").stdout
    assert "updated" not in second and "created" not in second
    assert set(_ra(_ndes1())) == set(after)
