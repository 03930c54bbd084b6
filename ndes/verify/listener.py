"""Whether a Windows host's WinRM HTTPS listener answers, before any script is run on it.

Windows Server runs the WinRM service but configures no listener by default
(learn.microsoft.com/windows/win32/winrm/installation-and-configuration-for-windows-remote-management), so a
host nobody prepared refuses the connection on 5986. That is the first thing a new environment meets; the fix is
the one-time host preparation (`ndes host-prep`, docs/getting-started.md), named with the host. The other checks
of a host without a listener are not attempted (one cause, one message).
"""
from __future__ import annotations

import socket
from urllib.parse import urlsplit

from .result import Result, fail, ok

CHECK = "WinRM HTTPS listener"


def skipped_key(area: str) -> tuple[str, str]:
    return ("no-listener", area)


def host_prep_command(host: str) -> str:
    return f"ndes host-prep --host {host} --management-range <this machine's network, CIDR>"


def winrm_listener(area: str, host: str, url: str, cache: dict, timeout: float = 10.0) -> list[Result]:
    parts = urlsplit(url)
    address, port = parts.hostname or host, parts.port or (5986 if parts.scheme == "https" else 5985)
    try:
        socket.create_connection((address, port), timeout=timeout).close()
    except socket.gaierror as exc:
        cache[skipped_key(area)] = host
        return [fail(area, CHECK, f"{address} does not resolve ({exc.strerror})",
                     f"register {address} in DNS, or fix the host's WinRM URL in the stack config")]
    except OSError as exc:
        cache[skipped_key(area)] = host
        why = "connection refused" if isinstance(exc, ConnectionRefusedError) else (exc.strerror or str(exc))
        return [fail(area, CHECK, f"nothing answers on {address}:{port} ({why}): {host} has no WinRM HTTPS listener, "
                     f"or a firewall blocks {port} from here",
                     f"prepare {host} once: `{host_prep_command(host)}` writes HostPrep.ps1 and the command an "
                     "administrator runs on the host (docs/getting-started.md, step 2)")]
    return [ok(area, CHECK, f"{address}:{port} accepts connections")]


def not_checked(area: str, what: str, host: str) -> Result:
    return fail(area, what, f"not checked: {host} has no WinRM HTTPS listener (see its first check)",
                f"`{host_prep_command(host)}`, run the script on {host}, then verify again")
