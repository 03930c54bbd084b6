"""The real CLI previews the lab stack from the repository's program; a bad value fails preview cleanly."""
import pytest

from .lab_stack import lab_project

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_lab_stack_preview_shows_the_deployment(tmp_path):
    cli = lab_project(tmp_path)
    proc = cli.preview("--diff")
    out = proc.stdout
    assert "ndes:index:NdesScepDeployment" in out
    assert "scepUrls" in out and "https://ndes1-lab.msappproxy.net/certsrv/mscep/mscep.dll" in out
    assert "GeneralPurposeTemplate" in out


@pytest.mark.parametrize("overrides,key,hint", [
    ({"intune.scepProfiles[0].keySize": 1024}, "ndes:intune.scepProfiles[0].keySize", "2048"),
    # the VPN profile's key usage (both) finds no template once the client template is encryption-only
    ({"templates.client.keyUsage": ["keyEncipherment"]}, "ndes:intune.scepProfiles[0].keyUsage",
     "GeneralPurposeTemplate"),
    ({"ca.host": "ndes1.lab.contoso.test"}, "ndes:ndesHosts[0].fqdn", "separate servers"),
])
def test_bad_value_fails_preview_with_the_key(tmp_path, overrides, key, hint):
    cli = lab_project(tmp_path, overrides)
    proc = cli.preview(check=False)
    text = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert key in text and hint in text
    assert "Traceback" not in text, text
    assert "ndes:index:NdesScepDeployment" not in proc.stdout  # failed before declaring anything
