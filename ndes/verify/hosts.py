"""Windows-host checks over WinRM, through the same scripts the providers run, in their `get` mode only:
the CA's "Request Certificates" right (CA host); on each NDES host: IIS_IUSRS, IIS request limits, HTTP.sys
values, the MSCEP mapping against the client template's purpose, the SSL certificate (CN, SANs, template,
issuer, expiry) and the https binding's empty host name, the RA certificates' expiry, the Intune connector.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from ..model.config import DeploymentConfig, NdesHostConfig
from ..model.keyusage import MSCEP_VALUES, mscep_value_for, template_purpose
from ..model.urls import ssl_names
from ..windows.certificates import TIME_FORMAT, decode
from ..windows.contracts.machine_certificate import SCRIPT as MC_SCRIPT
from ..windows.contracts.machine_certificate import MachineCertificateParams, MachineCertificateState
from ..windows.contracts import intune_connector as IC
from ..windows.contracts import local_group_member as LGM
from ..windows.contracts import logon_rights as LR
from ..windows.contracts.logon_rights import LOGON_RIGHTS
from ..windows.contracts import ndes_role as NR
from .result import Result, fail, ok, warn

HTTP_SYS = r"HKLM:\SYSTEM\CurrentControlSet\Services\HTTP\Parameters"
SITE = "Default Web Site"
RA_TEMPLATES = {"EnrollmentAgentOffline": "signing (EnrollmentAgentOffline)",
                "CEPEncryption": "encryption (CEPEncryption)"}
RA_WARN_DAYS = 60
SSL_WARN_DAYS = 30
CONNECTOR_WARN_DAYS = 30
RA_RENEWAL = ("renew the RA certificates before they lapse (NDES stops answering): on the NDES host request new "
              "EnrollmentAgentOffline and CEPEncryption certificates, or replace the NdesRole, then iisreset")


def account_of(cfg: DeploymentConfig) -> str:
    return f"{cfg.domain.netbios_name}\\{cfg.service_account.name}"


def ca_access(cfg: DeploymentConfig, ctx: Any) -> list[Result]:
    area = f"CA {cfg.ca.host}"
    st = ctx.script(cfg.ca.host, cfg.ca.winrm, "CaAccess", {"mode": "get", "caName": cfg.ca.common_name,
                                                            "account": account_of(cfg), "accountSid": "", "owner": ""})
    check = "Request Certificates for the service account"
    if not st.get("exists") or str(st.get("commonName", "")).casefold() != cfg.ca.common_name.casefold():
        there = f"its active CA is '{st.get('commonName')}'" if st.get("exists") else "it has no CA"
        return [fail(area, check, f"no certification authority named '{cfg.ca.common_name}' on {cfg.ca.host} "
                     f"({there})", "fix ndes:ca.commonName / ndes:ca.host")]
    if st.get("denied"):
        return [fail(area, check, f"{account_of(cfg)} is DENIED Request Certificates",
                     "certsrv.msc > CA Properties > Security: remove the Deny for the service account")]
    if not st.get("present"):
        return [fail(area, check, f"{account_of(cfg)} lacks Request Certificates on {cfg.ca.common_name}",
                     "certsrv.msc > CA Properties > Security: add the service account with Request Certificates")]
    return [ok(area, check, f"{account_of(cfg)} may request certificates")]


def ca_subjects(cfg: DeploymentConfig, ctx: Any) -> set[str]:
    st = ctx.script(cfg.ca.host, cfg.ca.winrm, "CaCertificate", {"mode": "get", "caName": cfg.ca.common_name})
    if not st.get("exists") or str(st.get("commonName", "")).casefold() != cfg.ca.common_name.casefold():
        return set()
    return {str(st[w]["subject"]).lower() for w in ("issuing", "root") if st.get(w)}


def _run(ctx: Any, h: NdesHostConfig, script: str, params: dict[str, Any]) -> dict[str, Any]:
    return ctx.script(h.fqdn, h.winrm, script, {"mode": "get", **params})


def iis_iusrs(cfg: DeploymentConfig, ctx: Any, h: NdesHostConfig) -> list[Result]:
    st = LGM.LocalGroupMemberState.model_validate(_run(ctx, h, LGM.SCRIPT, LGM.LocalGroupMemberParams(
        mode="get", group="IIS_IUSRS", member=account_of(cfg)).wire()))
    check = "service account in IIS_IUSRS"
    if st.found() is not None:  # by SID: the account in any spelling, whatever orphans the group holds
        return [ok(h.fqdn, check, f"{account_of(cfg)} is a member")]
    held, where = _logon_rights(cfg, ctx, h)  # Validate-NDESConfiguration accepts explicit logon rights instead
    if held >= set(LOGON_RIGHTS):
        return [ok(h.fqdn, check, f"{account_of(cfg)} is not a member, but holds {', '.join(LOGON_RIGHTS)} by "
                   f"{where} (accepted instead of IIS_IUSRS)")]
    missing = [r for r in LOGON_RIGHTS if r not in held]
    return [fail(h.fqdn, check, f"{account_of(cfg)} is not in the local IIS_IUSRS group, nor holds the logon "
                 f"rights accepted instead ({', '.join(missing)} missing by group policy and local policy)",
                 f"Add-LocalGroupMember -Group IIS_IUSRS -Member {account_of(cfg)} (then iisreset), or grant "
                 f"{', '.join(missing)} (secpol.msc, User Rights Assignment)")]


def _logon_rights(cfg: DeploymentConfig, ctx: Any, h: NdesHostConfig) -> tuple[set[str], str]:
    """The logon rights (of LOGON_RIGHTS) the service account holds: by group policy (HostDiagnostics.ps1's RSOP
    facts, accounts by name) and by the local security policy (LogonRights.ps1: secedit's [Privilege Rights]
    lines, accounts as *SID), with where they came from."""
    from .host_checks import facts
    me = account_of(cfg)
    held: dict[str, set[str]] = {}
    try:
        rsop = facts(cfg, ctx, h).user_rights
        held["group policy"] = {r for r in LOGON_RIGHTS if LR.holds(rsop.get(r, []), me, "")}
    except Exception:  # noqa: BLE001 - the diagnostics step reports why it cannot read the host
        pass
    try:
        local = LR.LogonRightsState.model_validate(ctx.script(h.fqdn, h.winrm, LR.SCRIPT,
                                                              LR.LogonRightsParams(account=me).wire()))
        if local.exit_code == 0:
            held["local policy"] = LR.rights_of(local.privilege_rights, me, local.account_sid)
    except Exception:  # noqa: BLE001 - a host that cannot say: not accepted, IIS_IUSRS stays the fix
        pass
    return set().union(*held.values()) if held else set(), " and ".join(k for k, v in held.items() if v) or "policy"


def request_limits(cfg: DeploymentConfig, ctx: Any, h: NdesHostConfig) -> list[Result]:
    want = {"maxUrl": cfg.iis.max_url, "maxQueryString": cfg.iis.max_query_string}
    st = _run(ctx, h, "IisRequestLimits", {"site": SITE, **want, "owner": ""})
    check = "IIS request limits"
    if not st.get("siteExists"):
        return [fail(h.fqdn, check, f"no IIS site '{SITE}'", "install IIS and the NDES role (ADCS-Device-Enrollment)")]
    low = [f"{k} is {st.get(k)}, needs {v}" for k, v in want.items() if int(st.get(k) or 0) < v]
    if low:
        return [fail(h.fqdn, check, "; ".join(low) + " (long SCEP requests get 404.14/404.15)",
                     "IIS Manager > Request Filtering > Edit Feature Settings: Maximum URL length and query string "
                     f"{cfg.iis.max_url} (ndes:iis)")]
    return [ok(h.fqdn, check, f"maxUrl {st.get('maxUrl')}, maxQueryString {st.get('maxQueryString')}")]


def http_sys(cfg: DeploymentConfig, ctx: Any, h: NdesHostConfig) -> list[Result]:
    want = {"MaxFieldLength": cfg.http_sys.max_field_length, "MaxRequestBytes": cfg.http_sys.max_request_bytes}
    values = [{"path": HTTP_SYS, "name": n, "type": "DWord", "value": v} for n, v in want.items()]
    st = _run(ctx, h, "RegistryValues", {"values": values, "markRebootPending": False, "owner": "",
                                         "mark": "verify"})
    live = {v["name"]: v for v in st.get("values", [])}
    bad = []
    for name, v in want.items():
        have = live.get(name) or {}
        if not have.get("exists"):
            bad.append(f"{name} is not set (HTTP.sys default 16384)")
        elif int(float(have.get("value") or 0)) < v:
            bad.append(f"{name} is {int(float(have.get('value')))}, needs {v}")
    check = "HTTP.sys MaxFieldLength / MaxRequestBytes"
    if bad:
        return [fail(h.fqdn, check, "; ".join(bad),
                     f"set DWORDs MaxFieldLength and MaxRequestBytes = {cfg.http_sys.max_field_length} under "
                     r"HKLM\SYSTEM\CurrentControlSet\Services\HTTP\Parameters, then restart the host (ndes:httpSys)")]
    return [ok(h.fqdn, check, ", ".join(f"{n} {int(float(live[n]['value']))}" for n in want))]


def mscep(cfg: DeploymentConfig, ctx: Any, h: NdesHostConfig, client_key_usage: list[str] | None) -> list[Result]:
    """The value the SCEP key usage selects must name the client template, and the template's purpose must be
    that value's; no other value may hold a template meant for something else (e.g. the SSL template)."""
    st = _run(ctx, h, "MscepTemplateMapping", {"templates": {}, "owner": ""})
    check = "MSCEP template mapping"
    if not st.get("exists"):
        return [fail(h.fqdn, check, r"HKLM\SOFTWARE\Microsoft\Cryptography\MSCEP does not exist (NDES not installed)",
                     "install and configure the NDES role first")]
    values: dict[str, str] = st.get("values") or {}
    tname = cfg.templates.client.name
    derived = mscep_value_for(cfg.intune.scep.key_usage)
    out = []
    have = values.get(derived)
    if (have or "").lower() != tname.lower():
        out.append(fail(h.fqdn, check, f"{derived} is '{have}', but the SCEP key usage "
                        f"({', '.join(cfg.intune.scep.key_usage)}) makes the connector read {derived}, which must "
                        f"name the client template {tname}",
                        rf"set HKLM\SOFTWARE\Microsoft\Cryptography\MSCEP\{derived} = {tname}, then iisreset "
                        "(ndes:intune.scep.keyUsage decides the value)"))
    ssl_name = cfg.templates.ssl.name.lower()
    for name in MSCEP_VALUES:
        if name != derived and (values.get(name) or "").lower() == ssl_name:
            out.append(fail(h.fqdn, check, f"{name} names the SSL template {cfg.templates.ssl.name}: devices "
                            "would get web-server certificates",
                            rf"set HKLM\SOFTWARE\Microsoft\Cryptography\MSCEP\{name} back to IPSECIntermediateOffline"))
    if client_key_usage is not None:
        purpose = template_purpose(client_key_usage)
        from ..model.keyusage import PURPOSES
        if purpose != PURPOSES.get(derived):
            out.append(fail(h.fqdn, "client template purpose matches MSCEP",
                            f"{tname}'s key usage ({', '.join(client_key_usage)}) is for '{purpose}', but the "
                            f"registry value {derived} serves '{PURPOSES.get(derived)}'",
                            f"make the template's key usage match ndes:intune.scep.keyUsage (ndes:templates.client)"))
    if not out:
        out.append(ok(h.fqdn, check, f"{derived} = {tname}"))
    return out


def _parse_time(s: str) -> dt.datetime | None:
    try:
        return dt.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)
    except (TypeError, ValueError):
        return None


def _days(entry: dict[str, Any], key: str = "notAfter") -> int | None:
    if entry.get("daysLeft") is not None:
        return int(entry["daysLeft"])
    end = _parse_time(entry.get(key) or "")
    return None if end is None else (end - dt.datetime.now(dt.timezone.utc)).days


def ssl_and_binding(cfg: DeploymentConfig, ctx: Any, h: NdesHostConfig, ca_names: set[str]) -> list[Result]:
    s = cfg.ssl_certificate
    cn, sans = ssl_names(h.external_url, h.fqdn, s.common_name)
    sans = sorted(set(sans) | set(s.subject_alternative_names or []))
    from ..windows.contracts import iis_https_binding as IB
    b = IB.target(IB.IisHttpsBindingState.model_validate(
        _run(ctx, h, IB.SCRIPT, IB.IisHttpsBindingParams(mode="get", site_name=SITE, port=443).wire())))
    out: list[Result] = []
    if b is None:
        return [fail(h.fqdn, "https binding", f"'{SITE}' has no https binding on 443",
                     "IIS Manager > Default Web Site > Bindings > Add: https, 443, the SSL certificate, host name "
                     "EMPTY")]
    if b.host_name:
        out.append(fail(h.fqdn, "https binding host name", f"the binding on 443 carries host name "
                        f"'{b.host_name}': requests for the external name do not reach NDES",
                        "IIS Manager > Bindings > https 443 > Edit: clear the Host name (it defaults to the machine "
                        "name)"))
    else:
        out.append(ok(h.fqdn, "https binding host name", "empty (answers every name)"))
    thumb = b.thumbprint
    st = MachineCertificateState.model_validate(
        _run(ctx, h, MC_SCRIPT, MachineCertificateParams(mode="get", thumbprint=thumb).wire()))
    if not thumb or st.certificate is None:
        out.append(fail(h.fqdn, "SSL certificate", f"the binding names certificate '{thumb}', which is not in "
                        r"LocalMachine\My", f"enroll a certificate from {cfg.templates.ssl.name} and bind it"))
        return out
    cert = decode(st.certificate)
    c = {"commonName": cert.common_name, "issuer": cert.issuer, "notAfter": cert.not_after.strftime(TIME_FORMAT),
         "daysLeft": cert.days_left()}
    problems = []
    if cert.common_name.lower() != cn:
        problems.append(f"CN is {cert.common_name}, expected {cn} "
                        f"(ndes:sslCertificate.commonName: {s.common_name})")
    have_sans = cert.dns_names
    missing = [n for n in sans if n not in have_sans]
    if missing:
        problems.append(f"SANs {', '.join(have_sans) or '(none)'} lack {', '.join(missing)}")
    if not cert.has_private_key:
        out.append(fail(h.fqdn, "SSL certificate private key", "the bound certificate has no private key: IIS cannot "
                        "serve TLS with it", f"enroll it on this host from {cfg.templates.ssl.name} (or import it with "
                        "its key) and bind it"))
    if cert.template is None and cert.template_name is None:
        out.append(warn(h.fqdn, "SSL certificate template", "the certificate carries no certificate template "
                        "extension: it was not enrolled from an Enterprise CA template",
                        f"`pulumi up` enrolls one from {cfg.templates.ssl.name}"))
    elif cert.template is None and (cert.template_name or "").lower() != cfg.templates.ssl.name.lower():
        out.append(warn(h.fqdn, "SSL certificate template", f"issued from template '{cert.template_name}', "
                        f"configured {cfg.templates.ssl.name}", f"`pulumi up` enrolls one from "
                        f"{cfg.templates.ssl.name}; or set ndes:templates.ssl.name to the template in use"))
    if problems:
        out.append(fail(h.fqdn, "SSL certificate names", "; ".join(problems),
                        f"enroll a new certificate from {cfg.templates.ssl.name} with CN={cn} and DNS names "
                        f"{', '.join(sans)}, bind it on 443, remove the old one"))
    else:
        out.append(ok(h.fqdn, "SSL certificate names", f"CN {cn}; SANs {', '.join(have_sans)}"))
    issuer = str(c.get("issuer") or "")
    if ca_names and issuer.lower() not in ca_names:
        out.append(fail(h.fqdn, "SSL certificate chain", f"issued by '{issuer}', not by {cfg.ca.common_name}",
                        f"enroll it from the Enterprise CA {cfg.ca.common_name}"))
    else:
        out.append(ok(h.fqdn, "SSL certificate chain", f"issued by {issuer}"))
    days = _days(c)
    if days is None or days < 0:
        out.append(fail(h.fqdn, "SSL certificate expiry", f"expired ({c.get('notAfter')})",
                        "enroll a new certificate and bind it (`pulumi up` renews within renewBeforeDays)"))
    elif days < max(SSL_WARN_DAYS, s.renew_before_days):
        out.append(warn(h.fqdn, "SSL certificate expiry", f"{days} days left ({c.get('notAfter')})",
                        "renew it now (`pulumi up` does within ndes:sslCertificate.renewBeforeDays)"))
    else:
        out.append(ok(h.fqdn, "SSL certificate expiry", f"{days} days left ({c.get('notAfter')})"))
    return out


def ra_certificates(cfg: DeploymentConfig, ctx: Any, h: NdesHostConfig) -> list[Result]:
    r = cfg.ndes_role
    raw = _run(ctx, h, NR.SCRIPT, NR.NdesRoleParams(
        mode="get", service_account=account_of(cfg), ca_config=cfg.ca.config,
        ra_name=r.ra_name or f"{h.short_name.upper()}-MSCEP-RA", signing_provider=r.signing_provider,
        signing_key_length=r.signing_key_length, encryption_provider=r.encryption_provider,
        encryption_key_length=r.encryption_key_length).wire())
    st = NR.NdesRoleState.model_validate(raw)
    if NR.half_finished(st):
        return [fail(h.fqdn, "NDES role", "NDES is half-configured: " + ", ".join(NR.missing_parts(st)) +
                     " missing (a failed or interrupted install)",
                     "`pulumi up` uninstalls and installs it again (ndes:ndesRole); by hand: "
                     "Uninstall-AdcsNetworkDeviceEnrollmentService, then install it again")]
    if not NR.configured(st):
        return [fail(h.fqdn, "NDES role", "NDES (ADCS-Device-Enrollment) is not installed and configured",
                     "install the role and run its configuration (`pulumi up`, ndes:ndesRole)")]
    out = []
    pool = st.service_account
    if pool and pool.casefold() != account_of(cfg).casefold():  # Windows spells it its own way: no case
        out.append(fail(h.fqdn, "NDES service account", f"NDES runs as {pool}, configured {account_of(cfg)}",
                        "NDES keeps its install-time account: reinstall NDES with the configured account, or set "
                        "ndes:serviceAccount.name to the one it runs as"))
    certs = NR.ra_certificates(st)
    current = []
    for tpl, words in RA_TEMPLATES.items():
        found = NR.newest(certs, tpl)
        if found is None:
            out.append(fail(h.fqdn, f"RA certificate {words}", "missing: NDES cannot answer",
                            RA_RENEWAL))
            continue
        c = found[0]
        current.append(c.thumbprint.upper())
        days, when = c.days_left(), c.not_after.strftime(TIME_FORMAT)
        if days < 0:
            out.append(fail(h.fqdn, f"RA certificate {words}", f"expired {when}: NDES has stopped", RA_RENEWAL))
        elif days < RA_WARN_DAYS:
            out.append(warn(h.fqdn, f"RA certificate {words}", f"{days} days left ({when})", RA_RENEWAL))
        else:
            out.append(ok(h.fqdn, f"RA certificate {words}", f"{days} days left ({when})"))
    ctx.cache[("ra", h.fqdn)] = [t for t in current if t]
    return out


def connector(cfg: DeploymentConfig, ctx: Any, h: NdesHostConfig) -> list[Result]:
    c = cfg.connector
    st = _run(ctx, h, "IntuneConnector", {"installerPath": "", "requireRegistered": False, "owner": ""})
    required = bool(c.installer_path or c.require_registered)
    severity = fail if required else warn
    if not st.get("installed"):
        return [severity(h.fqdn, "Intune connector installed", "the Certificate Connector for Microsoft Intune is "
                         "not installed: Intune cannot request certificates through this NDES",
                         "install it (IntuneCertificateConnector.exe; ndes:connector.installerPath lets `pulumi up` "
                         "do it silently)")]
    out = [ok(h.fqdn, "Intune connector installed", f"version {st.get('version') or '?'}")]
    stopped = IC.stopped(st)  # only the services meant to run (start type Automatic)
    out.append(ok(h.fqdn, "Intune connector services", "running") if IC.services_running(st) else
               fail(h.fqdn, "Intune connector services", f"not running: {', '.join(stopped) or 'none found'}",
                    f"Start-Service {' ,'.join(stopped) or 'PFXCertificateConnectorSvc'}"))
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
