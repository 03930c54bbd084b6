"""GraphClient: authenticated JSON requests to Microsoft Graph with bounded retries.

- 429 / 503 / 504: wait `Retry-After` (seconds or an HTTP date; exponential backoff when absent) and retry,
  within RetryPolicy.throttle_attempts and .throttle_seconds; past either, `Throttled` names what was throttled.
- 404 on an id that was just created (`wait_for=True`): retried within .not_found_attempts / .not_found_seconds
  (Graph replicates new objects slowly), then `NotFound`.
- 500 / 502 to an idempotent request: retried with exponential backoff within the same budget (a POST is
  never retried: it may have done the work, the caller looks first).
- A certificate that cannot be verified is final (`TlsFailure`, naming ndes:graph.caBundle): no retry.
- Graph errors become the exception tree in errors.py with code, message and request-id.
- `list()` follows `@odata.nextLink` only on the Graph endpoint's own origin (scheme, host, port): the bearer
  token never goes to another host.
- The httpx transport is a constructor argument: a test wraps it to count or inspect requests.
"""
from __future__ import annotations

import email.utils
import ssl
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable
from urllib.parse import quote, urlsplit

import httpx

from .clouds import endpoints
from .credentials import TokenSource
from .errors import AccessDenied, BadRequest, Conflict, GraphError, NotFound, Throttled, TlsFailure, Unavailable
from .settings import GraphSettings
from .tls import httpx_verify

THROTTLE_STATUSES = (429, 503, 504)
SERVER_ERRORS = (500, 502)
"""Retried for idempotent requests only, with backoff (Graph's guidance: transient; Retry-After rarely set)."""
IDEMPOTENT = ("GET", "PUT", "PATCH", "DELETE")


def quote_id(value: str) -> str:
    """A Graph id (or any value) as one URL path segment."""
    return quote(str(value), safe="")


def odata_literal(value: str) -> str:
    """An OData string literal: quotes doubled, then enclosed ('O''Brien')."""
    return "'" + str(value).replace("'", "''") + "'"


@dataclass(frozen=True)
class Op:
    """What a request does, for error messages: verb ('create'), kind ('SCEP profile'), id (name or id)."""

    verb: str
    kind: str
    ident: str = ""


def _retry_after(resp: httpx.Response) -> float | None:
    raw = resp.headers.get("Retry-After")
    if not raw:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _origin(url: str) -> tuple[str, str, int]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    return scheme, (parts.hostname or "").lower(), parts.port or (443 if scheme == "https" else 80)


def _tls_cause(exc: BaseException) -> ssl.SSLError | None:
    """The TLS error behind a transport error (httpx wraps ssl's), if that is what it was."""
    seen: set[int] = set()
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        if isinstance(cur, ssl.SSLError):
            return cur
        cur = cur.__cause__ or cur.__context__
    text = str(exc)
    if "CERTIFICATE_VERIFY_FAILED" in text or "certificate verify failed" in text:
        return ssl.SSLCertVerificationError(text)
    return None


def make_transport(settings: GraphSettings) -> httpx.BaseTransport:
    """The default transport (TLS verified unless the named insecure option is set)."""
    return httpx.HTTPTransport(verify=httpx_verify(settings.ca_bundle_pem, settings.insecure_skip_tls_verify))


class GraphClient:
    def __init__(self, settings: GraphSettings, *, transport: httpx.BaseTransport | None = None,
                 credential: Any | None = None, sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic):
        self.settings = settings
        self.endpoints = endpoints(settings.cloud, settings.graph_endpoint, settings.authority)
        self.tokens = TokenSource(settings, self.endpoints, credential)
        self._http = httpx.Client(transport=transport or make_transport(settings),
                                  timeout=settings.retry.request_timeout_seconds)
        self.sleep = sleep
        """How the client waits (a test passes a fake clock's sleep)."""
        self.clock = clock

    @property
    def target(self) -> str:
        return f"Graph ({self.endpoints.host})"

    def url(self, path: str) -> str:
        if path.startswith("https://") or path.startswith("http://"):
            return path
        return self.endpoints.graph + "/" + path.lstrip("/")

    def own_origin(self, url: str) -> bool:
        """True when the absolute URL is on the Graph endpoint's scheme, host and port."""
        return _origin(url) == _origin(self.endpoints.graph)

    # ---- verbs -------------------------------------------------------------------------------------------
    def get(self, path: str, op: Op, *, params: dict[str, str] | None = None, wait_for: bool = False) -> dict:
        return self.request("GET", path, op, params=params, wait_for=wait_for) or {}

    def list(self, path: str, op: Op, *, params: dict[str, str] | None = None, wait_for: bool = False) -> list[dict]:
        out: list[dict] = []
        page = self.request("GET", path, op, params=params, wait_for=wait_for) or {}
        while True:
            out.extend(page.get("value", []))
            nxt = page.get("@odata.nextLink")
            if not nxt:
                return out
            if not self.own_origin(str(nxt)):
                scheme, host, port = _origin(str(nxt))
                raise Unavailable(self._msg(op, f"refusing to follow @odata.nextLink to {scheme}://{host}:{port}, "
                                                f"not the Graph endpoint {self.endpoints.graph}: the access token "
                                                "goes only to Graph"))
            page = self.request("GET", nxt, op) or {}

    def post(self, path: str, op: Op, body: dict, *, idempotent: bool = False) -> dict:
        return self.request("POST", path, op, json=body, idempotent=idempotent) or {}

    def patch(self, path: str, op: Op, body: dict, *, wait_for: bool = False) -> dict:
        return self.request("PATCH", path, op, json=body, wait_for=wait_for) or {}

    def put(self, path: str, op: Op, body: dict, *, wait_for: bool = False) -> dict:
        return self.request("PUT", path, op, json=body, wait_for=wait_for) or {}

    def delete(self, path: str, op: Op, *, missing_ok: bool = True) -> bool:
        """True when something was deleted; False when it was already gone (and missing_ok)."""
        try:
            self.request("DELETE", path, op)
        except NotFound:
            if missing_ok:
                return False
            raise
        return True

    # ---- the one request loop ----------------------------------------------------------------------------
    def request(self, method: str, path: str, op: Op, *, json: Any = None, params: dict[str, str] | None = None,
                wait_for: bool = False, idempotent: bool | None = None) -> dict | None:
        pol = self.settings.retry
        idem = method in IDEMPOTENT if idempotent is None else idempotent
        start = self.clock()
        throttles = not_founds = 0
        refreshed = False
        backoff = pol.backoff_seconds
        url = self.url(path)
        if not self.own_origin(url):
            raise Unavailable(self._msg(op, f"refusing to send {method} to {url.split('?', 1)[0]}: not on the Graph "
                                            f"endpoint {self.endpoints.graph}"))
        while True:
            try:
                headers = {"Authorization": f"Bearer {self.tokens.token()}", "Accept": "application/json"}
                resp = self._http.request(method, url, json=json, params=params, headers=headers)
            except httpx.TransportError as exc:
                tls = _tls_cause(exc)
                if tls is not None:
                    reason = getattr(tls, "verify_message", None) or getattr(tls, "reason", None) or str(tls)
                    raise TlsFailure(self._msg(op, f"TLS: the certificate of {self.endpoints.host} could not be "
                                                   f"verified ({reason}); if Graph is reached through a TLS-inspecting "
                                                   "proxy or a private endpoint, give ndes:graph.caBundle the CA that "
                                                   "issued its certificate")) from exc
                throttles += 1
                cause = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
                if not idem or throttles >= pol.throttle_attempts or self.clock() - start + backoff > pol.throttle_seconds:
                    raise Unavailable(self._msg(op, f"no answer to {method} {self._short(path)} ({cause})")) from exc
                self.sleep(backoff)
                backoff = min(backoff * 2, 30.0)
                continue
            status = resp.status_code
            if status < 400:
                if status == 204 or not resp.content:
                    return None
                try:
                    return resp.json()
                except ValueError as exc:
                    raise Unavailable(self._msg(op, f"{method} {self._short(path)} answered {status} with a "
                                                    "body that is not JSON")) from exc
            if status == 401 and not refreshed:
                refreshed = True
                self.tokens.invalidate()
                continue
            if status == 429 or (status in THROTTLE_STATUSES and idem):
                # 429 means "not processed"; a 503/504 to a POST may have done the work: the caller decides.
                throttles += 1
                wait = _retry_after(resp)
                wait = backoff if wait is None else wait
                backoff = min(backoff * 2, 30.0)
                elapsed = self.clock() - start
                if throttles >= pol.throttle_attempts or elapsed + wait > pol.throttle_seconds:
                    raise self._error(resp, op, method, path, Throttled, prefix=(
                        f"throttled: Graph answered {status} to {method} {self._short(path)} {throttles} time(s) "
                        f"over {elapsed:.0f}s (last Retry-After {wait:.0f}s), past the retry budget of "
                        f"{pol.throttle_attempts} attempts / {pol.throttle_seconds:.0f}s; wait and run again "
                        "(Intune allows about 100 writes per 20 s per app and tenant)"))
                self.sleep(wait)
                continue
            if status in SERVER_ERRORS and idem:
                throttles += 1
                wait = backoff
                backoff = min(backoff * 2, 30.0)
                if throttles < pol.throttle_attempts and self.clock() - start + wait <= pol.throttle_seconds:
                    self.sleep(wait)
                    continue
                raise self._error(resp, op, method, path, Unavailable)
            if status == 404 and wait_for:
                not_founds += 1
                wait = min(0.25 * (2 ** (not_founds - 1)), 5.0)
                if not_founds < pol.not_found_attempts and self.clock() - start + wait <= pol.not_found_seconds:
                    self.sleep(wait)
                    continue
            raise self._error(resp, op, method, path)

    # ---- errors ------------------------------------------------------------------------------------------
    def _short(self, path: str) -> str:
        return path.replace(self.endpoints.graph, "").split("?", 1)[0]

    def _msg(self, op: Op, cause: str) -> str:
        ident = f" '{op.ident}'" if op.ident else ""
        return f"failed to {op.verb} {op.kind}{ident} on {self.target}: {cause}"

    def _error(self, resp: httpx.Response, op: Op, method: str, path: str, cls: type[GraphError] | None = None,
               prefix: str = "") -> GraphError:
        code = gmsg = ""
        rid = resp.headers.get("request-id") or resp.headers.get("client-request-id") or ""
        try:
            err = resp.json().get("error", {})
            code, gmsg = err.get("code", ""), err.get("message", "")
            inner = err.get("innerError") or err.get("innererror") or {}
            rid = inner.get("request-id") or rid
        except (ValueError, AttributeError):
            gmsg = resp.text[:200]
        status = resp.status_code
        if cls is None:
            cls = {400: BadRequest, 401: AccessDenied, 403: AccessDenied, 404: NotFound, 409: Conflict,
                   412: Conflict}.get(status, Unavailable)
        detail = f"{status} {code or resp.reason_phrase}: {gmsg or '(no message)'}"
        if rid:
            detail += f" (request-id {rid})"
        if cls is AccessDenied:
            detail += "; grant the app registration the Graph permission this needs and admin consent"
        cause = f"{prefix}; last answer {detail}" if prefix else f"{method} {self._short(path)} answered {detail}"
        return cls(self._msg(op, cause), status=status, code=code, graph_message=gmsg, request_id=rid)

    def close(self) -> None:
        self._http.close()


_CACHE: dict[str, GraphClient] = {}
_LOCK = threading.Lock()


def client_for(settings: GraphSettings) -> GraphClient:
    """A client per distinct settings, shared within the process (token cache and connection pool)."""
    key = settings.fingerprint()
    with _LOCK:
        c = _CACHE.get(key)
        if c is None:
            c = _CACHE[key] = GraphClient(settings)
        return c
