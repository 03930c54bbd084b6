"""A script's error never carries a secret parameter back (security review m-7): not only the WinRM password but
every parameter whose name says it is secret (NdesRole's serviceAccountPassword, a PFX password, ...)."""
from __future__ import annotations

import json

import pytest

import ndes.windows as win
from ndes.windows._host import scrub_params

EP = win.Endpoint(host="ndes1.contoso.com", url="https://ndes1.contoso.com:5986/wsman", username="CONTOSO\\pulumi",
                  password="WinRM-Pa55!")
SVC = "Svc-Acc0unt-Pa55!"


@pytest.mark.parametrize("stdout,stderr,code", [
    (json.dumps({"error": {"message": f"Install-AdcsNetworkDeviceEnrollmentService: password {SVC} rejected "
                                      "for WinRM-Pa55!", "category": "InvalidArgument"}}).encode(), b"", 1),
    (b"", f"ConvertTo-SecureString -String {SVC} failed".encode(), 1),
])
def test_script_errors_scrub_every_secret_parameter(monkeypatch, stdout, stderr, code):
    host = win.WindowsHost(EP)
    monkeypatch.setattr(host, "_run_once", lambda line, doing, deadline, terminate=True: (stdout, stderr, code))
    params = {"mode": "set", "serviceAccount": "CONTOSO\\svc-ndes", "serviceAccountPassword": SVC,
              "nested": {"pfxPassword": "Pfx-Pa55"}}
    with pytest.raises(win.ScriptFailed) as info:
        host.run_script("NdesRole", params)
    text = str(info.value)
    assert SVC not in text and "WinRM-Pa55!" not in text and "***" in text
    assert info.value.script == "NdesRole" and info.value.category in ("InvalidArgument", "NotSpecified")


def test_scrub_params_finds_secret_names_at_any_depth_and_leaves_the_rest():
    params = {"serviceAccountPassword": "a-secret", "items": [{"clientSecret": "b-secret"}],
              "account": "svc-ndes", "empty": {"password": ""}}
    assert scrub_params("a-secret b-secret svc-ndes", params) == "*** *** svc-ndes"


def test_no_script_binds_a_secret_parameter_to_a_cmdlet_parameter():
    """PowerShell module logging (event 4103) records every cmdlet's parameter bindings: a secret given as
    `-String $Params.serviceAccountPassword` would land in the host's event log (docs/secrets.md)."""
    import re
    from pathlib import Path

    import ndes.windows
    bound = re.compile(r"-\w+\s+(\(\s*)?(\[string\])?\$Params\.\w*(password|secret|pfx)", re.IGNORECASE)
    scripts = sorted((Path(ndes.windows.__file__).parent / "scripts").glob("*.ps1"))
    assert scripts
    found = [f"{p.name}:{n}" for p in scripts for n, line in enumerate(p.read_text().splitlines(), 1)
             if bound.search(line)]
    assert found == []


def test_a_credentials_user_name_stays_readable_its_password_does_not():
    from ndes.windows._host import scrub_params
    params = {"installCredential": {"username": "LAB\\ndes-install", "password": "Inst4ll-Pa55!"}}
    text = scrub_params("LAB\\ndes-install is not a member of Domain Admins (Inst4ll-Pa55!)", params)
    assert "LAB\\ndes-install" in text and "Inst4ll-Pa55!" not in text
