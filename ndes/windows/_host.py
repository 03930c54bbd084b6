"""WindowsHost: run the project's scripts on one host over WinRM, and restart it.

Per script run: Command (the fixed bootstrap), Send (the one stdin line, end of input), Receive until the
command is done, Signal (terminate, to free it on the host): four HTTP requests on the process's shell of that
host (plus Create shell and the NTLM handshake once per process and host).

Retries: one, and only where it cannot do a change twice: a connection that broke before the host accepted
the command's input (opening the shell, Command), a shell the host no longer knows (restarted host), or any
break while running a get-mode script (reads change nothing).

Stdin is a pipe (WINRS_CONSOLEMODE_STDIN=FALSE): PowerShell fills `$input`, which the bootstrap reads, only
from redirected stdin; with console-mode stdin the script would see no input (Ansible's WinRM connection passes
console_mode_stdin=False whenever it sends input, ansible/ansible lib/ansible/plugins/connection/winrm.py).

Timeouts: a get-mode script that outlasts its timeout is terminated (Signal) and OperationTimeout raised. A
set-mode script is never terminated (a terminated install leaves a half-finished configuration): the client
stops waiting, keeps the shell (deleting a shell ends its processes; the next commands on it keep it from
idling out) and raises StillRunning; the caller then polls the host's state (`settle`).
"""
from __future__ import annotations

import json
import time
from typing import Any

from winrm.exceptions import WinRMOperationTimeoutError

from . import _scripts
from ._endpoint import Endpoint
from ._exceptions import (AuthenticationFailed, OperationTimeout, ScriptFailed, StillRunning, TlsFailure,
                          Unreachable, WindowsHostError)
from ._session import Dropped, forget, is_shell_gone, map_error, scrub, session_for

__all__ = ["WindowsHost"]

STDIN_CHUNK = 48 * 1024
"""Bytes of stdin per Send (base64 in the SOAP body stays well under the 150 KiB envelope limit)."""
REBOOT_SCRIPT = "HostBoot"


SECRET_PARAM_WORDS = ("password", "secret", "pfx", "privatekey", "credential")
"""A script parameter whose name holds one of these (any case) is a secret: never echoed in an error."""


def scrub_params(text: str, params: Any) -> str:
    """`text` with the value of every secret parameter (at any depth of `params`) replaced by ***."""
    def secrets(value: Any, secret: bool = False):
        if isinstance(value, dict):
            for k, v in value.items():
                # a credential's user name is not a secret (messages name the account); its password is
                named = any(w in str(k).lower() for w in SECRET_PARAM_WORDS) and str(k).lower() != "username"
                yield from secrets(v, (secret and str(k).lower() != "username") or named)
        elif isinstance(value, (list, tuple)):
            for v in value:
                yield from secrets(v, secret)
        elif secret and isinstance(value, str) and value:
            yield value
    for value in sorted(set(secrets(params)), key=len, reverse=True):
        text = text.replace(value, "***")
    return text


class WindowsHost:
    """A Windows host reached over WinRM. Cheap to create: the connection lives in a per-process cache."""

    def __init__(self, endpoint: Endpoint):
        self.endpoint = endpoint

    def __repr__(self) -> str:
        return f"WindowsHost({self.endpoint.host!r})"

    # ------------------------------------------------------------------------------------------ scripts
    def run_script(self, name: str, params: dict, *, timeout: int | None = None) -> dict:
        """Run script `name` with `params`; return its JSON result.

        Raises ScriptFailed (the script's own error, with script, host, message, category), AuthenticationFailed,
        TlsFailure, Unreachable (including a dropped connection that was not safe to retry), OperationTimeout.
        """
        line = _scripts.stdin_line(name, params)
        deadline = time.monotonic() + (timeout or self.endpoint.operation_timeout)
        read_only = params.get("mode") == "get"
        doing = f"run script '{name}'"
        for attempt in (1, 2):
            try:
                stdout, stderr, code = self._run_once(line, doing, deadline, terminate=read_only)
                break
            except Dropped as exc:
                if attempt == 1 and (read_only or not exc.accepted):
                    session_for(self.endpoint).reset()
                    continue
                note = "" if read_only or not exc.accepted else \
                    " (the script may have run: run again to converge, it is idempotent)"
                raise Unreachable(str(exc) + note, host=self.endpoint.host) from exc
        try:
            return self._parse(name, stdout, stderr, code)
        except ScriptFailed as exc:
            message = scrub_params(exc.message, params)
            if message == exc.message:
                raise
            raise ScriptFailed(name, self.endpoint.host, message, exc.category) from None

    def _run_once(self, line: str, doing: str, deadline: float, terminate: bool = True) -> tuple[bytes, bytes, int]:
        sess = session_for(self.endpoint)
        command, args = _scripts.bootstrap_command()
        data = line.encode("ascii")
        with sess.lock:
            accepted = False
            try:
                try:
                    shell = sess.shell()
                    command_id = sess.protocol.run_command(shell, command, args, console_mode_stdin=False,
                                                           skip_cmd_shell=True)
                except Exception as exc:
                    if not is_shell_gone(exc):
                        raise
                    sess.reset()  # the host restarted or closed the idle shell: a new one, nothing ran
                    shell = sess.shell()
                    command_id = sess.protocol.run_command(shell, command, args, console_mode_stdin=False,
                                                           skip_cmd_shell=True)
                accepted = True
                for start in range(0, len(data), STDIN_CHUNK):
                    chunk = data[start:start + STDIN_CHUNK]
                    sess.protocol.send_command_input(shell, command_id, chunk,
                                                     end=start + STDIN_CHUNK >= len(data))
                out, err, code = self._receive(sess, shell, command_id, doing, deadline, terminate)
            except (WindowsHostError, Dropped):
                raise
            except Exception as exc:
                mapped = map_error(exc, self.endpoint, doing, accepted=accepted)
                if isinstance(mapped, Dropped):
                    sess.reset()
                raise mapped from exc
            try:
                sess.protocol.cleanup_command(shell, command_id)
            except Exception:  # the result is in hand; a failed Signal only leaves the command to the host
                pass
            return out, err, code

    def _receive(self, sess, shell: str, command_id: str, doing: str, deadline: float,
                 terminate: bool = True) -> tuple[bytes, bytes, int]:
        out, err = [], []
        while True:
            if time.monotonic() > deadline and not terminate:  # a change under way: never cut it short
                raise StillRunning(f"failed to {doing} on {self.endpoint.host}: no result within the timeout; it "
                                   "goes on there (not terminated)", host=self.endpoint.host)
            if time.monotonic() > deadline:
                try:
                    sess.protocol.cleanup_command(shell, command_id)
                except Exception:
                    pass
                raise OperationTimeout(f"failed to {doing} on {self.endpoint.host}: no result within the "
                                       "timeout (it may still be running there)", host=self.endpoint.host)
            try:
                o, e, code, done = sess.protocol.get_command_output_raw(shell, command_id)
            except WinRMOperationTimeoutError:
                continue
            out.append(o)
            err.append(e)
            if done:
                return b"".join(out), b"".join(err), code

    def _parse(self, name: str, stdout: bytes, stderr: bytes, code: int) -> dict:
        host = self.endpoint.host
        text = stdout.decode("utf-8-sig", errors="replace").strip()  # a BOM, should a host emit one
        doc: Any = None
        if text:
            try:
                doc = json.loads(text.splitlines()[-1])
            except ValueError:
                doc = None
        if isinstance(doc, dict) and isinstance(doc.get("error"), dict):
            err = doc["error"]
            raise ScriptFailed(name, host, scrub(str(err.get("message") or "unknown error"), self.endpoint),
                               str(err.get("category") or "NotSpecified"))
        if code != 0 or not isinstance(doc, dict):
            detail = scrub((stderr.decode("utf-8", errors="replace").strip() or text)[:500], self.endpoint)
            raise ScriptFailed(name, host, f"exit code {code} without a JSON result" +
                               (f": {detail}" if detail else ""), "NotSpecified")
        doc.setdefault("changed", False)
        doc.setdefault("state", {})
        doc.setdefault("rebootRequired", False)
        doc.setdefault("warnings", [])
        return doc

    def settle(self, probe, done, *, what: str, budget: float = 1800.0, first: float = 2.0,
               longest: float = 30.0) -> Any:
        """Poll `probe()` (a get-mode read of the host's state) with backoff until `done(state)`, after a set-mode
        script raised StillRunning; returns the last state. OperationTimeout after `budget` seconds. Each poll is
        a command on the same shell, which keeps the shell (and the running script in it) from idling out."""
        deadline = time.monotonic() + budget
        wait = first
        while True:
            state = probe()
            if done(state):
                return state
            if time.monotonic() + wait > deadline:
                raise OperationTimeout(f"{what} on {self.endpoint.host} did not finish within {int(budget)} s "
                                       "(it may still be running there, or have failed: see the host's event log; "
                                       "run `pulumi up` again to converge)", host=self.endpoint.host)
            time.sleep(wait)
            wait = min(wait * 2, longest)

    # ------------------------------------------------------------------------------------------ restart
    def boot_id(self) -> str:
        """An identifier of the current boot (changes with every restart)."""
        return str(self.run_script(REBOOT_SCRIPT, {"mode": "get"})["state"]["bootId"])

    def reboot_and_wait(self, timeout: int = 900, poll: float = 2.0, resend_after: float = 120.0) -> None:
        """Restart the host (Restart-Computer through a script) and return once WinRM answers again with a
        new boot id. Raises OperationTimeout when it does not come back within `timeout` seconds.

        The restart request is sent again when the host answers with its old boot although it cannot be shutting
        down: at once when the request never reached it (the connection was refused before the host accepted the
        command: WinRM restarting, a network blip), else after `resend_after` seconds of old-boot answers (the
        request's answer was lost and so, it seems, was the request). A host already shutting down refuses a
        second Restart-Computer ("A system shutdown is in progress"): that error only means to keep waiting."""
        host = self.endpoint.host
        before = self.boot_id()
        ran = self._request_restart()
        sent = time.monotonic()
        forget(self.endpoint, close=False)  # the restart takes the shell with it
        deadline = time.monotonic() + timeout
        last = "no answer yet"
        while time.monotonic() < deadline:
            time.sleep(poll)
            try:
                if self.boot_id() != before:
                    return
                last = "it still runs the boot it had before the restart"
                if ran is False or time.monotonic() - sent >= resend_after:
                    last += " (the restart request was sent again)"
                    sent = time.monotonic()
                    try:
                        ran = self._request_restart()
                    except ScriptFailed as exc:  # a shutdown already in progress: keep waiting
                        ran, last = None, str(exc)
                    forget(self.endpoint, close=False)
            except (AuthenticationFailed, TlsFailure, ScriptFailed):
                raise
            except WindowsHostError as exc:
                last = str(exc)
                forget(self.endpoint, close=False)
        raise OperationTimeout(f"failed to restart {host}: WinRM did not come back with a new boot within "
                               f"{timeout} s ({last})", host=host)

    def _request_restart(self) -> bool | None:
        """Send the restart request: True when the host answered (Restart-Computer ran), False when it certainly
        did not run (refused before the host accepted the command), None when it may have (the answer was lost,
        as a restart often cuts it short). A ScriptFailed (a shutdown already in progress) raises."""
        try:
            self.run_script(REBOOT_SCRIPT, {"mode": "set", "restart": True})
            return True
        except OperationTimeout:
            return None
        except Unreachable as exc:
            cause = exc.__cause__
            return False if isinstance(cause, Dropped) and not cause.accepted else None

