"""The simulator's HTTPS listeners (one per lab Windows host, on its own loopback address), the admin API,
and restarts (a host's listener closes for N seconds; its shells are gone; its boot id changes)."""
from __future__ import annotations

import hashlib
import importlib
import importlib.util
import json
import os
import signal
import socket
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from lab import pki, topology

from . import ADMIN_HOST, ADMIN_PORT, clock, hostmodel, identity, join_restart, listener, store, wsman
from .knobs import Knobs
from .ntlm import NtlmAcceptor, user_file
from .shells import ShellHost

WINRM_PORT = 5986


def lab_hosts() -> list[dict[str, Any]]:
    """The Windows hosts of the lab: name, address, WinRM port, role. $NDES_WINRM_SIM_HOSTS (a JSON list of
    such dicts) overrides them, for a private instance on other addresses (tests, the benchmark)."""
    env = os.environ.get("NDES_WINRM_SIM_HOSTS")
    if env:
        return [dict(h, name=h["name"].lower()) for h in json.loads(env)]
    hosts = [{"name": topology.CA["name"], "address": topology.CA["address"],
              "port": topology.CA.get("winrm_port", WINRM_PORT), "role": "ca"}]
    for h in topology.NDES_HOSTS:
        hosts.append({"name": h["name"], "address": h["address"], "port": h.get("winrm_port", WINRM_PORT),
                      "role": "ndes"})
    return hosts


class LabAccess:
    """What handlers may reach beyond their own host: other hosts' state and the lab's Samba DC."""

    def edit_host(self, name: str):
        """Context manager: another host's state (e.g. the CA's), saved on exit."""
        return store.edit_state(name)

    def read_host(self, name: str) -> dict:
        return store.read_state(name)

    def samba_info(self):
        from lab import samba_dc
        return samba_dc.info()

    def directory(self):
        """A bound ldap3 connection to the lab DC (caller unbinds)."""
        from lab import samba_dc
        return samba_dc.connect()


def _cert_hash(cert_path) -> bytes:
    cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    return hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).digest()


class _TlsServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(self, addr, handler, ctx: ssl.SSLContext, runtime: "HostRuntime") -> None:
        super().__init__(addr, handler)
        self.ssl_ctx = ctx
        self.runtime = runtime

    def finish_request(self, request, client_address) -> None:
        try:
            tls = self.ssl_ctx.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return  # the client refused our certificate (or went away): nothing to answer
        self.runtime.connections.add(tls)
        try:
            self.RequestHandlerClass(tls, client_address, self)
        finally:
            self.runtime.connections.discard(tls)

    def handle_error(self, request, client_address) -> None:
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, ssl.SSLError, OSError)):
            return
        super().handle_error(request, client_address)


class WinRMHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server_version = "Microsoft-HTTPAPI/2.0"
    sys_version = ""

    def setup(self) -> None:
        super().setup()
        self.rt: HostRuntime = self.server.runtime  # type: ignore[attr-defined]
        self.acceptor = NtlmAcceptor(self.rt.cert_hash)
        self.credssp = identity.CredSspAcceptor()
        self.user: identity.Caller | None = None

    def log_message(self, fmt: str, *args) -> None:
        pass

    def _send(self, status: int, body: bytes = b"", ctype: str = "application/soap+xml;charset=UTF-8",
              headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        if body:
            self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body:
            self.wfile.write(body)

    def _credssp_enabled(self) -> bool:
        return identity.credssp_enabled(store.read_state(self.rt.name))

    def _offers(self) -> dict[str, str]:
        """The schemes a 401 offers, as WinRM does: Negotiate always, CredSSP once the service allows it."""
        return {"WWW-Authenticate": "Negotiate, CredSSP" if self._credssp_enabled() else "Negotiate"}

    def _authenticate(self, header: str) -> tuple[str | None, identity.Caller | None]:
        """One leg of this connection's logon: (challenge to answer with a 401, None) while it goes on,
        (last token or None, the caller) once it succeeded; PermissionError when it failed."""
        scheme, _, token = header.partition(" ")
        if scheme.lower() == "credssp":
            if not self._credssp_enabled():
                raise PermissionError("CredSSP authentication is disabled on this host")
            challenge, logon = self.credssp.step(token)
            return challenge, None if logon is None else identity.Caller(logon.user, logon.auth, logon.delegated)
        challenge, user = self.acceptor.step(header)
        return challenge, None if user is None else identity.Caller(user, "ntlm", False)

    def do_GET(self) -> None:
        self.rt.knobs.count(self.rt.name, "requests")
        self._send(405, b"", headers={"Allow": "POST"})

    def do_POST(self) -> None:
        rt = self.rt
        length = int(self.headers.get("Content-Length") or 0)
        data = self.rfile.read(length) if length else b""
        rt.knobs.count(rt.name, "requests")
        if join_restart.refuses(rt):  # restarting: nothing answers any more
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        delay = rt.knobs.latency(rt.name)
        if delay:
            time.sleep(delay)
        if self.path.split("?")[0].lower() != "/wsman":
            self._send(404, b"<html><body>Not Found</body></html>", "text/html")
            return
        auth = self.headers.get("Authorization")
        if auth:
            try:
                challenge, user = self._authenticate(auth)
            except PermissionError:
                self.user = None
                rt.knobs.count(rt.name, "authFailures")
                self._send(401, headers=self._offers())
                return
            if challenge and user is None:
                rt.knobs.count(rt.name, "authLegs")
                self._send(401, headers={"WWW-Authenticate": challenge})
                return
            self.user = user
        if self.user is None:
            rt.knobs.count(rt.name, "authLegs")
            self._send(401, headers=self._offers())
            return
        relates = ""
        try:
            req = wsman.parse(data)
            relates = req.message_id
            if not identity.may_open_shell(rt.role, self.user):  # authenticated, but not allowed on this host
                raise wsman.Fault("s:Sender", "w:AccessDenied", 5, "Access is denied. ")
            rt.knobs.count(rt.name, req.action)
            status = rt.knobs.take_fail(rt.name, req.action)
            if status:
                self._send(status, b"<html><body>Internal Server Error</body></html>", "text/html")
                return
            if rt.knobs.take_drop(rt.name, req.action):
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            body = rt.shells.handle(req, self.user)
        except wsman.Fault as fault:
            self._send(500, wsman.fault_response(fault, relates, rt.name))
            return
        self._send(200, body)
        join_restart.after_answer(rt, req.action, body)


class HostRuntime:
    """One simulated host: its listener, shells, and restarts."""

    def __init__(self, host: dict, knobs: Knobs, lab: LabAccess) -> None:
        self.name, self.address, self.port, self.role = host["name"], host["address"], host["port"], host["role"]
        self.knobs = knobs
        short = hostmodel.short_name(self.name).lower()
        cert, key = pki.issue_server_cert(f"winrm-{short}-{self.address.replace('.', '-')}", [self.name],
                                          [self.address])
        self.ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.ctx.load_cert_chain(cert, key)
        self.cert_hash = _cert_hash(cert)
        self.connections: set = set()
        self.shells = ShellHost(self.name, self.role, self.address, self.port, lab, self.request_reboot, knobs)
        self.server: _TlsServer | None = None
        self._lock = threading.Lock()
        self.down_until = 0.0
        self.thumbprint = hashlib.sha1(x509.load_pem_x509_certificate(cert.read_bytes()).public_bytes(
            serialization.Encoding.DER)).hexdigest().upper()
        with store.edit_state(self.name) as state:  # creates the host's state file on first start
            if self.name in listener.unprepared_from_env():
                listener.unprepare(state)

    def prepared(self) -> bool:
        return listener.has_https_listener(store.read_state(self.name))

    def start(self) -> None:
        with self._lock:
            if self.server is None and self.prepared():  # no HTTPS listener: nothing answers on the port
                self.server = _TlsServer((self.address, self.port), WinRMHandler, self.ctx, self)
                threading.Thread(target=self.server.serve_forever, name=f"winrm-{self.name}", daemon=True).start()

    def stop(self) -> None:
        with self._lock:
            server, self.server = self.server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        for conn in list(self.connections):
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def request_reboot(self) -> None:
        """Called by HostBoot's handler: restart once the answer has gone out."""
        threading.Timer(0.3, self.reboot).start()

    def reboot(self, seconds: float | None = None) -> None:
        seconds = self.knobs.reboot_seconds if seconds is None else seconds
        self.down_until = time.monotonic() + seconds
        self.stop()
        self.shells.clear()
        with store.edit_state(self.name) as state:
            hostmodel.reboot(state)
        threading.Timer(seconds, self._come_back).start()

    def _come_back(self) -> None:
        self.down_until = 0.0
        self.start()


class AdminHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, fmt: str, *args) -> None:
        pass

    def _json(self, status: int, doc: Any) -> None:
        body = json.dumps(doc).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        sim: Simulator = self.server.sim  # type: ignore[attr-defined]
        if self.path == "/health":
            self._json(200, {"hosts": {n: {"up": rt.server is not None, "address": rt.address, "port": rt.port,
                                           "prepared": rt.prepared()} for n, rt in sim.hosts.items()}})
        elif self.path == "/stats":
            self._json(200, sim.knobs.stats())
        elif self.path == "/shells":
            self._json(200, {n: len(rt.shells.shells) for n, rt in sim.hosts.items()})
        else:
            self._json(404, {"error": "not found"})

    def do_POST(self) -> None:
        sim: Simulator = self.server.sim  # type: ignore[attr-defined]
        length = int(self.headers.get("Content-Length") or 0)
        try:
            doc = json.loads(self.rfile.read(length) or b"{}")
        except ValueError:
            self._json(400, {"error": "body is not JSON"})
            return
        try:
            if self.path == "/knobs":
                self._json(200, sim.set_knobs(doc))
            elif self.path == "/stats/reset":
                sim.knobs.reset_stats()
                self._json(200, {})
            elif self.path == "/unprepare":  # the host as Windows leaves it: no WinRM listener (listener.py)
                rt = sim.host(doc["host"])
                with store.edit_state(rt.name) as state:
                    listener.unprepare(state)
                rt.stop()
                self._json(200, {})
            elif self.path == "/host-prep":  # an administrator runs HostPrep.ps1 on the host (listener.py)
                rt = sim.host(doc["host"])
                with store.edit_state(rt.name) as state:
                    out = listener.host_prep(state, str(doc["params"]), rt.name, rt.thumbprint)
                rt.start()
                self._json(200, out)
            elif self.path == "/reboot":
                rt = sim.host(doc["host"])
                threading.Thread(target=rt.reboot, args=(doc.get("seconds"),), daemon=True).start()
                self._json(200, {})
            else:
                self._json(404, {"error": "not found"})
        except (KeyError, ValueError, TypeError) as exc:
            self._json(400, {"error": str(exc)})


class Simulator:
    def __init__(self) -> None:
        user_file()
        self.knobs = Knobs()
        self.lab = LabAccess()
        self.hosts = {h["name"]: HostRuntime(h, self.knobs, self.lab) for h in lab_hosts()}
        port = int(os.environ.get("NDES_WINRM_SIM_ADMIN_PORT", ADMIN_PORT))
        self.admin = ThreadingHTTPServer((ADMIN_HOST, port), AdminHandler)
        self.admin.daemon_threads = True
        self.admin.sim = self  # type: ignore[attr-defined]

    def host(self, name: str) -> HostRuntime:
        try:
            return self.hosts[name.lower()]
        except KeyError:
            raise ValueError(f"no simulated host {name}") from None

    def set_knobs(self, doc: dict) -> dict:
        k = self.knobs
        if doc.get("reset"):
            k.reset()
            join_restart.reset()
        if "joinRestart" in doc:
            join_restart.arm(doc["joinRestart"]["host"], float(doc["joinRestart"].get("seconds", k.reboot_seconds)))
        if "latencyMs" in doc:
            k.latency_ms[doc.get("host") or "*"] = int(doc["latencyMs"])
        if "rebootSeconds" in doc:
            k.reboot_seconds = float(doc["rebootSeconds"])
        if "templateDelaySeconds" in doc:
            k.template_delay_seconds = float(doc["templateDelaySeconds"])
        if doc.get("reset") or "clockOffsetDays" in doc:  # the lab clock (clock.py): hosts and CA move together
            clock.set_offset(float(doc.get("clockOffsetDays") or 0) * 86400)
        if "drop" in doc:
            d = doc["drop"]
            k.add_drop(d.get("host"), d.get("action"), int(d.get("count", 1)))
        if "hang" in doc:
            k.add_hang(doc["hang"].get("host"), int(doc["hang"].get("count", 1)))
        if "slow" in doc:
            k.add_slow(doc["slow"].get("host"), float(doc["slow"]["seconds"]), int(doc["slow"].get("count", 1)),
                       doc["slow"].get("mode", "set"))
        if "fail" in doc:
            f = doc["fail"]
            k.add_fail(f.get("host"), f.get("action"), int(f.get("count", 1)), int(f.get("status", 500)))
        return {"latencyMs": dict(k.latency_ms), "rebootSeconds": k.reboot_seconds,
                "templateDelaySeconds": k.template_delay_seconds, "joinRestart": join_restart.armed(),
                "clockOffsetDays": clock.offset().total_seconds() / 86400}

    def start(self) -> None:
        for rt in self.hosts.values():
            rt.start()
        threading.Thread(target=self.admin.serve_forever, name="winrm-admin", daemon=True).start()
        self._extensions()

    def _extensions(self) -> None:
        """Other lab endpoints that live with the hosts (e.g. the NDES SCEP endpoint), if present."""
        if importlib.util.find_spec(f"{__package__}.scep_endpoint") is None:
            return
        scep = importlib.import_module(f"{__package__}.scep_endpoint")
        start = getattr(scep, "start", None)
        if start is not None:
            start(self)

    def stop(self) -> None:
        for rt in self.hosts.values():
            rt.stop()
        self.admin.shutdown()
        self.admin.server_close()


def serve() -> int:
    sim = Simulator()
    sim.start()
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    print(f"winrm simulator: {', '.join(f'{rt.name} {rt.address}:{rt.port}' for rt in sim.hosts.values())}; "
          f"admin http://{ADMIN_HOST}:{sim.admin.server_address[1]}", flush=True)
    done.wait()
    sim.stop()
    return 0
