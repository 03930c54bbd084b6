"""HTTPS plumbing of the Graph simulator: the OAuth endpoints, bearer checks, the test knobs (admin API),
and the dispatch to graph.handle. One process also runs the App Proxy front (proxy.py).

The lab app (CLIENT_ID) signs in three ways, as an Entra app registration can: its client secret
(<lab_dir>/secrets/graph-client-secret), its certificate (<lab_dir>/secrets/graph-client-cert.pem: a client
assertion signed with it), or a federated workload token from the lab OIDC issuer (FEDERATED; federated_token()
makes one, as a pipeline's identity provider would).

Admin API (lab only, no token; on the Graph address):
  POST /_admin/reset                              back to the seed (connector group "Default", lab groups)
  GET  /_admin/state                              the whole tenant as JSON
  GET  /_admin/stats                              request counts by "METHOD /path-shape"
  POST /_admin/throttle {count, retryAfter, status=429, methods?, pathContains?}
                                                  the next `count` matching Graph requests answer `status`
  POST /_admin/replication {requests?, seconds?}  new ids answer 404 for that many requests / seconds (null: off)
  POST /_admin/fail-after-create {count, status=500}  the next instantiates create, then answer an error
  POST /_admin/lose-answer {count=1, skip=0, methods?, pathContains?, mode="drop"|"stall", stallSeconds=60}
                                                  the matching Graph request (after `skip` others) is carried
                                                  out, then its answer is lost: "drop" closes the connection,
                                                  "stall" holds it (knobs.loseAnswer.stalled turns true) until
                                                  the client gives up or is killed, then closes it
  POST /_admin/edit {collection, id, set?, assignments?, root?, connectorGroup?}
                                                  change an object behind the module's back
  POST /_admin/groups {id, displayName}           add a group to the tenant
  POST /_admin/identities {appRoles?, deviceLogin?}   the lab app's granted application permissions; the lab
                                                  user who completes device code sign-ins (null: nobody does)

Who calls (tokens.py, permissions.py): app-only tokens carry the app's `roles`, delegated (device code) tokens
the client's `scp` and the user's `wids`; each Graph path is checked against its permission table (403 otherwise).
"""
from __future__ import annotations

import json
import re
import secrets
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from lab import topology
from lab.pki import issue_server_cert

from . import graph, permissions, scep_challenge, tokens
from .credentials import CLIENT_ID, assertion_problem, client_certificate_path, client_secret, federated_token
from .state import State

TOKEN_LIFETIME = tokens.TOKEN_LIFETIME


def graph_cert() -> tuple[str, str]:
    cert, key = issue_server_cert("graph", [topology.GRAPH["name"]], [topology.GRAPH["address"]])
    return str(cert), str(key)


def _shape(path: str) -> str:
    return re.sub(r"[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}", "{id}", path)


class Sim:
    """The simulator's shared state across the handler threads."""

    def __init__(self, state: State, base: str):
        self.state = state
        self.base = base
        self.tenant = topology.GRAPH["tenant_id"]
        self.issuer = tokens.Issuer(base, self.tenant)
        self.identities = tokens.seed_identities()
        """The lab app's granted application permissions and who completes device code sign-ins."""

    # ---- OAuth -------------------------------------------------------------------------------------------
    def openid(self, tenant: str) -> tuple[int, Any]:
        if tenant != self.tenant:
            return 400, {"error": "invalid_tenant", "error_description": f"AADSTS90002: Tenant '{tenant}' not found. "
                         "Check to make sure you have the correct tenant ID and are signing into the correct cloud."}
        root = f"{self.base}/{tenant}"
        return 200, {"token_endpoint": f"{root}/oauth2/v2.0/token",
                     "authorization_endpoint": f"{root}/oauth2/v2.0/authorize",
                     "device_authorization_endpoint": f"{root}/oauth2/v2.0/devicecode",
                     "issuer": f"{root}/v2.0", "jwks_uri": f"{root}/discovery/v2.0/keys",
                     "response_types_supported": ["code", "id_token", "token"],
                     "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt"],
                     "tenant_region_scope": "EU"}

    def token(self, tenant: str, form: dict[str, str]) -> tuple[int, Any]:
        def fail(status: int, err: str, code: int, text: str) -> tuple[int, Any]:
            return status, {"error": err, "error_description": f"AADSTS{code}: {text}\r\nTrace ID: "
                            f"{secrets.token_hex(8)}\r\nTimestamp: {time.strftime('%Y-%m-%d %H:%M:%SZ')}",
                            "error_codes": [code]}
        if tenant != self.tenant:
            return fail(400, "invalid_request", 90002, f"Tenant '{tenant}' not found.")
        if form.get("grant_type") == "urn:ietf:params:oauth:grant-type:device_code":
            return self.issuer.redeem_device_code(form.get("device_code", ""), form.get("client_id", ""),
                                                  self.identities.get("deviceLogin"))
        if form.get("grant_type") != "client_credentials":
            return fail(400, "unsupported_grant_type", 70003, "The app requested an unsupported grant type.")
        cid = form.get("client_id", "")
        if cid != CLIENT_ID:
            return fail(400, "unauthorized_client", 700016, f"Application with identifier '{cid}' was not found in "
                        f"the directory '{tenant}'.")
        if "client_assertion" in form:
            if form.get("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer":
                return fail(400, "invalid_request", 50027, "Invalid client assertion type.")
            why = assertion_problem(form["client_assertion"], f"{self.base}/{tenant}/oauth2/v2.0/token", cid)
            if why is not None:
                return fail(401, "invalid_client", 700027, f"The certificate with identifier used to sign the client "
                            f"assertion is not registered on application, or the assertion is invalid ({why}).")
        elif not secrets.compare_digest(form.get("client_secret", ""), client_secret()):
            return fail(401, "invalid_client", 7000215, "Invalid client secret provided. Ensure the secret being "
                        "sent in the request is the client secret value, not the client secret ID, for a secret "
                        f"added to app '{cid}'.")
        scope = form.get("scope", "")
        if not scope.endswith("/.default"):
            return fail(400, "invalid_scope", 1002012, f"The provided value for scope {scope} is not valid.")
        return 200, self.issuer.app_token(cid, self.identities["appRoles"])

    def device_code(self, tenant: str, form: dict[str, str]) -> tuple[int, Any]:
        if tenant != self.tenant:
            return 400, {"error": "invalid_request", "error_description": f"AADSTS90002: Tenant '{tenant}' not found."}
        return self.issuer.start_device_flow(form.get("client_id", ""), form.get("scope", ""))

    def authorized(self, header: str | None) -> tokens.Token | None:
        """The token a request carries, when it is one this tenant issued and it has not expired."""
        return self.issuer.lookup(header)

    # ---- knobs -------------------------------------------------------------------------------------------
    def throttled(self, method: str, path: str) -> graph.Reply | None:
        with self.state.lock:
            t = self.state.data["knobs"].get("throttle")
            if not t or t.get("count", 0) <= 0:
                return None
            if t.get("methods") and method not in t["methods"]:
                return None
            if t.get("pathContains") and t["pathContains"] not in path:
                return None
            t["count"] -= 1
            if t["count"] <= 0:
                self.state.data["knobs"]["throttle"] = None
            status = int(t.get("status", 429))
            headers = {"Retry-After": str(t.get("retryAfter", 1))}
        code = "TooManyRequests" if status == 429 else "ServiceUnavailable"
        return graph.error_reply(status, code, "Too many requests, retry later." if status == 429 else
                                 "The service is temporarily unavailable.", headers)

    def lose_answer(self, method: str, path: str) -> dict | None:
        """The loseAnswer knob's settings when this request's answer is to be lost (counts the request)."""
        with self.state.lock:
            k = self.state.data["knobs"].get("loseAnswer")
            if not k or k.get("count", 1) <= 0:
                return None
            if k.get("methods") and method not in k["methods"]:
                return None
            if k.get("pathContains") and k["pathContains"] not in path:
                return None
            if k.get("skip", 0) > 0:
                k["skip"] -= 1
                self.state.save()
                return None
            k["count"] = k.get("count", 1) - 1
            k["lost"] = k.get("lost", 0) + 1
            if k.get("mode") == "stall":
                k["stalled"] = True
            self.state.save()
            return dict(k)

    def admin(self, method: str, path: str, body: Any) -> tuple[int, Any]:
        st = self.state
        with st.lock:
            if path == "/_admin/reset" and method == "POST":
                st.reset()
                self.identities = tokens.seed_identities()
                return 200, {"ok": True}
            if path == "/_admin/identities" and method == "POST":
                self.identities.update({k: v for k, v in (body or {}).items() if k in self.identities})
                return 200, dict(self.identities)
            if path == "/_admin/state" and method == "GET":
                return 200, st.snapshot()
            if path == "/_admin/stats" and method == "GET":
                return 200, dict(st.stats)
            knobs = {"/_admin/throttle": "throttle", "/_admin/replication": "replication",
                     "/_admin/fail-after-create": "failAfterCreate", "/_admin/lose-answer": "loseAnswer"}
            if path in knobs and method == "POST":
                st.data["knobs"][knobs[path]] = body or None
                st.save()
                return 200, {"ok": True}
            if path == "/_admin/groups" and method == "POST":
                st.data["groups"][str(body["id"]).lower()] = body.get("displayName", "")
                st.save()
                return 200, {"ok": True}
            if path == "/_admin/edit" and method == "POST":
                coll = st.data.get(body.get("collection", ""))
                obj = coll.get(body.get("id")) if isinstance(coll, dict) else None
                if obj is None:
                    return 404, {"error": "no such object"}
                for k, v in (body.get("set") or {}).items():
                    if isinstance(v, dict) and isinstance(obj.get(k), dict):
                        obj[k].update(v)
                    else:
                        obj[k] = v
                if "assignments" in body:
                    st.data["assignments"][obj["id"]] = sorted({g.lower() for g in body["assignments"]})
                if "targets" in body:
                    st.data["assignmentTargets"][obj["id"]] = list(body["targets"])
                if "root" in body:
                    st.data["rootLinks"][obj["id"]] = body["root"]
                if "connectorGroup" in body:
                    st.data["appConnectorGroup"][obj["id"]] = body["connectorGroup"]
                st.save()
                return 200, obj
        return 404, {"error": f"unknown admin path {method} {path}"}


class Handler(BaseHTTPRequestHandler):
    server_version = "graph-sim/1.0"
    protocol_version = "HTTP/1.1"
    sim: Sim

    def log_message(self, fmt: str, *args: Any) -> None:  # quiet; the access log goes to the log file
        if getattr(self.server, "verbose", False):
            super().log_message(fmt, *args)

    def _send(self, status: int, body: Any = None, headers: dict[str, str] | None = None) -> None:
        data = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        if data:
            self.send_header("Content-Type", "application/json; odata.metadata=minimal")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if data:
            self.wfile.write(data)

    def _body(self) -> bytes:
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def _dispatch(self) -> None:
        sim: Sim = self.server.sim  # type: ignore[attr-defined]
        parts = urlsplit(self.path)
        path, raw = parts.path, self._body()
        m = re.fullmatch(r"/([^/]+)/v2\.0/\.well-known/openid-configuration", path)
        if m and self.command == "GET":
            return self._send(*sim.openid(m.group(1)))
        m = re.fullmatch(r"/([^/]+)/oauth2/v2\.0/(token|devicecode)", path)
        if m and self.command == "POST":
            form = {k: v[-1] for k, v in parse_qs(raw.decode(errors="replace")).items()}
            verb = sim.token if m.group(2) == "token" else sim.device_code
            return self._send(*verb(m.group(1), form))
        if path.startswith("/_admin/"):
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                return self._send(400, {"error": "body is not JSON"})
            return self._send(*sim.admin(self.command, path, body))
        if path.startswith(scep_challenge.PREFIX):  # Intune's SCEP challenge service (lab only)
            return self._send(*scep_challenge.route(sim.state, self.command, path, raw, self.headers))
        sim.state.count(f"{self.command} {_shape(path)}")
        caller = sim.authorized(self.headers.get("Authorization"))
        if caller is None:
            r = graph.error_reply(401, "InvalidAuthenticationToken", "Access token is empty or invalid.")
            return self._send(r.status, r.body, {**r.headers, "WWW-Authenticate": 'Bearer realm=""'})
        r = sim.throttled(self.command, path)
        if r is not None:
            return self._send(r.status, r.body, r.headers)
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            r = graph.error_reply(400, "BadRequest", "Unable to read JSON request payload.")
            return self._send(r.status, r.body, r.headers)
        try:
            permissions.check(caller, self.command, path, body)  # who may call this, per Graph's tables
        except graph.GraphFault as f:
            sim.state.count(f"403 {self.command} {_shape(path)} by {caller.who}")
            r = graph.error_reply(f.status, f.code, f.message)
            return self._send(r.status, r.body, r.headers)
        req = graph.Request(self.command, path, graph.parse_query(parts.query), body, sim.base)
        with sim.state.lock:
            try:
                r = graph.handle(sim.state, req)
            except graph.GraphFault as f:
                r = graph.error_reply(f.status, f.code, f.message)
            if self.command != "GET" or sim.state.data["hidden"]:
                sim.state.save()
        lost = sim.lose_answer(self.command, path) if r.status < 400 else None
        if lost is not None:  # the work is done; the answer never arrives
            if lost.get("mode") == "stall":
                time.sleep(float(lost.get("stallSeconds", 60)))
            self.close_connection = True
            return None
        self._send(r.status, r.body, {"request-id": r.headers.get("request-id", ""), **r.headers})

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _dispatch


class TlsServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, addr: tuple[str, int], handler: type, cert: str, key: str):
        super().__init__(addr, handler)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        self.socket = ctx.wrap_socket(self.socket, server_side=True)


def make_graph_server(state: State, address: str | None = None, port: int | None = None) -> TlsServer:
    address = address or topology.GRAPH["address"]
    port = port or topology.GRAPH["https_port"]
    cert, key = graph_cert()
    srv = TlsServer((address, port), Handler, cert, key)
    base = f"https://{address}" + ("" if port == 443 else f":{port}")
    srv.sim = Sim(state, base)  # type: ignore[attr-defined]
    return srv


def serve_forever(servers: list[TlsServer]) -> None:
    threads = [threading.Thread(target=s.serve_forever, daemon=True) for s in servers]
    for t in threads:
        t.start()
    while all(t.is_alive() for t in threads):  # short joins: SIGTERM is handled at once
        threads[0].join(0.5)


__all__ = ["CLIENT_ID", "Sim", "client_certificate_path", "client_secret", "federated_token", "make_graph_server",
           "serve_forever"]
