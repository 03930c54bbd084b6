"""Day two through the real CLI on the lab stack: the lab clock moved to 30 days before the NDES RA certificates
expire; `pulumi preview` says the renewal in words, `pulumi up` renews both RA certificates without reinstalling
NDES, `scepclient` enrolls through the whole chain with the new ones, and a second `pulumi up` changes nothing.

It drives the repository's own `lab` stack (deploying it first when needed) and leaves it deployed, the clock
back at real time.
"""
from __future__ import annotations

import re

import ssl
import threading
import urllib.error
import urllib.request
import uuid

import pytest

from cryptography import x509

from lab import pki

from lab.topology import NDES_HOSTS
from lab.winrm_sim import certstore, http_sys
from lab.winrm_sim.control import Instance

from .lab_chain import ensure_lab_servers, lab_cli, python, simulator_contents

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
NDES1 = NDES_HOSTS[0]["name"]
RA = ("EnrollmentAgentOffline", "CEPEncryption")


def replaced_or_deleted(out: str) -> list[str]:
    """The resource steps of an `up` that replaced or deleted something (the stack's `notes` output may quote a
    resource's own words, e.g. "deleted the old RA certificates")."""
    return [ln for ln in out.splitlines() if "dynamic/ndes:" in ln and re.search(r"\b(replaced|deleted)\b", ln)]


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
    if any(certstore.days_left(certstore.load(e)) > 731 for e in _ra(_ndes1()).values()):
        cli.destroy()  # RA certificates from a lab clock an interrupted run left ahead: NDES installed afresh
        cli.up()
    try:
        yield cli, sim
    finally:
        sim.set_clock(0)


def test_ra_renewal_30_days_before_expiry(lab):
    cli, sim = lab
    snapshot = sim.read_state(NDES1)
    try:
        _renewal(cli, sim)
    finally:  # the host as it was (its RA certificates dated by the real clock), the clock back
        sim.set_clock(0)
        with sim.edit_state(NDES1) as st:
            st.clear()
            st.update(snapshot)


def _renewal(cli, sim) -> None:
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
    assert not replaced_or_deleted(out), out
    host = _ndes1()
    after = _ra(host)
    assert len(after) == 2 and not set(after) & set(before), "both renewed, the old ones deleted"
    assert _install_identity(host) == identity, "NDES was not reinstalled"
    old_end = max(certstore.load(e).not_valid_after_utc for e in before.values())
    assert all(certstore.load(e).not_valid_after_utc > old_end for e in after.values())
    assert min(certstore.days_left(certstore.load(e)) for e in after.values()) > 60  # out of the renewal window

    enroll = python("-m", "lab.enroll", "--register-connector", timeout=600)
    assert enroll.returncode == 0, enroll.stdout[-3000:] + enroll.stderr[-3000:]

    cli.preview("--expect-no-changes")
    second = cli.up("--expect-no-changes").stdout
    assert "updated" not in second and "created" not in second
    assert set(_ra(_ndes1())) == set(after)


class _Prober(threading.Thread):
    """GetCACaps against NDES on its internal name, as fast as it answers, until stopped: every non-200 is kept."""

    def __init__(self, verify_dates: bool = True) -> None:
        super().__init__(daemon=True)
        self.stop, self.ok, self.failed = threading.Event(), 0, []
        self.ctx = ssl.create_default_context(cafile=str(pki.ca_bundle_path()))
        if not verify_dates:  # a certificate renewed by the lab clock is not valid yet by the real one: the
            self.ctx.check_hostname, self.ctx.verify_mode = False, ssl.CERT_NONE  # handshake itself is probed

    def run(self) -> None:
        url = f"https://{NDES1}/certsrv/mscep/mscep.dll?operation=GetCACaps&message=probe"
        while not self.stop.is_set():
            try:
                with urllib.request.urlopen(url, context=self.ctx, timeout=10) as resp:
                    self.ok += resp.status == 200
            except urllib.error.HTTPError as exc:
                self.failed.append(exc.code)
            except OSError as exc:
                self.failed.append(str(exc))
            self.stop.wait(0.2)


def test_password_rotation_without_a_failed_request(lab):
    """A new ndes:serviceAccount.password: AD is reset first, then the SCEP pool's password, then a recycle;
    NDES answers every request meanwhile, and a device enrolls afterwards."""
    cli, _sim = lab
    original = cli.env["NDES_LAB_SERVICE_PASSWORD"]
    identity = _install_identity(_ndes1())
    prober = _Prober()
    prober.start()
    try:
        cli.env["NDES_LAB_SERVICE_PASSWORD"] = f"Rot-{uuid.uuid4().hex[:10]}-Z7!"
        preview = cli.preview("--diff").stdout
        assert "ScepPoolIdentity" in preview and "ServiceAccount" in preview, preview
        out = cli.up().stdout
        assert not replaced_or_deleted(out), out
        pool = _ndes1()["iis"]["appPools"]["SCEP"]
        assert pool["state"] == "Started" and pool["password"] == cli.env["NDES_LAB_SERVICE_PASSWORD"]
        enroll = python("-m", "lab.enroll", "--register-connector", timeout=600)
        assert enroll.returncode == 0, enroll.stdout[-3000:] + enroll.stderr[-3000:]
        cli.preview("--expect-no-changes")
    finally:
        prober.stop.set()
        prober.join(15)
        cli.env["NDES_LAB_SERVICE_PASSWORD"] = original
        cli.up()  # back to the lab's own password (a rotation too)
    assert prober.failed == [] and prober.ok > 0, (prober.failed[:5], prober.ok)
    assert _install_identity(_ndes1())[1:] == identity[1:], "NDES was not reinstalled"
    assert _ndes1()["iis"]["appPools"]["SCEP"]["state"] == "Started"


def _ssl(host: dict) -> tuple[str, dict]:
    site = host["iis"]["sites"]["Default Web Site"]
    tp = next(b["certificateHash"].upper() for b in site["bindings"] if b.get("protocol") == "https")
    return tp, host["certStores"]["LocalMachine\\My"][tp]


def test_ssl_renewal_by_the_hosts_clock(lab):
    cli, sim = lab
    snapshot = sim.read_state(NDES1)
    try:
        cli.preview("--expect-no-changes")
        old_tp, old = _ssl(_ndes1())
        days = certstore.days_left(certstore.load(old))
        sim.set_clock(days - 10)  # 10 days before the SSL certificate expires (renewBeforeDays 30)
        preview = cli.preview("--diff").stdout
        assert "MachineCertificate" in preview and "renewBeforeDays" in preview, preview
        gaps_before = http_sys.absences(_ndes1())
        prober = _Prober(verify_dates=False)  # NDES asked throughout the swap: never a failed handshake
        prober.start()
        try:
            out = cli.up().stdout
        finally:
            prober.stop.set()
            prober.join(15)
        assert prober.failed == [] and prober.ok > 0, (prober.failed[:5], prober.ok)
        host = _ndes1()
        # the binding's certificate changed in place (netsh http update sslcert): 0.0.0.0:443 never without one
        assert http_sys.absences(host) == gaps_before, http_sys.absences(host)[len(gaps_before):]
        new_tp, new = _ssl(host)
        assert new_tp != old_tp and old_tp not in host["certStores"]["LocalMachine\\My"], "bound anew, old deleted"
        assert certstore.days_left(certstore.load(new)) > 30, out
        assert certstore.load(new).subject == certstore.load(old).subject
        # NDES serves the new certificate on 443. (scepclient and the App Proxy forwarder check TLS by the real
        # clock, before which the renewed certificate is not valid yet: docs/lab-fidelity.md, the lab clock.)
        served = ssl.get_server_certificate((NDES_HOSTS[0]["address"], 443))
        assert certstore._ca.thumbprint(x509.load_pem_x509_certificate(served.encode())) == new_tp
        cli.preview("--expect-no-changes")
    finally:
        sim.set_clock(0)
        with sim.edit_state(NDES1) as st:
            st.clear()
            st.update(snapshot)
        cli.refresh()  # the stack's record of the SSL certificate back to the restored one
        cli.up()
