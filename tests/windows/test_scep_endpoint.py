"""The simulated NDES host's SCEP endpoint with httpx over verified TLS: it appears once NDES and the https
binding exist, presents the bound certificate, answers GetCACaps and GetCACert (PKCS#7 with the RA
certificates), and a bare GET answers 200 before the Intune connector is installed, 403 after."""
from __future__ import annotations

import ssl
import time

import httpx
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import pkcs7

from lab import pki
from lab.winrm_sim.handlers import intune_connector as sim_connector
from lab.winrm_sim import hostmodel
from ndes.providers.iis_https_binding import IisHttpsBindingProvider
from ndes.providers.ndes_role import NdesRoleProvider

from .conftest import NDES1
from .part2_lab import endpoint_props, ndes_role_props, prepare_ndes_host, put_certificate, service_account

pytestmark = pytest.mark.slow
EXT = "ndes1-lab.msappproxy.net"


def client() -> httpx.Client:
    return httpx.Client(verify=ssl.create_default_context(cafile=str(pki.ca_bundle_path())), timeout=10)


def get(sim, params: dict | None = None, sni: str = EXT) -> httpx.Response:
    url = f"https://{sim.address_of(NDES1)}/certsrv/mscep/mscep.dll"
    deadline = time.monotonic() + 10
    while True:  # the endpoint follows the host state within a poll interval
        try:
            with client() as c:
                return c.get(url, params=params, extensions={"sni_hostname": sni})
        except httpx.ConnectError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


def test_scep_endpoint_follows_role_binding_and_connector(sim, samba_dc):
    with service_account(samba_dc) as (account, password, _sid):
        prepare_ndes_host(sim, NDES1, account)
        role = NdesRoleProvider()
        role_out = role.create(role.check({}, {"endpoint": endpoint_props(sim, NDES1),
                                               **ndes_role_props(samba_dc, account, password)}).inputs).outs
        with pytest.raises(httpx.ConnectError):  # no https binding yet: nothing listens on 443
            with client() as c:
                c.get(f"https://{sim.address_of(NDES1)}/certsrv/mscep/mscep.dll", extensions={"sni_hostname": EXT})

        thumb = put_certificate(sim, NDES1, EXT, [EXT, NDES1])
        b = IisHttpsBindingProvider()
        b.create(b.check({}, {"endpoint": endpoint_props(sim, NDES1), "thumbprint": thumb}).inputs)

        caps = get(sim, {"operation": "GetCACaps", "message": "x"})
        assert caps.status_code == 200 and caps.headers["content-type"].startswith("text/plain")
        assert {"POSTPKIOperation", "SHA-256"} <= set(caps.text.split())

        cacert = get(sim, {"operation": "GetCACert", "message": "x"})
        assert cacert.status_code == 200 and cacert.headers["content-type"] == "application/x-x509-ca-ra-cert"
        certs = pkcs7.load_der_pkcs7_certificates(cacert.content)
        thumbs = {c.fingerprint(hashes.SHA1()).hex().upper() for c in certs}
        assert {c["thumbprint"] for c in role_out["raCertificates"]} <= thumbs
        assert any(c.subject.rfc4514_string() == "CN=Lab Issuing CA,O=NDES lab" for c in certs)

        assert get(sim).status_code == 200 and "Network Device Enrollment Service" in get(sim).text
        with sim.edit_state(NDES1) as st:
            sim_connector._install(st)
        assert get(sim).status_code == 403
        # the TLS certificate is the bound one, verified by name (SNI/hostname = the internal FQDN works too)
        assert get(sim, sni=NDES1).status_code == 403

        with sim.edit_state(NDES1) as st:  # a host name on the binding: IIS answers only that name
            hostmodel.find_site(st, "Default Web Site")[1]["bindings"][-1]["bindingInformation"] = \
                "*:443:other.example"
        assert get(sim).status_code == 400
        with sim.edit_state(NDES1) as st:
            hostmodel.find_site(st, "Default Web Site")[1]["bindings"][-1]["bindingInformation"] = "*:443:"
            st["iis"]["appPools"]["SCEP"]["state"] = "Stopped"
        assert get(sim, {"operation": "GetCACaps"}).status_code == 503
