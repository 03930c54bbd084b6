"""Credentials from stack config (issue 22 item 5): resources name their connection; the provider resolves it in
every verb from the stack config configure() received, else from the encrypted copy in state; a state from before
connections (inline endpoint) is reached with today's config too. No server: a probe provider records which
password each verb used."""
from __future__ import annotations

import json
from typing import Any, ClassVar

from pulumi.dynamic import Config, ConfigureRequest

from ndes.model import load_config
from ndes.providers import connections as conns
from ndes.providers._windows import WindowsInputs
from ndes.providers.base import Existing, NdesProvider

from .sample_config import sample

HOST = "ndes01.contoso.com"
OWNER = "ndes/prod/ndes-host-ndes01-features"


class ProbeInputs(WindowsInputs):
    features: list[str] = []


class Probe(NdesProvider):
    kind: ClassVar[str] = "Probe"
    Inputs = ProbeInputs
    seen: ClassVar[list[tuple[str, str]]] = []

    def find(self, inp: Any) -> Existing | None:
        return None

    def apply(self, inp: Any, existing: Any) -> tuple[str, dict[str, Any]]:
        self.seen.append(("apply", inp.endpoint.password))
        return f"{inp.endpoint.host}/features", {}

    def get(self, id_: str, inp: Any) -> dict[str, Any] | None:
        self.seen.append(("get", inp.endpoint.password))
        return {"features": inp.features}

    def remove(self, id_: str, inp: Any) -> None:
        self.seen.append(("remove", inp.endpoint.password))


def stack(**changes: Any) -> dict[str, str]:
    """A stack config as the engine hands it to configure(): ndes:<key> -> JSON text."""
    return {f"ndes:{k}": json.dumps(v) for k, v in sample(**changes).items()}


def probe(config: dict[str, str] | None) -> Probe:
    p = Probe()
    p.configure(ConfigureRequest(Config(config or {}, "ndes")))
    Probe.seen.clear()
    return p


def declared(**changes: Any) -> dict[str, Any]:
    """What the component passes: the admin's inputs and the connection reference."""
    cfg = load_config(sample(**changes))
    return {"owner": OWNER, "configKey": "ndes:ndesHosts[0]", "features": ["Web-Server"],
            "connection": conns.reference(cfg, f"winrm:{HOST}")}


def deployed(p: Probe) -> dict[str, Any]:
    checked = p.check({}, declared())
    assert not checked.failures
    return p.create(checked.inputs).outs


def test_inputs_and_state_carry_no_connection_and_keep_it_encrypted():
    p = probe(stack())
    checked = p.check({}, declared())
    assert "endpoint" not in checked.inputs and checked.inputs["connection"]["ref"] == f"winrm:{HOST}"
    outs = p.create(checked.inputs).outs
    assert Probe.seen == [("apply", "WinRM-Pa55!")]
    assert "endpoint" not in outs
    copy = outs[conns.STATE_COPY]
    assert copy[conns.SECRET_SIG_KEY] == conns.SECRET_SIG  # the engine stores it encrypted
    assert copy["value"]["endpoint"]["password"] == "WinRM-Pa55!"
    assert "WinRM-Pa55!" not in json.dumps(checked.inputs)


def test_a_rotated_password_in_stack_config_is_used_by_read_and_delete():
    state = deployed(probe(stack()))
    p = probe(stack(**{"winrm.password": "Rotated-Pa55!"}))  # refresh/destroy --run-program after a rotation
    result = p.read("id", state)
    p.delete("id", state)
    assert Probe.seen == [("get", "Rotated-Pa55!"), ("remove", "Rotated-Pa55!")]
    assert result.outs[conns.STATE_COPY]["value"]["endpoint"]["password"] == "Rotated-Pa55!"  # the copy catches up
    assert "endpoint" not in result.inputs and "connection" in result.inputs


def test_a_password_the_stack_config_reads_from_the_environment_reaches_the_provider(monkeypatch):
    """configure() gets `{fromEnv: NAME}` as the stack file holds it; the model's pipeline reads the provider
    process's environment (the engine starts providers with the CLI's)."""
    state = deployed(probe(stack()))
    monkeypatch.setenv("NDES_TEST_WINRM_PW", "From-Env-Pa55!")
    p = probe(stack(**{"winrm.password": {"fromEnv": "NDES_TEST_WINRM_PW"}}))
    p.read("id", state)
    assert Probe.seen == [("get", "From-Env-Pa55!")]


def test_without_config_the_copy_in_state_is_used():
    state = deployed(probe(stack()))
    p = probe(None)  # a plain refresh or destroy: configure() gets no config
    p.read("id", {**state, conns.STATE_COPY: conns.unsecret(state[conns.STATE_COPY])})  # as the engine hands it back
    p.delete("id", state)
    assert Probe.seen == [("get", "WinRM-Pa55!"), ("remove", "WinRM-Pa55!")]


def test_a_state_from_before_connections_is_reached_with_todays_config():
    old = {"owner": OWNER, "configKey": "ndes:ndesHosts[0]", "features": ["Web-Server"],
           "endpoint": {"host": HOST, "url": f"https://{HOST}:5986/wsman", "username": "CONTOSO\\pulumi",
                        "password": "Old-Pa55!", "auth": "ntlm"}}
    probe(None).delete("id", old)  # no config: its inline connection
    assert Probe.seen == [("remove", "Old-Pa55!")]
    p = probe(stack(**{"winrm.password": "Rotated-Pa55!"}))
    p.delete("id", old)
    assert Probe.seen == [("remove", "Rotated-Pa55!")]
    # and its first diff against today's declaration is quiet: the reference is recorded with the next update
    assert not p.diff("id", old, p.check({}, declared()).inputs).changes


def test_the_fingerprint_follows_the_settings_but_not_the_secrets():
    base = declared()["connection"]["fingerprint"]
    assert declared(**{"winrm.password": "Rotated-Pa55!"})["connection"]["fingerprint"] == base
    moved = declared(**{"winrm.url": "https://10.0.0.9:5986/wsman"})["connection"]["fingerprint"]
    assert moved != base and len(base) == 16


def test_a_connection_change_alone_updates_state_without_touching_the_server():
    p = probe(stack(**{"winrm.url": "https://10.0.0.9:5986/wsman"}))
    state = deployed(probe(stack()))
    news = p.check(state, declared(**{"winrm.url": "https://10.0.0.9:5986/wsman"})).inputs
    Probe.seen.clear()
    diff = p.diff("id", state, news)
    assert diff.changes and not diff.replaces
    outs = p.update("id", state, news).outs
    assert Probe.seen == []  # nothing to converge: the resource's own inputs did not change
    assert outs["connection"] == news["connection"]
    assert outs[conns.STATE_COPY]["value"]["endpoint"]["url"] == "https://10.0.0.9:5986/wsman"
    # a change of the admin's inputs still converges, with the configured connection
    more = {**news, "features": ["Web-Server", "Web-Mgmt-Console"]}
    p.update("id", outs, more)
    assert Probe.seen == [("apply", "WinRM-Pa55!")]


def test_a_host_the_config_no_longer_names_falls_back_to_the_state_copy(capsys):
    state = deployed(probe(stack()))
    other = sample()
    other["ndesHosts"] = [{"fqdn": "ndes02.contoso.com", "externalUrl": "https://ndes02-contoso.msappproxy.net/"}]
    p = probe({f"ndes:{k}": json.dumps(v) for k, v in other.items()})
    p.delete("id", state)
    assert Probe.seen == [("remove", "WinRM-Pa55!")]
    assert "no host ndes01.contoso.com" in capsys.readouterr().err


def test_an_app_proxy_state_from_before_connections_signs_in_as_the_app_proxy_identity():
    from ndes.providers.app_proxy_application import AppProxyApplicationProvider
    from ndes.providers.scep_profile import ScepProfileProvider
    old = {"owner": "ndes/prod/app-proxy-ndes01", "tenantId": "t", "clientId": None, "credential": "deviceCode"}
    for cls, credential in ((AppProxyApplicationProvider, "azureCli"), (ScepProfileProvider, "clientSecret")):
        p = cls()
        p.configure(ConfigureRequest(Config(stack(), "ndes")))
        conn, source = p.connection(old)
        assert source == "config" and conn["credential"] == credential, cls


def test_inside_the_dynamic_host_a_change_is_unknown_so_the_engine_prints_only_what_changed(monkeypatch):
    from ndes.providers import base
    assert not base.under_dynamic_host()  # tests and programs see plain booleans
    p = probe(stack())
    state = deployed(p)
    news = p.check(state, {**declared(), "features": ["Web-Server", "Web-Mgmt-Console"]}).inputs
    monkeypatch.setattr(base, "under_dynamic_host", lambda: True)
    assert p.diff("id", state, news).changes is None  # the engine diffs the inputs itself (only changed ones print)
    assert p.diff("id", state, p.check(state, declared()).inputs).changes is False  # no change stays no change
    monkeypatch.setattr(Probe, "replace_on", frozenset({"features"}))
    assert p.diff("id", state, news).replaces == ["features"]  # what replaces stays this provider's decision


def test_the_policy_pack_sees_what_it_checks_in_the_connection(monkeypatch):
    """The connection fields left the inputs: the policies read the host, the WinRM address and TLS verification
    from `connection` (a rename here would switch a policy off silently)."""
    from policies.ndes_policies import host_separation, tls_verification

    from .test_policies import rargs, res, run, sargs
    cfg = load_config(sample(**{"winrm.insecureSkipTlsVerify": True, "ca.winrm": {"url": "https://10.0.0.5:5986/wsman"},
                                "ndesHosts": [{"fqdn": "ndes01.contoso.com", "externalUrl":
                                               "https://ndes01-contoso.msappproxy.net/",
                                               "winrm": {"url": "https://10.0.0.5:5986/wsman"}}]}), stack="lab")
    ndes = conns.reference(cfg, "winrm:ndes01.contoso.com")
    assert ndes["host"] == "ndes01.contoso.com" and ndes["address"] == "10.0.0.5:5986"
    monkeypatch.setenv("PULUMI_STACK", "prod")
    [(msg, _)] = run(tls_verification.validate, rargs("WindowsFeatures", {"connection": ndes}))
    assert "connection.insecureSkipTlsVerify is true on stack 'prod'" in msg and "ndes:winrm.insecure" in msg
    ca = res("CaAccess", "ca", {"connection": conns.reference(cfg, "winrm:ca01.contoso.com")})
    role = res("NdesRole", "role", {"connection": ndes, "caConfig": "ca01.contoso.com\\Contoso Issuing CA"})
    [(msg, _)] = run(host_separation.validate, sargs(ca, role))
    assert "same WinRM address 10.0.0.5:5986" in msg
    graph = conns.reference(load_config(sample(**{"graph.insecureSkipTlsVerify": True}), stack="lab"), "graph")
    [(msg, _)] = run(tls_verification.validate, rargs("ScepProfile", {"connection": graph}))
    assert "ndes:graph.insecureSkipTlsVerify" in msg
