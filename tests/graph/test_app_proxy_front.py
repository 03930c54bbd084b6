"""The simulator's App Proxy front: once AppProxyApplication has published an NDES host, a request to its
external URL reaches the internal URL over TLS verified with the lab CA (as a connector does)."""
from __future__ import annotations

import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from lab import topology
from lab.pki import ca_bundle_path, issue_server_cert
from ndes.providers.app_proxy_application import AppProxyApplicationProvider

from .engine import Managed
from .test_app_proxy_application import props

pytestmark = pytest.mark.slow

BACKEND_HOST = topology.NDES_HOSTS[1]["name"]  # ndes2.lab.contoso.test
BACKEND_ADDR = topology.NDES_HOSTS[1]["address"]


class Backend(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def do_GET(self):
        body = f"GetCACaps from {self.headers.get('Host')} {self.path}".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def backend():
    cert, key = issue_server_cert("graph-test-backend", [BACKEND_HOST], [BACKEND_ADDR])
    srv = ThreadingHTTPServer((BACKEND_ADDR, 0), Backend)  # a free port: never collides with a lab NDES host
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(str(cert), str(key))
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield f"https://{BACKEND_HOST}:{srv.server_address[1]}/"
    srv.shutdown()
    srv.server_close()


def probe(sim, host: str, path: str = "/certsrv/mscep/mscep.dll?operation=GetCACaps") -> httpx.Response:
    ctx = ssl.create_default_context(cafile=str(ca_bundle_path()))
    return httpx.get(f"{sim.proxy_url}{path}", headers={"Host": host}, verify=ctx, timeout=20)


def test_published_external_url_reaches_the_internal_url(graph_sim, backend):
    ext_host = "ndes2-lab.msappproxy.net"
    assert probe(graph_sim, ext_host).status_code == 404  # nothing published yet
    r = Managed(AppProxyApplicationProvider())
    r.create(props(graph_sim, displayName="NDES ndes2", externalUrl=f"https://{ext_host}/", internalUrl=backend))
    resp = probe(graph_sim, ext_host)
    assert resp.status_code == 200
    assert resp.text == f"GetCACaps from {BACKEND_HOST} /certsrv/mscep/mscep.dll?operation=GetCACaps"

    # without host header translation the backend sees the external name
    r.converge(props(graph_sim, displayName="NDES ndes2", externalUrl=f"https://{ext_host}/", internalUrl=backend,
                     translateHostHeader=False))
    assert probe(graph_sim, ext_host).text.startswith(f"GetCACaps from {ext_host} ")

    # pre-authentication breaks devices: the front sends them to sign in
    r.converge(props(graph_sim, displayName="NDES ndes2", externalUrl=f"https://{ext_host}/", internalUrl=backend,
                     preAuthentication="aadPreAuthentication"))
    assert probe(graph_sim, ext_host).status_code == 302
    r.delete()
    assert probe(graph_sim, ext_host).status_code == 404


def test_unreachable_internal_url_is_a_gateway_error(graph_sim):
    r = Managed(AppProxyApplicationProvider())
    r.create(props(graph_sim, displayName="NDES down", externalUrl="https://ndes-down-lab.msappproxy.net/",
                   internalUrl=f"https://{BACKEND_HOST}:9/"))
    assert probe(graph_sim, "ndes-down-lab.msappproxy.net").status_code == 502
