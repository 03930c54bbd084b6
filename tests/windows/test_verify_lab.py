"""`ndes verify` in process with the real clients (ldap3 to Samba, pywinrm to the lab WinRM simulator, httpx to
the Graph simulator and the SCEP endpoint through the App Proxy front) against the hand-built NDES: the planted
mistakes fail; repairing one by hand the way the fix says turns that check to pass on the next run (verify reads
live state, nothing is cached between runs); verify itself changes nothing on the hosts."""
from __future__ import annotations

import pytest

from lab import handbuilt
from lab.winrm_sim import control
from ndes.verify import Context, run
from ndes.verify.context import default_windows
from tests.e2e.pulumi_cli import REPO_ROOT
from tests.e2e.test_adoption_e2e import ensure_lab_servers

pytestmark = pytest.mark.slow


@pytest.fixture
def handbuilt_ndes(samba_dc):
    ensure_lab_servers()
    handbuilt.clean(echo=lambda _m: None)
    handbuilt.build(echo=lambda _m: None)
    try:
        yield handbuilt.deployment_config()
    finally:
        handbuilt.clean(echo=lambda _m: None)


def failing(results) -> set[str]:
    return {r.check for r in results if r.status == "fail"}


def test_verify_reads_live_state_and_changes_nothing(handbuilt_ndes):
    cfg = handbuilt_ndes
    host = cfg.ndes_hosts[0].fqdn
    before = control.LAB.read_state(host)
    results = run(Context(cfg, base=REPO_ROOT))
    assert failing(results) == {"MSCEP template mapping", "https binding host name", "SSL certificate names"}
    after = control.LAB.read_state(host)
    for key in ("registry", "iis", "certStores", "localGroups", "features", "services"):
        assert key in before
        assert after.get(key) == before.get(key), f"verify changed {key} on {host}"

    # the admin applies the MSCEP fix verify printed
    fix = next(r.fix for r in results if r.check == "MSCEP template mapping")
    assert "GeneralPurposeTemplate = HB-NDES-Intune" in fix
    default_windows(cfg, host, cfg.ndes_hosts[0].winrm, REPO_ROOT).run_script("MscepTemplateMapping", {
        "mode": "set", "ensure": "present", "owner": "",
        "templates": {"GeneralPurposeTemplate": cfg.templates.client.name}})
    again = run(Context(cfg, base=REPO_ROOT))
    assert failing(again) == {"https binding host name", "SSL certificate names"}
