"""Issue 19 item 2: a renewed SSL certificate is swapped on the https binding WITHOUT A GAP: netsh http update
sslcert (HttpSslCertUpdate.ps1, HttpUpdateServiceConfiguration) changes HTTP.sys's record in place; IIS's
RemoveSslCertificate + AddSslCertificate (two calls, a moment without a record) only where netsh has no
`http update` (Windows Server 2012 R2). The simulator records every moment an ipport had no record."""
from __future__ import annotations

import pytest

from lab.winrm_sim import http_sys
from ndes.providers.iis_https_binding import IisHttpsBindingProvider
from ndes.windows import ScriptFailed, WindowsHost
from ndes.windows.contracts import http_ssl_cert_update as H

from .conftest import NDES1, make_endpoint
from .part2_lab import endpoint_props, prepare_ndes_host, put_certificate
from .provider_helpers import three_pass

pytestmark = pytest.mark.slow
P = IisHttpsBindingProvider()
NAME = "ndes1-lab.msappproxy.net"


def inputs(sim, thumb: str) -> dict:
    res = P.check({}, {"endpoint": endpoint_props(sim, NDES1), "thumbprint": thumb, "owner": "tests/ssl-swap"})
    assert not res.failures, res.failures
    return res.inputs


def bound(sim) -> list[tuple[str, str]]:
    site = sim.read_state(NDES1)["iis"]["sites"]["Default Web Site"]
    return [(b["bindingInformation"], b["certificateHash"]) for b in site["bindings"] if b["protocol"] == "https"]


def absences(sim) -> list[dict]:
    return http_sys.absences(sim.read_state(NDES1))


def test_a_renewed_certificate_is_swapped_in_place(sim):
    prepare_ndes_host(sim, NDES1)
    old = put_certificate(sim, NDES1, NAME, [NAME])
    created = three_pass(P, inputs(sim, old), sim, NDES1)
    assert absences(sim) == []  # a new binding: nothing was taken away
    new = put_certificate(sim, NDES1, NAME, [NAME])
    moved = P.update(created.id, created.outs, inputs(sim, new))
    assert moved.outs["thumbprint"] == new and bound(sim) == [("*:443:", new)]
    assert absences(sim) == [], "netsh http update sslcert: 0.0.0.0:443 never without a certificate"
    assert P.update(created.id, moved.outs, inputs(sim, new)).outs["thumbprint"] == new
    assert absences(sim) == []

    # the recorder can fail: IIS's two-call swap (the script's `certificate` action) leaves a moment without one
    WindowsHost(make_endpoint(sim)).run_script("IisHttpsBinding", {
        "mode": "set", "siteName": "Default Web Site", "port": 443, "thumbprint": "", "owner": "",
        "ownerAction": "", "actions": [{"kind": "certificate", "bindingInformation": "*:443:", "sslFlags": 0,
                                        "thumbprint": old}]})
    assert [(a["ipport"], a["thumbprint"], a["by"]) for a in absences(sim)] == \
        [("0.0.0.0:443", new, "IisHttpsBinding:certificate")]


def test_the_swap_keeps_the_records_other_settings(sim):
    """`update sslcert` replaces the whole HTTP.sys record (the simulator resets what is not passed again, as tools
    calling HttpUpdateServiceConfiguration saw: win-acme#2831, certify#588): the provider reads the record first and
    passes DS mapper, client certificate negotiation, Disable Legacy TLS, ... again."""
    prepare_ndes_host(sim, NDES1)
    old = put_certificate(sim, NDES1, NAME, [NAME])
    created = three_pass(P, inputs(sim, old), sim, NDES1)
    kept = {"dsmapperusage": "enable", "clientcertnegotiation": "enable", "disablelegacytls": "enable",
            "revocationfreshnesstime": "3600", "sslctlstorename": "ClientAuthIssuer"}
    with sim.edit_state(NDES1) as st:  # an administrator's settings on the binding (netsh http update sslcert ...)
        http_sys.set_settings(st, "0.0.0.0:443", kept)
    new = put_certificate(sim, NDES1, NAME, [NAME])
    assert P.update(created.id, created.outs, inputs(sim, new)).outs["thumbprint"] == new
    assert bound(sim) == [("*:443:", new)] and absences(sim) == []
    assert http_sys.settings(sim.read_state(NDES1), "0.0.0.0:443") == kept

    # the model can fail: an update that does not pass them again loses them
    newer = put_certificate(sim, NDES1, NAME, [NAME])
    doc = WindowsHost(make_endpoint(sim)).run_script(H.SCRIPT, H.HttpSslCertUpdateParams(
        ipport="0.0.0.0:443", certhash=newer).wire())
    assert H.outcome(H.HttpSslCertUpdateState.model_validate(doc["state"])) == "updated"
    assert http_sys.settings(sim.read_state(NDES1), "0.0.0.0:443") == {}


def test_a_setting_the_swap_cannot_carry_stops_it_before_netsh(sim):
    prepare_ndes_host(sim, NDES1)
    old = put_certificate(sim, NDES1, NAME, [NAME])
    created = three_pass(P, inputs(sim, old), sim, NDES1)
    with sim.edit_state(NDES1) as st:
        http_sys.set_settings(st, "0.0.0.0:443", {"sslctlidentifier": "x"})
        st["httpSys"]["settings"]["0.0.0.0:443"]["sslctlidentifier"] = "two words"  # not one netsh word
    new = put_certificate(sim, NDES1, NAME, [NAME])
    with pytest.raises(ScriptFailed, match="would drop .*ndes:sslCertificate"):
        P.update(created.id, created.outs, inputs(sim, new))
    assert bound(sim) == [("*:443:", old)]  # nothing changed


def test_netsh_fails_where_no_binding_exists(sim):
    prepare_ndes_host(sim, NDES1)
    thumb = put_certificate(sim, NDES1, NAME, [NAME])
    doc = WindowsHost(make_endpoint(sim)).run_script(H.SCRIPT, H.HttpSslCertUpdateParams(
        ipport="0.0.0.0:443", certhash=thumb).wire())
    st = H.HttpSslCertUpdateState.model_validate(doc["state"])
    assert H.outcome(st) == "failed" and "SSL Certificate update failed, Error: 2" in st.output
    assert bound(sim) == []  # nothing created: update never adds


def test_windows_server_2012_r2_falls_back_to_remove_and_add(sim):
    prepare_ndes_host(sim, NDES1)
    with sim.edit_state(NDES1) as st:
        st.setdefault("os", {})["version"] = "6.3.9600"
    old = put_certificate(sim, NDES1, NAME, [NAME])
    created = P.create(inputs(sim, old))
    new = put_certificate(sim, NDES1, NAME, [NAME])
    assert P.update(created.id, created.outs, inputs(sim, new)).outs["thumbprint"] == new
    assert bound(sim) == [("*:443:", new)]
    assert [a["by"] for a in absences(sim)] == ["IisHttpsBinding:certificate"]  # the gap 2012 R2 cannot avoid


def test_the_script_refuses_values_the_contract_refuses(sim):
    prepare_ndes_host(sim, NDES1)
    host = WindowsHost(make_endpoint(sim))
    for bad in ({"ipport": "0.0.0.0:443 certhash=00", "certhash": "AB" * 20},
                {"ipport": "0.0.0.0:443", "certhash": "ab" * 20},
                {"ipport": "0.0.0.0:443", "certhash": "AB" * 20, "appid": "4dc3e181-e14b-4a21-b022-59fc669b0914"}):
        with pytest.raises(ScriptFailed):
            host.run_script(H.SCRIPT, {"mode": "update", "appid": H.IIS_APP_ID, **bad})
