"""Windows-host checks over WinRM, read through the providers of the resources that own them (owned.py: the
inputs ndes/declare/hosts.py builds, the provider's find and get, refresh's drift): the CA's "Request
Certificates" right; on each NDES host IIS_IUSRS, the IIS request limits, the HTTP.sys values, the MSCEP
mapping, the https binding and the SSL certificate it names, the NDES role's account and RA certificates, the
SCEP app pool. Verify adds what no resource owns: the logon rights Windows accepts instead of IIS_IUSRS, the
MSCEP values against the client template's purpose, certificate expiries and chains, the Intune connector.
"""
from __future__ import annotations

from typing import Any

from ..declare import hosts as declared
from ..model.config import DeploymentConfig, NdesHostConfig
from ..model.keyusage import MSCEP_VALUES, PURPOSES, template_purpose
from ..windows import ScriptFailed
from ..windows.contracts import intune_connector as IC
from ..windows.contracts import logon_rights as LR
from ..windows.contracts.logon_rights import LOGON_RIGHTS
from ..windows.contracts.machine_certificate import SCRIPT as MC_SCRIPT
from ..windows.contracts.machine_certificate import MachineCertificateParams, MachineCertificateState
from ..windows.contracts.ndes_role import RA_TEMPLATES
from . import owned
from .result import Result, fail, ok, warn

UNBOUND = "0" * 40
"""The binding's declared thumbprint is the SSL certificate's (an output): verify reads the binding for the
certificate it names, so it feeds a placeholder (as adoption does for an unknown input) and judges the names of
the certificate the binding actually serves."""
RA_WARN_DAYS = 60
SSL_WARN_DAYS = 30
CONNECTOR_WARN_DAYS = 30
MSCEP_KEY = r"HKLM\SOFTWARE\Microsoft\Cryptography\MSCEP"
RA_RENEWAL = ("renew the RA certificates before they lapse (NDES stops answering): on the NDES host request new "
              "EnrollmentAgentOffline and CEPEncryption certificates, or replace the NdesRole, then iisreset")


def _host(ctx: Any, h: NdesHostConfig, step: str, fed: dict[str, Any] | None = None,
          id_: str | None = None) -> owned.Reading:
    cfg = ctx.cfg
    return owned.read(ctx, declared.ndes_host(cfg, h, cfg.ndes_hosts.index(h))[step], f"winrm:{h.fqdn}", fed, id_)


def ca_access(cfg: DeploymentConfig, ctx: Any) -> list[Result]:
    area, check, who = f"CA {cfg.ca.host}", "Request Certificates for the service account", cfg.service_account_logon
    try:
        r = owned.read(ctx, declared.ca_host(cfg)["request-certificates"], f"winrm:{cfg.ca.host}")
    except ScriptFailed as exc:
        if exc.category != "ObjectNotFound":
            raise
        return [fail(area, check, str(exc), "fix ndes:ca.commonName / ndes:ca.host")]
    if r.exists and r.live.get("denied"):
        return [fail(area, check, f"{who} is DENIED Request Certificates",
                     "certsrv.msc > CA Properties > Security: remove the Deny for the service account")]
    return [owned.judged(area, check, r, missing=f"{who} lacks Request Certificates on {cfg.ca.common_name}",
                         fix="certsrv.msc > CA Properties > Security: add the service account with Request "
                             "Certificates", well=f"{who} may request certificates")]


def iis_iusrs(cfg: DeploymentConfig, ctx: Any, h: NdesHostConfig) -> list[Result]:
    check, me = "service account in IIS_IUSRS", cfg.service_account_logon
    if _host(ctx, h, "iis-iusrs").exists:  # by SID: the account in any spelling, whatever orphans the group holds
        return [ok(h.fqdn, check, f"{me} is a member")]
    held, where = _logon_rights(cfg, ctx, h)  # Validate-NDESConfiguration accepts explicit logon rights instead
    if held >= set(LOGON_RIGHTS):
        return [ok(h.fqdn, check, f"{me} is not a member, but holds {', '.join(LOGON_RIGHTS)} by "
                   f"{where} (accepted instead of IIS_IUSRS)")]
    missing = [r for r in LOGON_RIGHTS if r not in held]
    return [fail(h.fqdn, check, f"{me} is not in the local IIS_IUSRS group, nor holds the logon "
                 f"rights accepted instead ({', '.join(missing)} missing by group policy and local policy)",
                 f"Add-LocalGroupMember -Group IIS_IUSRS -Member {me} (then iisreset), or grant "
                 f"{', '.join(missing)} (secpol.msc, User Rights Assignment); `pulumi up` adds the member "
                 "(ndes:serviceAccount)")]


def _logon_rights(cfg: DeploymentConfig, ctx: Any, h: NdesHostConfig) -> tuple[set[str], str]:
    """The logon rights (of LOGON_RIGHTS) the service account holds: by group policy (HostDiagnostics.ps1's RSOP
    facts of the winning GPO, accounts as *SID or by name) and by the local security policy (LogonRights.ps1: secedit's [Privilege Rights]
    lines, accounts as *SID), with where they came from."""
    from .host_checks import facts
    me, sid = cfg.service_account_logon, ""
    held: dict[str, set[str]] = {}
    try:
        local = LR.LogonRightsState.model_validate(ctx.script(h.fqdn, h.winrm, LR.SCRIPT,
                                                              LR.LogonRightsParams(account=me).wire()))
        sid = local.account_sid
        if local.exit_code == 0:
            held["local policy"] = LR.rights_of(local.privilege_rights, me, sid)
    except Exception:  # noqa: BLE001 - a host that cannot say: not accepted, IIS_IUSRS stays the fix
        pass
    try:  # a GPO names accounts as *SID (MS-GPSB 2.2.6) or by name
        rsop = facts(cfg, ctx, h).user_rights
        held = {"group policy": {r for r in LOGON_RIGHTS if LR.holds(rsop.get(r, []), me, sid)}, **held}
    except Exception:  # noqa: BLE001 - the diagnostics step reports why it cannot read the host
        pass
    return set().union(*held.values()) if held else set(), " and ".join(k for k, v in held.items() if v) or "policy"


def request_limits(cfg: DeploymentConfig, ctx: Any, h: NdesHostConfig) -> list[Result]:
    r = _host(ctx, h, "iis-request-limits")
    return [owned.judged(h.fqdn, "IIS request limits", r, missing=f"no IIS site '{declared.SITE}': install IIS and "
                         "the NDES role (ADCS-Device-Enrollment)",
                         fix="IIS Manager > Request Filtering > Edit Feature Settings: Maximum URL length and query "
                             f"string {cfg.iis.max_url} (long SCEP requests get 404.14/404.15)",
                         well=f"maxUrl {r.live and r.live['maxUrl']}, maxQueryString "
                              f"{r.live and r.live['maxQueryString']}")]


def http_sys(cfg: DeploymentConfig, ctx: Any, h: NdesHostConfig) -> list[Result]:
    """The values as RegistryValues reads them, judged by its drift (as refresh); each differing value named with
    what the host holds."""
    r = _host(ctx, h, "http-sys")
    have = {v["name"]: v["value"] for v in (r.live or {}).get("values", [])}
    want = {v["name"]: v["value"] for v in r.declared.props["values"]}
    check = "HTTP.sys MaxFieldLength / MaxRequestBytes"
    if r.exists and not r.drift:
        return [ok(h.fqdn, check, ", ".join(f"{n} {have[n]}" for n in want))]
    bad = [f"{n} is not set (HTTP.sys default 16384), declared {v}" if n not in have else
           f"{n} is {have[n]}, declared {v}" for n, v in want.items() if have.get(n) != v]
    return [fail(h.fqdn, check, "; ".join(bad) or r.said(), f"set DWORDs MaxFieldLength and MaxRequestBytes = "
                 f"{cfg.http_sys.max_field_length} under HKLM\\SYSTEM\\CurrentControlSet\\Services\\HTTP\\"
                 "Parameters, then restart the host; `pulumi up` converges it (ndes:httpSys)")]


def mscep(cfg: DeploymentConfig, ctx: Any, h: NdesHostConfig, client_key_usage: list[str] | None) -> list[Result]:
    """The mapping as MscepTemplateMapping reads it: the value the SCEP key usage selects must name the client
    template; no other value may hold the SSL template; the client template's purpose must be that value's."""
    r = _host(ctx, h, "mscep-mapping")
    check = "MSCEP template mapping"
    if not r.exists:
        return [fail(h.fqdn, check, f"{MSCEP_KEY} does not exist (NDES not installed)",
                     "install and configure the NDES role first")]
    values: dict[str, str] = r.live.get("mscepValues") or {}
    derived, tname = r.live["registryValue"], cfg.templates.client.name
    out = []
    if r.drift:
        out.append(fail(h.fqdn, check, f"{derived} is '{values.get(derived)}', but the SCEP key usage "
                        f"({', '.join(r.inp.key_usage)}) makes the connector read {derived}, which must name the "
                        f"client template {tname} ({r.said()})",
                        rf"set {MSCEP_KEY}\{derived} = {tname}, then iisreset; `pulumi up` converges it "
                        "(ndes:intune.scep.keyUsage decides the value)"))
    ssl_name = cfg.templates.ssl.name.lower()
    for name in MSCEP_VALUES:
        if name != derived and (values.get(name) or "").lower() == ssl_name:
            out.append(fail(h.fqdn, check, f"{name} names the SSL template {cfg.templates.ssl.name}: devices "
                            "would get web-server certificates",
                            rf"set {MSCEP_KEY}\{name} back to IPSECIntermediateOffline"))
    if client_key_usage is not None and template_purpose(client_key_usage) != PURPOSES.get(derived):
        out.append(fail(h.fqdn, "client template purpose matches MSCEP",
                        f"{tname}'s key usage ({', '.join(client_key_usage)}) is for "
                        f"'{template_purpose(client_key_usage)}', but the registry value {derived} serves "
                        f"'{PURPOSES.get(derived)}'",
                        "make the template's key usage match ndes:intune.scep.keyUsage (ndes:templates.client)"))
    return out or [ok(h.fqdn, check, f"{derived} = {tname}")]


def ssl_and_binding(cfg: DeploymentConfig, ctx: Any, h: NdesHostConfig, ca_names: set[str]) -> list[Result]:
    """The https binding (IisHttpsBinding) and the certificate it names (MachineCertificate, read by that
    thumbprint); then what no resource owns: the private key, the chain, the expiry."""
    b = _host(ctx, h, "https-binding", {"thumbprint": UNBOUND})
    if not b.exists:
        return [fail(h.fqdn, "https binding", f"'{declared.SITE}' has no https binding on 443",
                     "IIS Manager > Default Web Site > Bindings > Add: https, 443, the SSL certificate, host name "
                     "EMPTY; `pulumi up` does it (ndes:sslCertificate)")]
    out: list[Result] = []
    if b.live["hostName"]:
        out.append(fail(h.fqdn, "https binding host name", f"the binding on 443 carries host name "
                        f"'{b.live['hostName']}': requests for the external name do not reach NDES",
                        "IIS Manager > Bindings > https 443 > Edit: clear the Host name (it defaults to the machine "
                        "name); `pulumi up` converges it (ndes:sslCertificate)"))
    else:
        out.append(ok(h.fqdn, "https binding host name", "empty (answers every name)"))
    thumb = str(b.live["thumbprint"] or "")
    c = _host(ctx, h, "ssl-certificate", id_=thumb) if thumb else None
    if c is None or not c.exists:
        out.append(fail(h.fqdn, "SSL certificate", f"the binding names certificate '{thumb}', which is not in "
                        r"LocalMachine\My", f"enroll a certificate from {cfg.templates.ssl.name} and bind it"))
        return out
    cn, sans = c.inp.common_name, c.inp.dns_names
    names = [(n, have, want) for n, have, want in c.drift if n in ("commonName", "dnsNames")]
    if names:
        words = [f"CN is {have}, expected {want} (ndes:sslCertificate.commonName: {cfg.ssl_certificate.common_name})"
                 if n == "commonName" else f"SANs {', '.join(have) or '(none)'} lack "
                 f"{', '.join(x for x in want if x not in have) or '(none)'}"
                 + ("" if set(have) <= set(want) else f" and carry {', '.join(x for x in have if x not in want)}")
                 for n, have, want in names]
        out.append(fail(h.fqdn, "SSL certificate names", "; ".join(words),
                        f"enroll a new certificate from {cfg.templates.ssl.name} with CN={cn} and DNS names "
                        f"{', '.join(sans)}, bind it on 443, remove the old one; `pulumi up` replaces it "
                        "(ndes:sslCertificate)"))
    else:
        out.append(ok(h.fqdn, "SSL certificate names", f"CN {cn}; SANs {', '.join(c.live['dnsNames'])}"))
    if c.live["template"] != cfg.templates.ssl.name:
        out.append(warn(h.fqdn, "SSL certificate template", f"issued from template '{c.live['template']}', "
                        f"configured {cfg.templates.ssl.name}", f"`pulumi up` enrolls one from "
                        f"{cfg.templates.ssl.name}; or set ndes:templates.ssl.name to the template in use"))
    out += _unowned_certificate_checks(cfg, ctx, h, c, ca_names)
    return out


def _unowned_certificate_checks(cfg: DeploymentConfig, ctx: Any, h: NdesHostConfig, c: owned.Reading,
                                ca_names: set[str]) -> list[Result]:
    out = []
    st = MachineCertificateState.model_validate(ctx.script(h.fqdn, h.winrm, MC_SCRIPT, MachineCertificateParams(
        mode="get", thumbprint=c.id).wire()))  # the private key: a fact the resource does not report
    if st.certificate is not None and not st.certificate.has_private_key:
        out.append(fail(h.fqdn, "SSL certificate private key", "the bound certificate has no private key: IIS cannot "
                        "serve TLS with it", f"enroll it on this host from {cfg.templates.ssl.name} (or import it with "
                        "its key) and bind it"))
    issuer = str(c.live.get("issuer") or "")
    if ca_names and issuer.lower() not in ca_names:
        out.append(fail(h.fqdn, "SSL certificate chain", f"issued by '{issuer}', not by {cfg.ca.common_name}",
                        f"enroll it from the Enterprise CA {cfg.ca.common_name}"))
    else:
        out.append(ok(h.fqdn, "SSL certificate chain", f"issued by {issuer}"))
    days, end = c.live.get("daysLeft"), c.live.get("notAfter")
    if days is None or days < 0:
        out.append(fail(h.fqdn, "SSL certificate expiry", f"expired ({end})",
                        "enroll a new certificate and bind it (`pulumi up` renews within renewBeforeDays)"))
    elif days < max(SSL_WARN_DAYS, cfg.ssl_certificate.renew_before_days):
        out.append(warn(h.fqdn, "SSL certificate expiry", f"{days} days left ({end})",
                        "renew it now (`pulumi up` does within ndes:sslCertificate.renewBeforeDays)"))
    else:
        out.append(ok(h.fqdn, "SSL certificate expiry", f"{days} days left ({end})"))
    return out


def ca_subjects(cfg: DeploymentConfig, ctx: Any) -> set[str]:
    """The CA's and its root's subjects, as CaCertificate reads them (for the SSL certificate's chain)."""
    r = owned.read(ctx, declared.ca_host(cfg)["certificate"], f"winrm:{cfg.ca.host}")
    return {str(r.live[k]).lower() for k in ("issuingSubject", "rootSubject") if r.exists and r.live.get(k)}


def ra_certificates(cfg: DeploymentConfig, ctx: Any, h: NdesHostConfig) -> list[Result]:
    """The NDES role as NdesRole reads it (installed, its account), and its RA certificates' expiry."""
    r = _host(ctx, h, "ndes-role")
    if r.id is not None and not r.exists:
        return [fail(h.fqdn, "NDES role", "NDES is half-configured (a failed or interrupted install: the SCEP "
                     "application pool, the application or the MSCEP key is missing)",
                     "`pulumi up` uninstalls and installs it again (ndes:ndesRole); by hand: "
                     "Uninstall-AdcsNetworkDeviceEnrollmentService, then install it again")]
    if not r.exists:
        return [fail(h.fqdn, "NDES role", "NDES (ADCS-Device-Enrollment) is not installed and configured",
                     "install the role and run its configuration (`pulumi up`, ndes:ndesRole)")]
    out = []
    if any(n == "serviceAccount" for n, _, _ in r.drift):
        out.append(fail(h.fqdn, "NDES service account", f"NDES runs as {r.live['serviceAccount']}, configured "
                        f"{cfg.service_account_logon}", "NDES keeps its install-time account: reinstall NDES with "
                        "the configured account (`pulumi up` replaces the NdesRole), or set "
                        "ndes:serviceAccount.name to the one it runs as"))
    certs = {c["template"]: c for c in r.live.get("raCertificates") or []}
    for tpl, words in {"EnrollmentAgentOffline": "signing (EnrollmentAgentOffline)",
                       "CEPEncryption": "encryption (CEPEncryption)"}.items():
        c = certs.get(tpl)
        if c is None:
            out.append(fail(h.fqdn, f"RA certificate {words}", "missing: NDES cannot answer", RA_RENEWAL))
            continue
        days, when = int(c["daysLeft"]), c["notAfter"]
        if days < 0:
            out.append(fail(h.fqdn, f"RA certificate {words}", f"expired {when}: NDES has stopped", RA_RENEWAL))
        elif days < RA_WARN_DAYS:
            out.append(warn(h.fqdn, f"RA certificate {words}", f"{days} days left ({when})", RA_RENEWAL))
        else:
            out.append(ok(h.fqdn, f"RA certificate {words}", f"{days} days left ({when})"))
    ctx.cache[("ra", h.fqdn)] = [str(c["thumbprint"]).upper() for t, c in certs.items() if t in RA_TEMPLATES]
    return out


def connector(cfg: DeploymentConfig, ctx: Any, h: NdesHostConfig) -> list[Result]:
    """The Certificate Connector: installed, its services, its registration with Intune and its certificate
    (registration is done in the connector's UI: no resource owns it)."""
    c = cfg.connector
    st = ctx.script(h.fqdn, h.winrm, IC.SCRIPT, {"mode": "get", "installerPath": "", "requireRegistered": False,
                                                 "owner": ""})
    severity = fail if (c.installer_path or c.require_registered) else warn
    if not st.get("installed"):
        return [severity(h.fqdn, "Intune connector installed", "the Certificate Connector for Microsoft Intune is "
                         "not installed: Intune cannot request certificates through this NDES",
                         "install it (IntuneCertificateConnector.exe; ndes:connector.installerPath lets `pulumi up` "
                         "do it silently)")]
    out = [ok(h.fqdn, "Intune connector installed", f"version {st.get('version') or '?'}")]
    stopped = IC.stopped(st)  # only the services meant to run (start type Automatic)
    out.append(ok(h.fqdn, "Intune connector services", "running") if IC.services_running(st) else
               fail(h.fqdn, "Intune connector services", f"not running: {', '.join(stopped) or 'none found'}",
                    f"Start-Service {', '.join(stopped) or 'PFXCertificateConnectorSvc'}"))
    if not st.get("registered"):
        out.append((fail if c.require_registered else warn)(
            h.fqdn, "Intune connector registered", "not registered with Intune",
            "on the NDES host run the connector UI (PFXCertificateConnectorUI.exe) and sign in as a Global or "
            "Intune Administrator"))
        return out
    out.append(ok(h.fqdn, "Intune connector registered", "registered"))
    days = None if st.get("certificateDaysLeft") is None else int(st["certificateDaysLeft"])
    if days is None or days < 0:
        out.append(fail(h.fqdn, "Intune connector certificate", f"expired {st.get('certificateNotAfter')} "
                        "(requests fail with 403.17)", "re-register the connector in its UI (a new certificate)"))
    elif days < CONNECTOR_WARN_DAYS:
        out.append(warn(h.fqdn, "Intune connector certificate", f"{days} days left",
                        "re-register the connector in its UI before it expires"))
    else:
        out.append(ok(h.fqdn, "Intune connector certificate", f"{days} days left"))
    return out
