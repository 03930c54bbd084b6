"""The `ndes verify` command: config from a file or a stack (pulumi config --json), {fromEnv} resolved,
invalid config refused with exit 2, the table or one JSON document on stdout, exit 1 on any fail."""
from __future__ import annotations

import json
import os
import stat

import pytest
import yaml

import ndes.verify
from ndes import cli

from .sample_config import sample
from .verify_fakes import context, healthy_states


@pytest.fixture
def fake_context(monkeypatch):
    """Replace the real clients with the healthy fakes; `states` lets a test bend a script's answer."""
    seen = {}

    def make(cfg, base=None, states=None):
        seen["cfg"], seen["base"] = cfg, base
        st = healthy_states(cfg)
        for k, v in (seen.get("bend") or {}).items():
            st[k].update(v)
        return context(cfg, states=st)[0]
    monkeypatch.setattr(ndes.verify, "Context", make)
    return seen


def write_config(tmp_path, raw, wrap=True):
    doc = {"config": {f"ndes:{k}": v for k, v in raw.items()}} if wrap else raw
    p = tmp_path / "ndes.yaml"
    p.write_text(yaml.safe_dump(doc))
    return p


def test_config_file_all_pass_prints_the_table(tmp_path, fake_context, capsys):
    p = write_config(tmp_path, sample())
    assert cli.main(["verify", "--config", str(p)]) == 0
    out, err = capsys.readouterr()
    assert "0 failed" in out and "PASS" in out
    assert "[ 1/" in err  # progress on stderr
    assert fake_context["base"] == tmp_path


def test_fail_exits_1_and_json_is_one_document(tmp_path, fake_context, capsys):
    fake_context["bend"] = {"IisHttpsBinding": {"bindings": [{"bindingInformation": "*:443:ndes01.contoso.com",
                                                              "thumbprint": "C" * 40}]}}
    p = write_config(tmp_path, sample(), wrap=False)
    assert cli.main(["verify", "--config", str(p), "--json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["status"] == "fail"
    [r] = [r for r in doc["results"] if r["status"] == "fail"]
    assert r["check"] == "https binding host name" and r["fix"]


def test_from_env_is_resolved_and_a_missing_variable_refused(tmp_path, fake_context, monkeypatch, capsys):
    raw = sample(**{"serviceAccount.password": {"fromEnv": "NDES_TEST_SVC_PW"}})
    p = write_config(tmp_path, raw)
    monkeypatch.delenv("NDES_TEST_SVC_PW", raising=False)
    assert cli.main(["verify", "--config", str(p)]) == 2
    assert "NDES_TEST_SVC_PW" in capsys.readouterr().err
    monkeypatch.setenv("NDES_TEST_SVC_PW", "Env-Pa55!word")
    assert cli.main(["verify", "--config", str(p)]) == 0
    assert fake_context["cfg"].service_account.password.get_secret_value() == "Env-Pa55!word"


def test_invalid_config_names_the_key(tmp_path, fake_context, capsys):
    p = write_config(tmp_path, sample(**{"intune.scep.keySize": 1024}))
    assert cli.main(["verify", "--config", str(p)]) == 2
    assert "keySize" in capsys.readouterr().err


def test_stack_reads_pulumi_config_json(tmp_path, fake_context, monkeypatch, capsys):
    """A stand-in `pulumi` on PATH answers `config --show-secrets --json` as the real CLI does (objectValue for
    structured values, value for plain ones)."""
    doc = {f"ndes:{k}": {"value": json.dumps(v), "objectValue": v, "secret": False} for k, v in sample().items()}
    doc["ndes:lab"] = {"value": "false", "secret": False}
    doc["aws:region"] = {"value": "x", "secret": False}
    (tmp_path / "answer.json").write_text(json.dumps(doc))
    bindir = tmp_path / "bin"
    bindir.mkdir()
    fake = bindir / "pulumi"
    fake.write_text(f"#!/bin/sh\necho \"$@\" > {tmp_path}/args\ncat {tmp_path}/answer.json\n")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    assert cli.main(["verify", "--stack", "prod", "--project-dir", str(tmp_path)]) == 0
    assert (tmp_path / "args").read_text().split() == ["config", "--show-secrets", "--json", "--stack", "prod"]
    assert fake_context["cfg"].ca.common_name == "Contoso Issuing CA"


def test_stack_config_failure_exits_2(tmp_path, monkeypatch, capsys):
    bindir = tmp_path / "bin"
    bindir.mkdir()
    fake = bindir / "pulumi"
    fake.write_text("#!/bin/sh\necho 'error: no stack named nope' >&2\nexit 255\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    assert cli.main(["verify", "--stack", "nope", "--project-dir", str(tmp_path)]) == 2
    assert "no stack named nope" in capsys.readouterr().err


def test_stack_without_pulumi_on_path_says_to_install_the_cli(tmp_path, monkeypatch, capsys):
    """verify never installs or builds an engine: with no `pulumi` on PATH it says what to install."""
    monkeypatch.setenv("PATH", str(tmp_path))
    code = cli.main(["verify", "--stack", "prod", "--project-dir", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2
    assert "install the Pulumi CLI" in err and "--config" in err


def test_bundle_holds_results_config_and_facts_without_a_secret(tmp_path, fake_context, capsys):
    import zipfile
    raw = sample()
    p = write_config(tmp_path, raw)
    bundle = tmp_path / "support.zip"
    assert cli.main(["verify", "--config", str(p), "--bundle", str(bundle)]) == 0
    assert "support bundle" in capsys.readouterr().err
    with zipfile.ZipFile(bundle) as z:
        names = set(z.namelist())
        text = "\n".join(z.read(n).decode() for n in names)
    assert {"README.txt", "results.json", "config.json"} <= names
    assert any(n.startswith("facts/") and n.endswith("/HostDiagnostics.json") for n in names), names
    secrets = [fake_context["cfg"].service_account.password.get_secret_value(),
               fake_context["cfg"].domain.bind_password.get_secret_value()]
    assert all(s and s not in text for s in secrets)
    assert "SCEP app pool password" in text  # the check is there, the password is not
    host = fake_context["cfg"].ndes_hosts[0].fqdn
    assert {f"logs/{host}/events.json", f"logs/{host}/mscep-iis.log"} <= names, names
    assert not any(n.endswith("/HostLogs.json") for n in names)  # the raw state is never written
    from .verify_fakes import SCEP_MESSAGE
    assert SCEP_MESSAGE[:40] not in text and "7F3A9C0D11E2" not in text and "0x80094800" in text


def test_close_closes_every_graph_client_of_the_run():
    """graph_for keeps one client per identity (the Intune app, App Proxy's delegated admin): close() closes them."""
    from ndes.verify import Context

    from .verify_fakes import config

    class Client:
        closed = 0

        def close(self):
            Client.closed += 1

    ctx = Context(config())
    ctx.cache[("graph", "tenant", "app", "clientSecret")] = Client()
    ctx.cache[("graph", "tenant", "admin", "deviceCode")] = Client()
    ctx.close()
    assert Client.closed == 2
