"""WinRS shells and commands of one simulated host (in memory: a restart loses them, as on Windows)."""
from __future__ import annotations

import base64
import json
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Callable

from . import dispatch, wsman

MAX_SHELLS_PER_USER = 30  # Windows' default MaxShellsPerUser
DEFAULT_IDLE_SECONDS = 7200.0  # Windows' default Winrs IdleTimeout (7,200,000 ms)
_DURATION = re.compile(r"^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$")


def parse_duration(text: str | None) -> float | None:
    """xs:duration as WinRS takes it for IdleTimeOut (PT120.000S, PT2H); None when absent or malformed."""
    m = _DURATION.match((text or "").strip())
    if not m or not any(m.groups()):
        return None
    d, h, mi, sec = (float(g) if g else 0.0 for g in m.groups())
    return ((d * 24 + h) * 60 + mi) * 60 + sec


def _mode_of(stdin: bytes) -> str:
    """The `mode` of the params a bootstrap line carries ('' when it cannot be read): for the slow-run knob."""
    try:
        return str(json.loads(base64.b64decode(json.loads(stdin)["params"]))["mode"])
    except (ValueError, KeyError, TypeError):
        return ""


OP_TIMEOUT_FAULT = wsman.Fault("s:Receiver", "w:TimedOut", 2150858793,
                               "The WS-Management service cannot complete the operation within the time specified "
                               "in OperationTimeout. ")


@dataclass
class Command:
    id: str
    launch: dispatch.Launch
    stdin: bytearray = field(default_factory=bytearray)
    done: bool = False
    stdout: bytes = b""
    stderr: bytes = b""
    exit_code: int = 0
    delivered: bool = False
    console_stdin: bool = True
    """WINRS_CONSOLEMODE_STDIN: the child's stdin is a console (TRUE, the default) or a pipe (FALSE). PowerShell
    copies stdin into `$input` only when it is redirected, so in console mode the bootstrap reads nothing."""


@dataclass
class Shell:
    id: str
    user: str
    commands: dict[str, Command] = field(default_factory=dict)
    idle_seconds: float = DEFAULT_IDLE_SECONDS
    last_used: float = field(default_factory=time.monotonic)


class ShellHost:
    """Create / Delete / Command / Send / Receive / Signal for one host."""

    def __init__(self, name: str, role: str, address: str, port: int, lab,
                 request_reboot: Callable[[], None], knobs=None) -> None:
        self.name, self.role, self.address, self.port = name, role, address, port
        self.knobs = knobs
        self.lab = lab
        self.request_reboot = request_reboot
        self.lock = threading.Lock()
        self.shells: dict[str, Shell] = {}

    def clear(self) -> None:
        with self.lock:
            self.shells.clear()

    def _shell(self, req: wsman.Request, user: str) -> Shell:
        shell = self.shells.get((req.shell_id or "").upper())
        if shell is None or shell.user.lower() != user.lower():
            raise wsman.shell_not_found(req.shell_id or "")
        return shell

    def _reap_idle(self) -> None:
        """Close shells idle past their IdleTimeOut, as the WinRM service does (their commands die with them)."""
        now = time.monotonic()
        for sid in [sid for sid, sh in self.shells.items() if now - sh.last_used > sh.idle_seconds]:
            del self.shells[sid]

    def handle(self, req: wsman.Request, user: str) -> bytes:
        with self.lock:
            self._reap_idle()
            if req.action == "Create":
                if sum(1 for s in self.shells.values() if s.user.lower() == user.lower()) >= MAX_SHELLS_PER_USER:
                    raise wsman.too_many_shells(MAX_SHELLS_PER_USER)
                if req.find("rsp:Shell") is None:
                    raise wsman.bad_request("The WS-Management service cannot process the request: the Create "
                                            "body has no rsp:Shell. ")
                shell = Shell(str(uuid.uuid4()).upper(), user)
                idle = req.find("rsp:Shell/rsp:IdleTimeOut")
                if idle is not None:
                    seconds = parse_duration(idle.text)
                    if seconds is None:
                        raise wsman.bad_request("The WS-Management service cannot process the request: the "
                                                "IdleTimeOut value is not a valid duration. ")
                    shell.idle_seconds = seconds
                self.shells[shell.id] = shell
                return wsman.create_response(req, shell.id, f"https://{self.address}:{self.port}/wsman")
            shell = self._shell(req, user)
            shell.last_used = time.monotonic()
            if req.action == "Delete":
                del self.shells[shell.id]
                return wsman.delete_response(req)
            if req.action == "Command":
                return self._command(req, shell)
            if req.action == "Signal":
                sig = req.find("rsp:Signal")
                if sig is not None:
                    shell.commands.pop((sig.get("CommandId") or "").upper(), None)
                return wsman.signal_response(req)
            if req.action == "Send":
                stream = req.find("rsp:Send/rsp:Stream")
                if stream is None or stream.get("Name") != "stdin":
                    raise wsman.bad_request("The WS-Management service cannot process the request: Send needs an "
                                            "rsp:Stream named stdin. ")
                cmd = self._cmd(shell, stream.get("CommandId"))
                if cmd.done:
                    raise wsman.Fault("s:Sender", "w:InvalidParameter", 2150858880,
                                      "The WS-Management service cannot process the request: the input stream "
                                      "of the command is closed. ")
                cmd.stdin += base64.b64decode((stream.text or "").strip() or b"")
                end = (stream.get("End") or "").lower() == "true"
            elif req.action == "Receive":
                desired = req.find("rsp:Receive/rsp:DesiredStream")
                cmd = self._cmd(shell, None if desired is None else desired.get("CommandId"))
                end = False
            else:
                raise wsman.unknown_action(req.action)
        if req.action == "Send":
            if end:
                self._run(cmd, shell)  # outside the lock: a handler may take its time
            return wsman.send_response(req)
        return self._receive(req, cmd)

    def _cmd(self, shell: Shell, command_id: str | None) -> Command:
        cmd = shell.commands.get((command_id or "").upper())
        if cmd is None:
            raise wsman.Fault("s:Sender", "w:InvalidParameter", 2150858843 if not command_id else 2150858880,
                              f"The WS-Management service cannot process the request because the command "
                              f"{command_id} was not found in shell {shell.id}. ")
        return cmd

    def _command(self, req: wsman.Request, shell: Shell) -> bytes:
        line = req.find("rsp:CommandLine")
        if line is None:
            raise wsman.bad_request("The WS-Management service cannot process the request: the Command body has "
                                    "no rsp:CommandLine. ")
        command = (line.findtext("rsp:Command", "", wsman.NS) or "").strip()
        arguments = [a for el in line.findall("rsp:Arguments", wsman.NS) for a in (el.text or "").split()]
        launch = dispatch.launch(command, arguments)
        if not launch.is_bootstrap and req.options.get("WINRS_SKIP_CMD_SHELL", "").upper() == "TRUE" \
                and launch.refusal.startswith("'"):
            raise wsman.Fault("s:Receiver", "w:InternalError", 2147942402, "The system cannot find the file "
                                                                           "specified. ")
        cmd = Command(str(uuid.uuid4()).upper(), launch,
                      console_stdin=req.options.get("WINRS_CONSOLEMODE_STDIN", "TRUE").strip().upper() != "FALSE")
        if not launch.is_bootstrap:  # the process starts, fails at once and exits: no input needed
            cmd.stderr, cmd.exit_code, cmd.done = launch.refusal.encode(), 1, True
        shell.commands[cmd.id] = cmd
        return wsman.command_response(req, cmd.id)

    def _run(self, cmd: Command, shell: Shell) -> None:
        user = shell.user
        if self.knobs is not None and self.knobs.take_hang(self.name):
            return  # the test knob: this run never finishes
        slow = self.knobs.take_slow(self.name, _mode_of(bytes(cmd.stdin))) if self.knobs is not None else None
        if slow is not None:  # the test knob: a long run (an install), its work done at its end
            threading.Thread(target=self._run_late, args=(cmd, shell, slow), daemon=True).start()
            return
        self._execute(cmd, user)

    def _execute(self, cmd: Command, user: str) -> None:
        if cmd.launch.is_bootstrap:
            # console-mode stdin: the Send data become console input, never the script's $input
            stdin = b"" if cmd.console_stdin else bytes(cmd.stdin)
            out, err, code = dispatch.run_bootstrap(self.name, self.role, user, stdin, self.lab,
                                                    self.request_reboot, self.knobs)
        else:
            out, err, code = b"", cmd.launch.refusal.encode(), 1
        cmd.stdout, cmd.stderr, cmd.exit_code, cmd.done = out, err, code, True

    def _run_late(self, cmd: Command, shell: Shell, seconds: float) -> None:
        time.sleep(seconds)
        with self.lock:
            self._reap_idle()
            # Signal terminate, or the shell deleted (Delete, idle timeout: its processes end with it), ended the
            # process before it finished: nothing it would have done at its end is done
            alive = self.shells.get(shell.id) is shell and shell.commands.get(cmd.id) is cmd
        if alive:
            self._execute(cmd, shell.user)

    def _receive(self, req: wsman.Request, cmd: Command) -> bytes:
        if not cmd.done:
            time.sleep(0.5)
            raise OP_TIMEOUT_FAULT
        out, err = (b"", b"") if cmd.delivered else (cmd.stdout, cmd.stderr)
        cmd.delivered = True
        return wsman.receive_response(req, cmd.id, base64.b64encode(out).decode(), base64.b64encode(err).decode(),
                                      cmd.exit_code)
