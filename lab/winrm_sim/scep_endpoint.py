"""The simulated NDES hosts' SCEP endpoint: https://<host address>:443/certsrv/mscep/mscep.dll.

It appears once the host's state has the NDES role (the MSCEP key, the SCEP app pool) and an https binding on
443 whose certificate (with its key) is in LocalMachine\\My, and it serves TLS with exactly that certificate
(plus the issuing CA), so a client sees what IIS would present. A watcher thread polls the hosts' state files
(lab/winrm_sim/store.py) and starts, re-keys (new thumbprint: the listener stays, new handshakes get the new
certificate, as HTTP.sys does) or stops each host's listener accordingly.

    GET ?operation=GetCACaps    text/plain, one capability a line
    GET ?operation=GetCACert    certs-only PKCS#7 (RA signing + RA encryption + the issuing CA),
                                application/x-x509-ca-ra-cert
    GET (no operation)          403 once the Intune connector is installed (the Intune policy module), else the
                                NDES page with 200, as real NDES does; 503 when the SCEP app pool is stopped
    ?operation=PKIOperation     `pki_operation` below: the place for the next issue (501 until then)

IIS rules it keeps: a binding with a host name answers only requests for that name (HTTP.sys:
"Bad Request - Invalid Hostname", 400), which is why the binding's host name must stay empty.

How it runs: the WinRM simulator calls `start(sim)` when it starts (its `_extensions` hook) and the watcher
lives in that process (so `python -m lab.winrm_sim up` brings it up and `down` takes it away); or on its own:
`python -m lab.winrm_sim.scep_endpoint` (foreground, Ctrl-C stops it).
"""
from __future__ import annotations

import contextlib
import os
import signal
import ssl
import sys
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, pkcs7

from lab import topology

from . import ca, certstore, store
from .handlers import intune_connector, ndes_role

MSCEP_PATHS = ("/certsrv/mscep/mscep.dll", "/certsrv/mscep/mscep.dll/pkiclient.exe")
CA_CAPS = ["POSTPKIOperation", "Renewal", "SHA-512", "SHA-256", "SHA-1", "DES3"]
"""What NDES on Windows Server 2016+ answers to GetCACaps (one per line)."""
POLL_SECONDS = 0.5
NDES_PAGE = (b"<html><head><title>Network Device Enrollment Service</title></head><body>"
             b"<p>Network Device Enrollment Service allows you to obtain certificates for routers or other network "
             b"devices using the Simple Certificate Enrollment Protocol (SCEP).</p></body></html>")


def ndes_hosts() -> list[dict[str, Any]]:
    return [{"name": h["name"], "address": h["address"], "port": h.get("https_port", 443)}
            for h in topology.NDES_HOSTS]


# ------------------------------------------------------------------------------------------------ host facts
def serving_facts(state: dict[str, Any], port: int = 443) -> dict[str, Any] | None:
    """What the endpoint of a host needs from its state, or None when it should not listen."""
    if not ndes_role.installed(state):
        return None
    site = ((state.get("iis") or {}).get("sites") or {}).get("Default Web Site")
    if not site:
        return None
    https = [b for b in site.get("bindings", []) if b.get("protocol") == "https"
             and b["bindingInformation"].split(":", 2)[1] == str(port)]
    https.sort(key=lambda b: b["bindingInformation"].split(":", 2)[2] != "")
    if not https or not https[0].get("certificateHash"):
        return None
    entry = certstore.store(state).get(https[0]["certificateHash"].upper())
    if not entry or not entry.get("keyPem"):
        return None
    return {"thumbprint": https[0]["certificateHash"].upper(), "certPem": entry["pem"], "keyPem": entry["keyPem"],
            "hostName": https[0]["bindingInformation"].split(":", 2)[2]}


def ca_ra_certificates(state: dict[str, Any]) -> list[x509.Certificate]:
    """The RA certificates NDES uses (the newest of each template) and the issuing CA, for GetCACert."""
    out: list[x509.Certificate] = []
    pool = ((state.get("iis") or {}).get("appPools") or {}).get("SCEP") or {}
    loaded_at_start = pool.get("raLoaded")  # NDES loaded its RA certificates at the pool's start: later ones wait
    for template in ca.RA_TEMPLATES:
        mine = [c for c in ndes_role.ra_certificates(state) if c["template"] == template]
        loaded = [c for c in mine if loaded_at_start is None or c["thumbprint"] in loaded_at_start]
        mine = loaded or mine  # a loaded certificate deleted under NDES: the newest (a **guess**)
        if mine:
            newest = max(mine, key=lambda c: c["notBefore"])
            out.append(certstore.load(certstore.store(state)[newest["thumbprint"]]))
    out.append(ca.issuing_ca()[0])
    return out


def pki_operation(state: dict[str, Any], message: bytes) -> tuple[int, str, bytes]:
    """SCEP PKIOperation (PKCSReq/GetCertInitial/...): the next issue's work. Returns (status, type, body)."""
    from .scep_pkiop import pki_operation as answer  # NDES with the Intune policy module (scep_pkiop.py)
    return answer(state, message)


# ------------------------------------------------------------------------------------------------ HTTP
class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "Microsoft-IIS/10.0"
    sys_version = ""

    def log_message(self, fmt: str, *args) -> None:
        pass

    def _send(self, status: int, ctype: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _state(self) -> dict[str, Any]:
        return store.read_state(self.server.host_name)  # type: ignore[attr-defined]

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self._dispatch(body)

    def do_GET(self) -> None:
        self._dispatch(None)

    def _dispatch(self, body: bytes | None) -> None:
        state = self._state()
        facts = serving_facts(state, self.server.server_address[1])  # type: ignore[attr-defined]
        if facts is None:
            self._send(404, "text/html", b"<html><body>Not Found</body></html>")
            return
        want_host = facts["hostName"]
        got_host = (self.headers.get("Host") or "").rsplit(":", 1)[0].strip("[]").lower()
        if want_host and got_host != want_host.lower():
            self._send(400, "text/html", b"<h2>Bad Request - Invalid Hostname</h2><hr><p>HTTP Error 400. "
                                         b"The request hostname is invalid.</p>")
            return
        url = urlsplit(self.path)
        path = url.path.lower()
        if path in ("/", "/iisstart.htm"):
            self._send(200, "text/html", b"<html><head><title>IIS Windows Server</title></head></html>")
            return
        if path not in MSCEP_PATHS:
            self._send(404, "text/html", b"<html><body>404 - File or directory not found.</body></html>")
            return
        pool = ((state.get("iis") or {}).get("appPools") or {}).get("SCEP") or {}
        if pool.get("state", "Started") != "Started":
            self._send(503, "text/html", b"<h2>Service Unavailable</h2><hr><p>HTTP Error 503. The service is "
                                         b"unavailable.</p>")
            return
        query = {k.lower(): v[-1] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        op = query.get("operation", "")
        if op == "GetCACaps":
            self._send(200, "text/plain", ("\n".join(CA_CAPS) + "\n").encode())
        elif op == "GetCACert":
            der = pkcs7.serialize_certificates(ca_ra_certificates(state), Encoding.DER)
            self._send(200, "application/x-x509-ca-ra-cert", der)
        elif op == "PKIOperation":
            import base64
            message = body if body is not None else base64.b64decode(query.get("message", "") + "==")
            status, ctype, out = pki_operation(state, message)
            self._send(status, ctype, out)
        elif op:
            self._send(400, "text/plain", b"Invalid operation\n")
        elif intune_connector._live(state)["installed"]:
            # the Intune policy module answers a bare browse with 403 (Validate-NDESConfiguration expects it)
            self._send(403, "text/html", b"<html><body>403 - Forbidden: Access is denied.</body></html>")
        else:
            self._send(200, "text/html", NDES_PAGE)


class _TlsServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, addr, host_name: str, ctx: ssl.SSLContext) -> None:
        super().__init__(addr, _Handler)
        self.host_name = host_name
        self.ssl_ctx = ctx

    def finish_request(self, request, client_address) -> None:
        try:
            tls = self.ssl_ctx.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return
        with contextlib.suppress(ConnectionError, ssl.SSLError, OSError):
            self.RequestHandlerClass(tls, client_address, self)

    def handle_error(self, request, client_address) -> None:
        if isinstance(sys.exc_info()[1], (ConnectionError, ssl.SSLError, OSError)):
            return
        super().handle_error(request, client_address)


def _tls_context(cert_pem: str, key_pem: str) -> ssl.SSLContext:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    chain = cert_pem + ca.cert_pem(ca.issuing_ca()[0])
    with tempfile.TemporaryDirectory(prefix="ndes-scep-") as d:
        cert_file, key_file = os.path.join(d, "cert.pem"), os.path.join(d, "key.pem")
        with open(cert_file, "w") as fh:
            fh.write(chain)
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(key_pem)
        ctx.load_cert_chain(cert_file, key_file)
    return ctx


# ------------------------------------------------------------------------------------------------ watcher
class Endpoints:
    """One listener per NDES host, kept in line with the hosts' state by a polling thread."""

    def __init__(self, hosts: list[dict[str, Any]] | None = None) -> None:
        self.hosts = hosts or ndes_hosts()
        self.running: dict[str, tuple[str, _TlsServer]] = {}
        self.errors: dict[str, str] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def sync_once(self) -> None:
        for h in self.hosts:
            name = h["name"]
            try:
                facts = serving_facts(store.read_state(name), h["port"])
            except (OSError, ValueError) as exc:
                self.errors[name] = str(exc)
                continue
            current = self.running.get(name)
            want = facts["thumbprint"] if facts else None
            if current and current[0] == want:
                continue
            if current and facts:  # a new certificate on the same binding: HTTP.sys keeps the port listening
                try:  # and gives new handshakes the new certificate (connections under way keep theirs)
                    current[1].ssl_ctx = _tls_context(facts["certPem"], facts["keyPem"])
                except (OSError, ssl.SSLError) as exc:
                    self.errors[name] = f"cannot load the certificate {want}: {exc}"
                    continue
                self.running[name] = (want, current[1])  # type: ignore[assignment]
                continue
            if current:
                self._close(name)
            if facts:
                try:
                    server = _TlsServer((h["address"], h["port"]), name, _tls_context(facts["certPem"], facts["keyPem"]))
                except OSError as exc:  # the address is taken (another endpoint): say so, retry next round
                    self.errors[name] = f"cannot listen on {h['address']}:{h['port']}: {exc}"
                    continue
                threading.Thread(target=server.serve_forever, name=f"scep-{name}", daemon=True).start()
                self.running[name] = (want, server)  # type: ignore[assignment]
                self.errors.pop(name, None)

    def _close(self, name: str) -> None:
        _, server = self.running.pop(name)
        server.shutdown()
        server.server_close()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.sync_once()
            except Exception as exc:  # keep watching: a half-written state is read again next round
                self.errors["*"] = f"{type(exc).__name__}: {exc}"
            self._stop.wait(POLL_SECONDS)

    def start(self) -> "Endpoints":
        self._thread = threading.Thread(target=self._loop, name="scep-watcher", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        for name in list(self.running):
            self._close(name)


_endpoints: Endpoints | None = None


def start(sim: Any = None) -> Endpoints:
    """The WinRM simulator's hook (Simulator._extensions): watch its NDES hosts, on their addresses (idempotent)."""
    global _endpoints
    if _endpoints is None:
        hosts = None
        if sim is not None and getattr(sim, "hosts", None):
            hosts = [{"name": rt.name, "address": rt.address, "port": 443} for rt in sim.hosts.values()
                     if rt.role == "ndes"]
        _endpoints = Endpoints(hosts).start()
    return _endpoints


def main() -> int:
    eps = Endpoints().start()
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    print(f"scep endpoints: watching {', '.join(h['name'] for h in eps.hosts)}", flush=True)
    done.wait()
    eps.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
