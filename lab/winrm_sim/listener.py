"""A simulated host's WinRM HTTPS listener: present (the lab's hosts, as before) or not yet configured (an
unprepared host), and what the one-time HostPrep.ps1 does to it when an administrator runs it at the console.

Windows facts (docs/lab-fidelity.md, WS-Management simulator): the WinRM service runs by default on Windows Server
but "by default, no WinRM listener is configured" (learn.microsoft.com/windows/win32/winrm/installation-and-
configuration-for-windows-remote-management), so nothing accepts a connection on 5986 until an HTTPS listener
exists: a client sees the connection refused. HostPrep.ps1 cannot come over WinRM (there is none yet): the admin
API's `host-prep` stands for the administrator running it on the host; it applies the script's documented effects
(listener with the certificate, firewall rule for the port from the management range) to the host's state.

Knobs: $NDES_WINRM_SIM_UNPREPARED (comma-separated host names) starts those hosts unprepared; the admin API's
POST /unprepare {"host"} and POST /host-prep {"host", "params": <the base64 JSON ndes host-prep prints>}.
"""
from __future__ import annotations

import base64
import json
import os
from typing import Any

KEY = "wsmanListeners"
FIREWALL = "firewallRules"


def unprepared_from_env() -> set[str]:
    return {h.strip().lower() for h in os.environ.get("NDES_WINRM_SIM_UNPREPARED", "").split(",") if h.strip()}


def has_https_listener(state: dict[str, Any]) -> bool:
    """No record: a lab host as the lab always had it (prepared). A record without https: unprepared."""
    listeners = state.get(KEY)
    return listeners is None or "https" in listeners


def unprepare(state: dict[str, Any]) -> None:
    """The host as Windows Server leaves it: WinRM running, no listener (and no firewall rule for 5986)."""
    state[KEY] = {}
    (state.get(FIREWALL) or {}).pop("ndes-winrm-https-in", None)


def host_prep(state: dict[str, Any], encoded: str, host_name: str, own_thumbprint: str) -> dict[str, Any]:
    """HostPrep.ps1 run at the console: its parameters checked as the script uses them, then its effects.
    `own_thumbprint` is the simulator's certificate for this host (the one a computer-template enrollment gives)."""
    p = json.loads(base64.b64decode(encoded).decode("utf-8"))
    for key in ("hostName", "thumbprint", "template", "subjectName", "dnsNames", "port", "managementRange",
                "ruleName", "ruleDisplayName", "profile"):
        if key not in p:  # StrictMode: the script reads every one of these
            raise ValueError(f"HostPrep.ps1: The property '{key}' cannot be found on this object.")
    if str(p["hostName"]).lower() != host_name.lower():
        # the listener would carry a name its certificate does not hold: clients refuse the TLS handshake
        raise ValueError(f"HostPrep.ps1 for {p['hostName']} run on {host_name}")
    thumb = str(p["thumbprint"]) or own_thumbprint
    if thumb.upper() != own_thumbprint.upper():
        raise ValueError(f"HostPrep.ps1: no certificate with thumbprint {thumb} in Cert:\\LocalMachine\\My on this "
                         "host")
    done = []
    listeners = state.setdefault(KEY, {})
    want = {"hostname": p["hostName"], "port": int(p["port"]), "thumbprint": thumb.upper()}
    if listeners.get("https") != want:
        done.append("WinRM HTTPS listener " + ("updated" if "https" in listeners else "created"))
        listeners["https"] = want
    rules = state.setdefault(FIREWALL, {})
    if p["ruleName"] not in rules:
        rules[p["ruleName"]] = {"direction": "Inbound", "protocol": "TCP", "localPort": int(p["port"]),
                                "remoteAddress": list(p["managementRange"]), "profile": p["profile"]}
        done.append(f"firewall rule {p['ruleName']} created")
    return {"changed": bool(done), "done": done, "warnings": [],
            "state": {"hostName": p["hostName"], "thumbprint": thumb.upper(), "port": int(p["port"]),
                      "ruleName": p["ruleName"]}}
