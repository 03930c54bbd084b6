"""The NDES-host checks of Microsoft's Validate-NDESConfiguration script that `ndes verify` had not made (see
reference/findings/parity.md, table 1), from HostDiagnostics.ps1's facts: OS version (>= 6.3) and last boot, IE
Enhanced Security Configuration, the service account NOT a local Administrator (warn), no intermediate CA in
LocalMachine\\Root, the Windows features NDES needs, the host's own bare mscep.dll answering 403 (the Intune
policy module is loaded), and outbound HTTPS from the host to the Intune and App Proxy service endpoints through
its system proxy (behind a proxy, a missing setting shows as the connector's 0x80004003).
"""
from __future__ import annotations

import base64
import datetime as dt
from typing import Any

from cryptography import x509

from ..model.config import DeploymentConfig, NdesHostConfig
from ..windows.contracts import host_diagnostics as HD
from .logs import scrub_text, scrub_w3c
from .result import Result, fail, ok, warn

FEATURES = ("ADCS-Device-Enrollment", "Web-Filtering", "Web-Net-Ext45", "NET-Framework-45-Core",
            "NET-WCF-HTTP-Activation45", "Web-Metabase", "Web-WMI")
"""Validate-NDESConfiguration's list (markstan/Validate-NDESConfiguration) and the role itself."""
ENDPOINTS = ("https://login.microsoftonline.com/", "https://manage.microsoft.com/",
             "https://autoupdate.msappproxy.net/")
"""Where the connector (Entra sign-in, the Intune service) and the App Proxy connector's updater go; Validate-
NDESConfiguration tests autoupdate.msappproxy.net on 443. Public cloud."""


def _account(cfg: DeploymentConfig) -> tuple[str, str]:
    return cfg.domain.netbios_name, cfg.service_account.name


def facts(cfg: DeploymentConfig, ctx: Any, h: NdesHostConfig) -> HD.HostDiagnosticsState:
    key = ("diagnostics", h.fqdn)
    if key not in ctx.cache:
        ctx.cache[key] = HD.HostDiagnosticsState.model_validate(ctx.script(h.fqdn, h.winrm, HD.SCRIPT,
            HD.HostDiagnosticsParams(host_fqdn=h.fqdn, features=list(FEATURES), endpoints=list(ENDPOINTS)).wire()))
    return ctx.cache[key]


def _version_ok(version: str) -> bool:
    try:
        major, minor = (int(x) for x in version.split(".")[:2])
    except ValueError:
        return False
    return (major, minor) >= (6, 3)


def reboot_pending(cfg: DeploymentConfig, ctx: Any, h: NdesHostConfig) -> list[Result]:
    """A restart pending (HostBoot.ps1's facts): this project's own (HTTP.sys values wait for it) or Windows'."""
    from ..windows.contracts import host_boot as HB
    b = HB.HostBootState.model_validate(ctx.script(h.fqdn, h.winrm, HB.SCRIPT, HB.HostBootParams(mode="get").wire()))
    if b.restart_requested():
        return [warn(h.fqdn, "reboot pending", "a change this project made (HTTP.sys limits) waits for a restart",
                     "`pulumi up` with ndes:httpSys.allowReboot restarts the host, or restart it in a window")]
    if b.windows_reasons():  # patching's own flags: reported, not a problem for NDES (HostReboot never acts on them)
        return [ok(h.fqdn, "reboot pending", "Windows waits for a restart (" + ", ".join(b.windows_reasons()) +
                   "): nothing NDES needs; restart in a maintenance window")]
    return [ok(h.fqdn, "reboot pending", "none")]


def host_checks(cfg: DeploymentConfig, ctx: Any, h: NdesHostConfig) -> list[Result]:
    st = facts(cfg, ctx, h)
    out: list[Result] = []
    os_text = f"{st.os.caption} ({st.os.version})"
    out.append(ok(h.fqdn, "OS version", os_text) if _version_ok(st.os.version) else
               fail(h.fqdn, "OS version", f"{os_text}: NDES for Intune needs Windows Server 2012 R2 (6.3) or later",
                    "move NDES to a supported Windows Server"))
    boot = st.os.last_boot_up_time
    try:
        since = dt.datetime.now(dt.timezone.utc) - dt.datetime.strptime(boot, "%Y-%m-%dT%H:%M:%SZ").replace(
            tzinfo=dt.timezone.utc)
        out.append(ok(h.fqdn, "last boot", f"{boot} ({since.days} days ago): registry changes made since (HTTP.sys "
                      "limits, MSCEP) take effect at a restart, `iisreset` is not enough for HTTP.sys"))
    except ValueError:
        out.append(warn(h.fqdn, "last boot", f"unreadable ({boot!r})", "check Win32_OperatingSystem on the host"))
    if st.ie_esc_admin:
        out.append(warn(h.fqdn, "IE Enhanced Security Configuration", "on for administrators: the connector's "
                        "Entra sign-in page does not load", "Server Manager > Local Server > IE Enhanced Security "
                        "Configuration: Off for Administrators"))
    else:
        out.append(ok(h.fqdn, "IE Enhanced Security Configuration", "off for administrators"))
    dom, name = _account(cfg)
    member = f"winnt://{dom}/{name}".lower()
    if member in (a.lower() for a in st.administrators):
        out.append(warn(h.fqdn, "service account not a local Administrator", f"{dom}\\{name} is in the local "
                        "Administrators group: NDES needs IIS_IUSRS (or the logon rights), not admin rights",
                        f"Remove-LocalGroupMember -Group Administrators -Member {dom}\\{name}"))
    else:
        out.append(ok(h.fqdn, "service account not a local Administrator", "not a direct member"))
    inter = []
    for der in st.root_store:
        try:
            c = x509.load_der_x509_certificate(base64.b64decode(der))
        except ValueError:
            continue
        if c.issuer != c.subject:
            inter.append(c.subject.rfc4514_string())
    out.append(ok(h.fqdn, "no intermediate CA in Root", f"{len(st.root_store)} self-signed roots") if not inter else
               fail(h.fqdn, "no intermediate CA in Root", f"LocalMachine\\Root holds certificates that are not "
                    f"self-signed: {'; '.join(inter)} (chain building and NDES's CA lookup go wrong)",
                    "move them to Intermediate Certification Authorities (certlm.msc)"))
    missing = [f.name for f in st.features if not f.installed]
    out.append(ok(h.fqdn, "Windows features", ", ".join(FEATURES)) if not missing else
               fail(h.fqdn, "Windows features", f"not installed: {', '.join(missing)}",
                    f"Install-WindowsFeature {','.join(missing)} (`pulumi up` does: WindowsFeatures)"))
    code = st.bare_mscep
    check = "mscep.dll answers 403 on the host"
    if code == 403:
        out.append(ok(h.fqdn, check, "403: the Intune policy module answers (a bare request is refused)"))
    elif code == 200:
        out.append(fail(h.fqdn, check, "200: plain NDES answers, the Intune policy module is not loaded",
                        "install and register the Intune Certificate Connector, then restart the SCEP app pool"))
    elif code == 503:
        out.append(fail(h.fqdn, check, "503: the SCEP app pool is stopped", "see the SCEP app pool checks"))
    elif code == 500:
        out.append(fail(h.fqdn, check, "500: NDES fails (often the service account's rights)",
                        "check IIS_IUSRS membership and the CA's Request Certificates right"))
    else:
        out.append(fail(h.fqdn, check, f"no answer ({code or st.bare_mscep_error})", "check IIS, the https "
                        "binding and the SSL certificate (the checks above)"))
    out += connector_certificate(h, st)
    out += logs(h, st)
    for r in st.outbound:
        what = f"outbound HTTPS to {r.url}"
        if r.reached:
            out.append(ok(h.fqdn, what, "reached" + (f" through {st.proxy}" if st.proxy else " directly")))
        else:
            out.append(fail(h.fqdn, what, f"not reached ({r.error}){' through ' + st.proxy if st.proxy else ''}",
                            "allow it in the firewall, or set the proxy for the connector (its configuration UI, "
                            "or netsh winhttp set proxy) and the system; behind a proxy the connector reports "
                            "0x80004003"))
    return out


CLIENT_AUTH = "1.3.6.1.5.5.7.3.2"


def connector_certificate(h: NdesHostConfig, st: HD.HostDiagnosticsState) -> list[Result]:
    """The Intune connector's certificate (EncryptionCertThumbprint): Client Authentication EKU and not self-signed,
    as Validate-NDESConfiguration checks it. Nothing to say when the connector is not registered (its own check)."""
    if not st.connector_certificate:
        return []
    check = "Intune connector certificate EKU"
    try:
        c = x509.load_der_x509_certificate(base64.b64decode(st.connector_certificate))
    except ValueError:
        return [fail(h.fqdn, check, "the certificate named by EncryptionCertThumbprint cannot be read",
                     "register the connector again (its configuration UI)")]
    try:
        ekus = [e.dotted_string for e in c.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value]
    except x509.ExtensionNotFound:
        ekus = []
    problems = []
    if CLIENT_AUTH not in ekus:
        problems.append("no Client Authentication EKU (1.3.6.1.5.5.7.3.2)")
    if c.issuer == c.subject:
        problems.append("self-signed")
    if problems:
        return [fail(h.fqdn, check, f"{c.subject.rfc4514_string()}: {', '.join(problems)}: Intune refuses it",
                     "register the connector again (run its configuration UI and sign in): it enrolls a proper one")]
    return [ok(h.fqdn, check, f"Client Authentication, issued by {c.issuer.rfc4514_string()}")]


EVENT_DAYS = 2


def logs(h: NdesHostConfig, st: HD.HostDiagnosticsState) -> list[Result]:
    """The newest NDES / connector errors of the last two days (by the host's clock) and the mscep.dll IIS log."""
    out = []
    try:
        now = dt.datetime.strptime(st.now, "%Y-%m-%dT%H:%M:%SZ")
    except ValueError:
        now = dt.datetime.utcnow()
    recent = []
    for e in st.events:
        try:
            when = dt.datetime.strptime(e.time_created, "%Y-%m-%dT%H:%M:%SZ")
        except ValueError:
            continue
        if (now - when).days < EVENT_DAYS:
            recent.append(e)
    check = "NDES and connector errors (event logs)"
    if recent:  # the two logs come one after the other, each newest first: the newest of both
        last = max(recent, key=lambda e: e.time_created)
        out.append(warn(h.fqdn, check, f"{len(recent)} error(s) in the last {EVENT_DAYS} days; newest "
                        f"{last.time_created} {last.provider} {last.id}: {scrub_text(last.message)[:300]}",
                        "read them in Event Viewer (Application; Microsoft-Intune-CertificateConnectors/Admin) "
                        "and fix what they name; `ndes verify --bundle` collects them"))
    else:
        out.append(ok(h.fqdn, check, f"none in the last {EVENT_DAYS} days"))
    check = "mscep.dll requests (IIS log)"
    statuses = []
    for line in st.mscep_log:  # W3C default fields end: sc-status sc-substatus sc-win32-status time-taken
        parts = line.split()
        if len(parts) >= 4 and parts[-4].isdigit():
            statuses.append(int(parts[-4]))
    if not st.mscep_log:
        out.append(ok(h.fqdn, check, "no mscep.dll request in the newest W3SVC1 log"))
    elif any(s >= 500 for s in statuses[-20:]):
        bad = [line for line in st.mscep_log if len(line.split()) >= 4 and line.split()[-4].startswith("5")][-1:]
        shown = scrub_w3c(bad)[0] if bad else ""  # its query carries the device's SCEP message: operation only
        out.append(warn(h.fqdn, check, f"recent mscep.dll requests failed on the server: {shown}",
                        "500: the service account's rights or the CA; 503: the SCEP app pool is stopped"))
    else:
        out.append(ok(h.fqdn, check, f"{len(st.mscep_log)} recent mscep.dll requests, statuses "
                      f"{sorted(set(statuses))}"))
    return out
