"""`ndes host-prep`: the one-time preparation of a Windows host (CA or NDES) before the first `pulumi preview`.

The project reaches its Windows hosts over WinRM/HTTPS (5986) only. Windows Server runs the WinRM service but
configures no listener (https://learn.microsoft.com/windows/win32/winrm/installation-and-configuration-for-windows-
remote-management: "By default, no WinRM listener is configured"), and an HTTPS listener needs a Server
Authentication certificate naming the host. So an administrator runs a script once, on the host itself:
`ndes/windows/scripts/HostPrep.ps1`, copied verbatim; every value it uses travels as one base64 JSON argument
decided here (no code is ever built from what the user typed).

    ndes host-prep --host ndes1.contoso.com --management-range 10.0.10.0/24 [--thumbprint T] [--out DIR]
"""
from __future__ import annotations

import base64
import ipaddress
import json
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from .model import thumbprints
from .model.urls import WINRM_HTTPS_PORT
from .windows._scripts import SCRIPTS_DIR

SCRIPT = SCRIPTS_DIR / "HostPrep.ps1"
COMPUTER_TEMPLATE = "Machine"
"""The built-in Computer template (its name is `Machine`); Domain Computers may enroll on it by default."""
RULE_NAME = "ndes-winrm-https-in"
RULE_DISPLAY_NAME = "Windows Remote Management (HTTPS-In) from the management range (ndes host-prep)"
LOCAL_SUBNET = "LocalSubnet"
"""New-NetFirewallRule's -RemoteAddress keyword for the host's own subnet: the default management range."""

_LABEL = r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)"
_FQDN = re.compile(rf"^{_LABEL}(\.{_LABEL})+$")


class HostPrepError(ValueError):
    pass


@dataclass(frozen=True)
class HostPrep:
    host: str
    thumbprint: str = ""
    management_range: list[str] = field(default_factory=lambda: [LOCAL_SUBNET])
    template: str = COMPUTER_TEMPLATE
    port: int = WINRM_HTTPS_PORT

    def params(self) -> dict:
        return {"hostName": self.host, "thumbprint": self.thumbprint, "template": self.template,
                "subjectName": f"CN={self.host}", "dnsNames": [self.host], "port": self.port,
                "managementRange": list(self.management_range), "ruleName": RULE_NAME,
                "ruleDisplayName": RULE_DISPLAY_NAME, "profile": "Domain"}

    def encoded(self) -> str:
        return base64.b64encode(json.dumps(self.params(), separators=(",", ":")).encode()).decode()

    def command(self) -> str:
        return f"powershell.exe -NoProfile -ExecutionPolicy Bypass -File .\\HostPrep.ps1 -Params {self.encoded()}"


def plan(host: str, thumbprint: str | None = None, management_range: list[str] | None = None,
         template: str | None = None) -> HostPrep:
    """Validated values; HostPrepError names the option and the fix."""
    host = (host or "").strip().rstrip(".").lower()
    if not _FQDN.match(host):
        raise HostPrepError(f"--host '{host}' is not a fully qualified host name (e.g. ndes1.contoso.com): the "
                            "listener's certificate and the stack's ndes:ndesHosts[i].fqdn / ndes:ca.host name it")
    thumb = thumbprints.normalized(thumbprint) or ""
    if (thumbprint or "").strip() and not thumb:
        raise HostPrepError(f"--thumbprint '{thumbprint}' is not a certificate thumbprint (40 hex digits, as "
                            "Get-ChildItem Cert:\\LocalMachine\\My shows it)")
    ranges: list[str] = []
    for r in management_range or [LOCAL_SUBNET]:
        if r.lower() == LOCAL_SUBNET.lower():
            ranges.append(LOCAL_SUBNET)
            continue
        try:
            net = ipaddress.ip_network(r, strict=True)
        except ValueError as exc:
            raise HostPrepError(f"--management-range '{r}' is not a network in CIDR form (e.g. 10.0.10.0/24): "
                                f"{exc}") from None
        if net.prefixlen == 0:
            raise HostPrepError(f"--management-range '{r}' is every address: name the management hosts' network")
        ranges.append(str(net))
    tpl = (template or COMPUTER_TEMPLATE).strip()
    if not re.fullmatch(r"[A-Za-z0-9 ._-]{1,64}", tpl):
        raise HostPrepError(f"--template '{template}' is not a certificate template name")
    return HostPrep(host=host, thumbprint=thumb, management_range=ranges, template=tpl)


def write(prep: HostPrep, out: Path) -> Path:
    """Copy the script (byte for byte) into `out`; returns its path."""
    out.mkdir(parents=True, exist_ok=True)
    target = out / SCRIPT.name
    shutil.copyfile(SCRIPT, target)
    return target


def instructions(prep: HostPrep, script: Path) -> str:
    cert = (f"the certificate {prep.thumbprint} from LocalMachine\\My" if prep.thumbprint else
            f"a certificate for {prep.host} from the domain's Enterprise CA (template {prep.template}), or the "
            "one it already holds")
    return "\n".join([
        f"wrote {script}",
        "",
        f"Copy it to {prep.host} and run, once, in an elevated Windows PowerShell in that folder:",
        "",
        f"  {prep.command()}",
        "",
        f"It starts WinRM, creates the HTTPS listener on {prep.port} with {cert}, and allows {prep.port} in from "
        f"{', '.join(prep.management_range)} only (firewall rule {RULE_NAME}). Nothing else. Re-running it is safe.",
        "",
        "Then check from the management host (read-only):",
        f"  Test-WSMan -ComputerName {prep.host} -UseSSL",
        "  ndes verify --stack <stack>",
        "Back out: Remove-Item -Path WSMan:\\localhost\\Listener\\<the HTTPS listener> -Recurse; "
        f"Remove-NetFirewallRule -Name {RULE_NAME}",
    ])
