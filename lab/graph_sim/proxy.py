"""The App Proxy front: HTTPS on the App Proxy address with a *.msappproxy.net certificate.

For a request whose Host is the external URL host of a published application (onPremisesPublishing enabled,
pre-authentication passthru), it does what a connector does: resolves the internal host name (lab topology),
opens TLS to it verifying the certificate against the lab CA by that name, forwards the request (Host header
translated when isTranslateHostHeaderEnabled) and relays the answer. A probe through the external URL thus
crosses the chain to the NDES host.
"""
from __future__ import annotations

import http.client
import socket
import ssl
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import urlsplit

from lab import topology
from lab.pki import ca_bundle_path, issue_server_cert

from .server import TlsServer
from .state import State

HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailers",
              "transfer-encoding", "upgrade", "host", "content-length"}


def proxy_cert() -> tuple[str, str]:
    d = topology.APP_PROXY["domain"]
    cert, key = issue_server_cert("app-proxy", [f"*.{d}", d], [topology.APP_PROXY["address"]])
    return str(cert), str(key)


def published_app(state: State, host: str) -> dict | None:
    with state.lock:
        for app in state.data["applications"].values():
            opp = app.get("onPremisesPublishing") or {}
            ext = opp.get("externalUrl")
            if ext and opp.get("isOnPremPublishingEnabled") and (urlsplit(ext).hostname or "") == host:
                return dict(app, onPremisesPublishing=dict(opp))
    return None


class ProxyHandler(BaseHTTPRequestHandler):
    server_version = "Microsoft-Azure-Application-Gateway/v2"
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt: str, *args: Any) -> None:
        pass

    def _page(self, status: int, text: str, headers: dict[str, str] | None = None) -> None:
        data = text.encode()
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _forward(self) -> None:
        state: State = self.server.state  # type: ignore[attr-defined]
        host = (self.headers.get("Host") or "").split(":")[0].lower()
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else None
        app = published_app(state, host)
        if app is None:
            return self._page(404, f"This corporate app can't be accessed: no application is published at "
                                   f"https://{host}/ (App Proxy)")
        opp = app["onPremisesPublishing"]
        if opp.get("externalAuthenticationType") != "passthru":
            return self._page(302, "Sign in required", {"Location": "https://login.microsoftonline.com/"})
        internal = urlsplit(opp.get("internalUrl") or "")
        ext_path = urlsplit(opp["externalUrl"]).path or "/"
        rel = self.path[len(ext_path):] if self.path.startswith(ext_path) else self.path.lstrip("/")
        target_path = (internal.path or "/").rstrip("/") + "/" + rel.lstrip("/")
        ihost = internal.hostname or ""
        address = topology.host_address(ihost) or ihost
        port = internal.port or (443 if internal.scheme == "https" else 80)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        headers["Host"] = ihost if opp.get("isTranslateHostHeaderEnabled", True) else host
        headers["X-Forwarded-For"] = self.client_address[0]
        try:
            sock = socket.create_connection((address, port), timeout=30)
            if internal.scheme == "https":
                ctx = ssl.create_default_context(cafile=str(ca_bundle_path()))
                sock = ctx.wrap_socket(sock, server_hostname=ihost)  # verified by the internal name
            conn = http.client.HTTPConnection(ihost, port, timeout=30)
            conn.sock = sock
            conn.request(self.command, target_path, body=body, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
        except (OSError, http.client.HTTPException) as exc:
            return self._page(502, f"Gateway Timeout: the connector could not reach {opp.get('internalUrl')} "
                                   f"({type(exc).__name__}: {exc})")
        self.send_response(resp.status, resp.reason)
        for k, v in resp.getheaders():
            if k.lower() not in HOP_BY_HOP:
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        conn.close()

    do_GET = do_POST = do_HEAD = do_PUT = do_DELETE = _forward


def make_proxy_server(state: State, address: str | None = None, port: int | None = None) -> TlsServer:
    cert, key = proxy_cert()
    srv = TlsServer((address or topology.APP_PROXY["address"], port or topology.APP_PROXY["https_port"]),
                    ProxyHandler, cert, key)
    srv.state = state  # type: ignore[attr-defined]
    return srv
