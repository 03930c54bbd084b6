"""The netsh update contract: every value validated before it reaches the host, the ipport IIS registers for a
binding, and what netsh's output means."""
from __future__ import annotations

import pytest
from pydantic import ValidationError

from ndes.windows.contracts import http_ssl_cert_update as H

HASH = "0102030405060708090A0B0C0D0E0F1011121314"


@pytest.mark.parametrize("field,value", [
    ("ipport", "0.0.0.0:443 appid={x}"), ("ipport", "host.example:443"), ("ipport", "0.0.0.0:99999"),
    ("ipport", "0.0.0.0"), ("certhash", HASH.lower()), ("certhash", HASH[:-1]), ("certhash", HASH + " x"),
    ("appid", "4dc3e181-e14b-4a21-b022-59fc669b0914"), ("appid", "{4dc3e181}"), ("appid", "{x} certhash=00"),
])
def test_values_that_could_change_the_command_are_refused(field, value):
    args = {"ipport": "0.0.0.0:443", "certhash": HASH, field: value}
    with pytest.raises(ValidationError):
        H.HttpSslCertUpdateParams(**args)


def test_valid_values_and_the_wire_shape():
    p = H.HttpSslCertUpdateParams(ipport="[::]:443", certhash=HASH)
    assert p.wire() == {"mode": "update", "ipport": "[::]:443", "certhash": HASH, "appid": H.IIS_APP_ID,
                        "settings": []}
    assert H.HttpSslCertUpdateParams(mode="read", ipport="0.0.0.0:443").wire()["certhash"] == ""


@pytest.mark.parametrize("args", [
    {"settings": ["dsmapperusage=enable certhash=00"]}, {"settings": ["dsmapperusage=on"]},
    {"settings": ["nosuchflag=enable"]}, {"settings": ["sslctlstorename=a b"]},
    {"settings": ["revocationfreshnesstime=-1"]}, {"settings": ["usagecheck=disable", "usagecheck=enable"]},
    {"mode": "read", "certhash": HASH}, {"mode": "read", "certhash": "", "settings": ["usagecheck=disable"]},
    {"certhash": ""},
])
def test_settings_and_modes_that_could_change_the_command_are_refused(args):
    with pytest.raises(ValidationError):
        H.HttpSslCertUpdateParams(**{"ipport": "0.0.0.0:443", "certhash": HASH, **args})


@pytest.mark.parametrize("info,ipport", [("*:443:", "0.0.0.0:443"), ("10.0.0.5:8443:", "10.0.0.5:8443"),
                                         ("[::1]:443:", "[::1]:443"), ("*:443:ndes.example", None), ("x", None)])
def test_the_ipport_iis_registers(info, ipport):
    assert H.ipport_of(info) == ipport


def test_outcomes():
    st = H.HttpSslCertUpdateState
    assert H.outcome(st(exit_code=0, output=["", "SSL Certificate successfully updated", ""])) == "updated"
    assert H.outcome(st(exit_code=1, output=["The following command was not found: http update sslcert "
                                             "ipport=0.0.0.0:443."])) == "unsupported"
    assert H.outcome(st(exit_code=1, output=["SSL Certificate update failed, Error: 2"])) == "failed"


# `netsh http show sslcert ipport=0.0.0.0:443` after a bare `netsh http add sslcert ipport=.. certhash=.. appid=..`
# (no settings given), as microsoft/azure-pipelines-extensions#140 quotes it (2016-12-02): netsh's defaults.
AFTER_BARE_ADD = """
    SSL Certificate bindings:
    -------------------------
    IP:port                      : 0.0.0.0:443
    Certificate Hash             : 5226dc6c54559761cd471b86eb51c096252c90f2
    Application ID               : {4dc3e181-e14b-4a21-b022-59fc669b0914}
    Certificate Store Name       : (null)
    Verify Client Certificate Revocation : Enabled
    Verify Revocation Using Cached Client Certificate Only : Disabled
    Usage Check                  : Enabled
    Revocation Freshness Time    : 0
    URL Retrieval Timeout        : 0
    Ctl Identifier               : (null)
    Ctl Store Name               : (null)
    DS Mapper Usage              : Disabled
    Negotiate Client Certificate : Disabled
""".splitlines()

# The current format with the newer DefaultFlags lines and the Extended Properties, as Microsoft's
# aspnet/Benchmarks quotes it (src/BenchmarksApps/TLS/HttpSys/NetSh/NetShWrapper.cs, "Example of output").
CURRENT = """
    IP:port                      : 0.0.0.0:443
    Certificate Hash             : 5226dc6c54559761cd471b86eb51c096252c90f2
    Application ID               : {4dc3e181-e14b-4a21-b022-59fc669b0914}
    Certificate Store Name       : MY
    Verify Client Certificate Revocation : Enabled
    Verify Revocation Using Cached Client Certificate Only : Disabled
    Usage Check                  : Enabled
    Revocation Freshness Time    : 0
    URL Retrieval Timeout        : 0
    Ctl Identifier               : (null)
    Ctl Store Name               : (null)
    DS Mapper Usage              : Disabled
    Negotiate Client Certificate : Disabled
    Reject Connections           : Disabled
    Disable HTTP2                : Not Set
    Disable QUIC                 : Not Set
    Disable TLS1.2               : Not Set
    Disable TLS1.3               : Not Set
    Disable OCSP Stapling        : Not Set
    Enable Token Binding         : Not Set
    Log Extended Events          : Not Set
    Disable Legacy TLS Versions  : Not Set
    Enable Session Ticket        : Not Set
    Disable Session ID           : Not Set
    Enable Caching Client Hello  : Not Set
 Extended Properties:
    PropertyId                   : 0
    Receive Window               : 1048576
 Extended Properties:
    PropertyId                   : 1
    Max Settings Per Frame       : 2796202
    Max Settings Per Minute      : 4294967295
""".splitlines()


def _with(lines: list[str], **values: str) -> list[str]:
    """The same output with some values changed (label -> value, spaces for underscores)."""
    want = {k.replace("_", " "): v for k, v in values.items()}
    out = []
    for line in lines:
        label = line.split(" : ")[0].strip() if " : " in line else None
        out.append(f"    {label} : {want.pop(label)}" if label in want else line)
    assert not want, want
    return out


def test_a_record_at_netsh_defaults_needs_nothing_passed_again():
    assert H.update_settings(AFTER_BARE_ADD) == []
    assert H.update_settings(CURRENT) == []
    assert H.record_of(CURRENT)["Certificate Store Name"] == "MY"
    assert "PropertyId" not in H.record_of(CURRENT)  # the Extended Properties are not update sslcert's


def test_every_setting_off_its_default_is_passed_again_in_netshs_words():
    lines = _with(CURRENT, Verify_Client_Certificate_Revocation="Disabled", Revocation_Freshness_Time="3600",
                  Ctl_Store_Name="ClientAuthIssuer", DS_Mapper_Usage="Enabled", Negotiate_Client_Certificate="Enabled",
                  Disable_QUIC="Set", Disable_Legacy_TLS_Versions="Set", Disable_Session_ID="Set")
    assert H.update_settings(lines) == [
        "verifyclientcertrevocation=disable", "revocationfreshnesstime=3600", "sslctlstorename=ClientAuthIssuer",
        "dsmapperusage=enable", "clientcertnegotiation=enable", "disablequic=enable", "disablelegacytls=enable",
        "disablesessionid=enable"]
    classic = _with(AFTER_BARE_ADD, Usage_Check="Disabled", URL_Retrieval_Timeout="5000")
    assert H.update_settings(classic) == ["usagecheck=disable", "urlretrievaltimeout=5000"]
    # what update_settings decides, the contract accepts
    H.HttpSslCertUpdateParams(ipport="0.0.0.0:443", certhash=HASH, settings=H.update_settings(lines))


@pytest.mark.parametrize("values", [
    {"Enable_Caching_Client_Hello": "Set"},         # on, and no update parameter known for it: would be lost
    {"DS_Mapper_Usage": "Maybe"}, {"Revocation_Freshness_Time": "soon"},
    {"Ctl_Identifier": "a b"},                      # not one safe netsh word
])
def test_a_setting_that_cannot_be_passed_again_is_refused_not_dropped(values):
    with pytest.raises(H.UnknownSetting):
        H.update_settings(_with(CURRENT, **values))


def test_an_unreadable_record_stops_the_swap_before_netsh_update(monkeypatch):
    """The update replaces the whole record: when `show sslcert` fails, its settings cannot be passed again, so the
    swap stops instead of updating without them (which would drop them silently)."""
    from ndes.providers import iis_https_binding as B
    from ndes.providers._windows import endpoint_input
    from ndes.windows import ScriptFailed
    from ndes.windows.contracts import iis_https_binding as C

    sent: list[dict] = []

    class Host:
        def run_script(self, script, params, timeout=None):
            sent.append(params)
            return {"state": {"exitCode": 1, "output": ["The parameter is incorrect."]}, "changed": False}

    monkeypatch.setattr(B, "host_of", lambda _inp: Host())
    inp = B.IisHttpsBindingInputs.model_validate({
        "endpoint": endpoint_input("ndes1.contoso.com", url=None, username="CONTOSO\\pulumi", password="Pw-1!"),
        "thumbprint": "CD" * 20})
    st = C.IisHttpsBindingState.model_validate({"siteExists": True, "bindings": [{
        "bindingInformation": "*:443:", "thumbprint": "AB" * 20, "storeName": "My", "sslFlags": 0}]})
    with pytest.raises(ScriptFailed, match="could not read the HTTP.sys record of 0.0.0.0:443 .*ndes:sslCertificate"):
        B.IisHttpsBindingProvider._swap_in_place(inp, st, [C.BindingAction(kind="certificate",
                                                                              binding_information="*:443:",
                                                                              thumbprint="CD" * 20)])
    assert [p.get("mode") for p in sent] == ["read"]  # no update was sent
