"""One WinRM shell per endpoint per process, and the mapping of pywinrm/requests errors to ours.

`session_for(endpoint)` returns the process-wide `_Session` of that endpoint (created on first use): one
pywinrm Protocol (one requests session, so one authenticated HTTPS connection) and one open shell reused by
every command; all are closed at interpreter exit. Commands on one session are serialised by its lock.
"""
from __future__ import annotations

import atexit
import hashlib
import os
import tempfile
import threading
from pathlib import Path

import requests
from winrm import transport as _transport
from winrm.exceptions import InvalidCredentialsError, WinRMError, WinRMTransportError, WSManFaultError
from winrm.protocol import Protocol
from winrm.transport import Transport

from ._endpoint import Endpoint
from ._exceptions import AuthenticationFailed, TlsFailure, Unreachable, WindowsHostError

RECEIVE_POLL_SECONDS = 20
"""WS-Man OperationTimeout of one Receive long-poll; the HTTP read timeout is this plus a margin."""
SHELL_NOT_FOUND = 2150858843
"""WSManFault code Windows answers for a ShellId it does not know (restarted host, idle shell closed)."""

_sessions: dict[tuple, "_Session"] = {}
_sessions_lock = threading.Lock()
_ca_dir: Path | None = None


_ca_lock = threading.Lock()


def _ca_file(pem: str) -> str:
    """A private file holding `pem` (requests verifies against a path), one per distinct bundle. The engine runs
    up to four provider operations at once in one process: the lock keeps them from racing on the same file."""
    with _ca_lock:
        return _ca_file_locked(pem)


def _ca_file_locked(pem: str) -> str:
    global _ca_dir
    if _ca_dir is None:
        _ca_dir = Path(tempfile.mkdtemp(prefix="ndes-winrm-ca-"))
        atexit.register(_remove_ca_dir, _ca_dir)
        # atexit runs last-registered first: close the shells while the CA file they verify against still exists
        atexit.unregister(close_all)
        atexit.register(close_all)
    path = _ca_dir / (hashlib.sha256(pem.encode()).hexdigest()[:32] + ".pem")
    if not path.exists():
        tmp = path.with_suffix(".tmp")
        tmp.write_text(pem)
        os.replace(tmp, path)
    return str(path)


def _remove_ca_dir(path: Path) -> None:
    for f in path.glob("*"):
        f.unlink(missing_ok=True)
    path.rmdir()


SHELL_IDLE_TIMEOUT = "PT120.000S"
"""The shell's IdleTimeOut. The engine ends a dynamic provider's process without running its exit handlers, so a
reused shell is never closed by us; Windows closes it after this idle time instead of its default two hours, so a
busy pipeline never reaches MaxShellsPerUser (30). A shell closed while still wanted is replaced transparently
(the host answers "shell not found" before anything ran)."""


class _DirectTransport(Transport):
    """pywinrm's Transport whose requests session goes to the host directly and never reads or writes the process
    environment while it sends.

    pywinrm's own "no proxy" (Protocol(proxy=None)) hands requests the proxies {"no_proxy": "*"}; requests then
    sets os.environ["no_proxy"] and deletes it again around every request it sends (requests.utils
    should_bypass_proxies / set_environ, not thread-safe: https://github.com/psf/requests/issues/4997). The engine
    runs several provider operations at once in one process (threads): a thread reading the environment
    (urllib's getproxies_environment, under requests' resolve_proxies in every request of another host's session)
    while another deletes the variable fails with KeyError: 'no_proxy'; a recovery refresh (reads on the CA and
    NDES hosts at once) failed so in the crash matrix (issue 18, tests/unit/test_winrm_environment.py).
    Built with proxy "legacy_requests" (requests gets no proxies of ours, so it writes no variable), then trust_env
    off and no proxies: every request goes direct, as proxy=None meant."""

    def build_session(self) -> requests.Session:
        if self.session is not None:
            return self.session
        self.proxy = "legacy_requests"
        _transport.DISPLAYED_PROXY_WARNING = True  # its once-a-process warning that we use the environment's proxy:
        session = super().build_session()          # we do not (the proxies are dropped below)
        session.trust_env = False
        session.proxies = {}
        return session


class Dropped(Exception):
    """The connection broke or timed out during a request (mapped to Unreachable by the caller, which decides
    whether a retry is safe). `accepted`: the host may have started the command."""

    def __init__(self, cause: str, accepted: bool) -> None:
        super().__init__(cause)
        self.accepted = accepted


class _Session:
    def __init__(self, endpoint: Endpoint) -> None:
        self.endpoint = endpoint
        self.lock = threading.Lock()
        self._protocol: Protocol | None = None
        self.shell_id: str | None = None

    @property
    def protocol(self) -> Protocol:
        if self._protocol is None:
            ep = self.endpoint
            validate = "ignore" if ep.insecure_skip_tls_verify else "validate"
            protocol = Protocol(
                endpoint=ep.url, transport=ep.auth, username=ep.username, password=ep.password,
                server_cert_validation=validate,
                ca_trust_path=_ca_file(ep.ca_bundle_pem) if ep.ca_bundle_pem else None,
                operation_timeout_sec=RECEIVE_POLL_SECONDS, read_timeout_sec=RECEIVE_POLL_SECONDS + 10,
                proxy=None)
            protocol.transport.__class__ = _DirectTransport  # Protocol builds its Transport itself; no proxy either way
            self._protocol = protocol
        return self._protocol

    def shell(self) -> str:
        if self.shell_id is None:
            self.shell_id = self.protocol.open_shell(noprofile=True, codepage=65001, idle_timeout=SHELL_IDLE_TIMEOUT)
        return self.shell_id

    def reset(self) -> None:
        """Forget the shell and the connection (after a drop or a restart); the next call opens new ones."""
        self.shell_id = None
        if self._protocol is not None:
            self._protocol.transport.close_session()
        self._protocol = None

    def close(self) -> None:
        if self._protocol is not None and self.shell_id is not None:
            try:
                self._protocol.close_shell(self.shell_id)
            except Exception:  # closing at exit: the host may be gone; nothing to report to
                pass
        self.shell_id = None
        self._protocol = None


def _key(endpoint: Endpoint) -> tuple:
    return (endpoint.url, endpoint.username, hashlib.sha256(endpoint.password.encode()).hexdigest(),
            endpoint.auth, endpoint.ca_bundle_pem, endpoint.insecure_skip_tls_verify)


def session_for(endpoint: Endpoint) -> _Session:
    key = _key(endpoint)
    with _sessions_lock:
        sess = _sessions.get(key)
        if sess is None:
            sess = _sessions[key] = _Session(endpoint)
        return sess


def forget(endpoint: Endpoint, *, close: bool = True) -> None:
    """Drop the cached session of `endpoint`: closing its shell, or (close=False, after a restart took the
    shell with it) only forgetting it and its connection."""
    with _sessions_lock:
        sess = _sessions.pop(_key(endpoint), None)
    if sess is not None:
        sess.close() if close else sess.reset()


@atexit.register
def close_all() -> None:
    with _sessions_lock:
        sessions = list(_sessions.values())
        _sessions.clear()
    for sess in sessions:
        sess.close()


def scrub(text: str, endpoint: Endpoint) -> str:
    if endpoint.password:
        text = text.replace(endpoint.password, "***")
    return text


def map_error(exc: BaseException, endpoint: Endpoint, doing: str, *, accepted: bool) -> Exception:
    """Our exception for a pywinrm/requests failure while `doing` ("run script 'X'") on the endpoint's host.
    Returns `Dropped` for a broken connection (the caller decides on a retry), else a WindowsHostError."""
    host = endpoint.host
    prefix = f"failed to {doing} on {host}"
    if isinstance(exc, InvalidCredentialsError):
        return AuthenticationFailed(
            f"{prefix}: the host refused the credentials of '{endpoint.username}' ({endpoint.auth}); check the "
            "WinRM user name and password", host=host)
    if isinstance(exc, requests.exceptions.SSLError):
        return TlsFailure(f"{prefix}: the TLS certificate of {endpoint.url} did not verify: "
                          f"{scrub(_root_cause(exc), endpoint)} (set caBundle to the CA that issued the "
                          "host's WinRM certificate, and connect by a name the certificate holds)", host=host)
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return Dropped(f"{prefix}: connecting to {endpoint.url} timed out", accepted=False)
    if isinstance(exc, requests.exceptions.ConnectionError) and _refused(exc):
        return Dropped(f"{prefix}: {endpoint.url} refused the connection", accepted=False)
    if isinstance(exc, (requests.exceptions.ConnectionError, requests.exceptions.ChunkedEncodingError,
                        requests.exceptions.Timeout)):
        return Dropped(f"{prefix}: the connection to {endpoint.url} broke: {scrub(_root_cause(exc), endpoint)}",
                       accepted=accepted)
    if isinstance(exc, WSManFaultError):
        hint = ""
        if str(exc.wsman_fault_code) == "5":  # WinRM lets only the host's Administrators open a shell
            hint = (f" ({endpoint.username} is not in {host}'s local Administrators: add it there, or give this host "
                    "its own account: ndes:ca.winrm / ndes:ndesHosts[i].winrm username and password)")
        return WindowsHostError(f"{prefix}: WS-Management fault {exc.wsman_fault_code or exc.code}: "
                                f"{scrub(str(exc.reason).strip(), endpoint)}{hint}", host=host)
    if isinstance(exc, WinRMTransportError):
        body = scrub((exc.response_text or "").strip(), endpoint)[:300]
        return Unreachable(f"{prefix}: {endpoint.url} answered HTTP {exc.code}" + (f": {body}" if body else ""),
                           host=host)
    if isinstance(exc, WinRMError):
        return WindowsHostError(f"{prefix}: {scrub(str(exc), endpoint)}", host=host)
    return WindowsHostError(f"{prefix}: {type(exc).__name__}: {scrub(str(exc), endpoint)}", host=host)


def _root_cause(exc: BaseException) -> str:
    seen = exc
    while seen.__cause__ is not None or (seen.__context__ is not None and not seen.__suppress_context__):
        seen = seen.__cause__ or seen.__context__  # type: ignore[assignment]
    text = str(seen) or type(seen).__name__
    for arg in getattr(exc, "args", ()):
        reason = getattr(arg, "reason", None)
        if reason is not None:
            text = str(reason)
    return text


def _refused(exc: BaseException) -> bool:
    cur: BaseException | None = exc
    while cur is not None:
        if isinstance(cur, ConnectionRefusedError):
            return True
        for arg in getattr(cur, "args", ()):
            if isinstance(arg, BaseException) and _refused(arg):
                return True
            reason = getattr(arg, "reason", None)
            if isinstance(reason, BaseException) and _refused(reason):
                return True
        cur = cur.__cause__ or cur.__context__
    return False


def is_shell_gone(exc: BaseException) -> bool:
    return isinstance(exc, WSManFaultError) and exc.wsman_fault_code == SHELL_NOT_FOUND
