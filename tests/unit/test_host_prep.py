"""`ndes host-prep`: the values it decides for HostPrep.ps1 (validated, as data), the script copied byte for byte,
and the simulator's model of the script's effects (lab/winrm_sim/listener.py)."""
from __future__ import annotations

import base64
import json

import pytest

from lab.winrm_sim import listener
from ndes import cli
from ndes.host_prep import RULE_NAME, SCRIPT, HostPrepError, plan


def decoded(encoded: str) -> dict:
    return json.loads(base64.b64decode(encoded))


def test_the_parameters_are_data_decided_in_python():
    p = plan("NDES1.Contoso.com.", management_range=["10.0.10.0/24", "192.168.5.0/24"])
    d = decoded(p.encoded())
    assert d["hostName"] == "ndes1.contoso.com" and d["dnsNames"] == ["ndes1.contoso.com"]
    assert d["subjectName"] == "CN=ndes1.contoso.com" and d["template"] == "Machine" and d["thumbprint"] == ""
    assert d["port"] == 5986 and d["managementRange"] == ["10.0.10.0/24", "192.168.5.0/24"]
    assert d["ruleName"] == RULE_NAME and d["profile"] == "Domain"
    assert p.command().endswith("-Params " + p.encoded())


def test_defaults_and_thumbprint_normalised():
    p = plan("ca1.contoso.com", thumbprint="ab cd" + "0" * 36)
    assert p.thumbprint == "ABCD" + "0" * 36 and p.management_range == ["LocalSubnet"]


@pytest.mark.parametrize("kw,expect", [
    ({"host": "ndes1"}, "--host"),
    ({"host": "ndes1.contoso.com; Remove-Item C:\\"}, "--host"),
    ({"host": "ndes1.contoso.com", "thumbprint": "xyz"}, "--thumbprint"),
    ({"host": "ndes1.contoso.com", "management_range": ["10.0.10.1/24"]}, "--management-range"),
    ({"host": "ndes1.contoso.com", "management_range": ["0.0.0.0/0"]}, "every address"),
    ({"host": "ndes1.contoso.com", "template": "Machine'; iex"}, "--template"),
])
def test_bad_values_are_refused_with_the_option(kw, expect):
    with pytest.raises(HostPrepError, match=expect.replace("-", r"\-")):
        plan(**kw)


def test_cli_writes_the_script_verbatim(tmp_path, capsys):
    assert cli.main(["host-prep", "--host", "ndes1.contoso.com", "--out", str(tmp_path)]) == 0
    assert (tmp_path / "HostPrep.ps1").read_bytes() == SCRIPT.read_bytes()
    out = capsys.readouterr().out
    assert "Test-WSMan -ComputerName ndes1.contoso.com -UseSSL" in out and "-Params " in out
    assert cli.main(["host-prep", "--host", "x", "--out", str(tmp_path)]) == 2


def test_the_simulated_console_run_creates_listener_and_rule_once():
    state: dict = {}
    assert listener.has_https_listener(state)  # the lab's hosts, as they always were
    listener.unprepare(state)
    assert not listener.has_https_listener(state)
    enc = plan("ndes1.lab.contoso.test", management_range=["127.0.0.0/8"]).encoded()
    out = listener.host_prep(state, enc, "ndes1.lab.contoso.test", "A" * 40)
    assert out["changed"] and listener.has_https_listener(state)
    assert state["firewallRules"][RULE_NAME]["remoteAddress"] == ["127.0.0.0/8"]
    assert listener.host_prep(state, enc, "ndes1.lab.contoso.test", "A" * 40)["changed"] is False
    with pytest.raises(ValueError, match="run on"):
        listener.host_prep(state, enc, "ndes2.lab.contoso.test", "A" * 40)
    other = plan("ndes1.lab.contoso.test", thumbprint="B" * 40).encoded()
    with pytest.raises(ValueError, match="no certificate"):
        listener.host_prep(state, other, "ndes1.lab.contoso.test", "A" * 40)
