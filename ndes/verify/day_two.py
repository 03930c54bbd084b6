"""Day-two checks on each NDES host: the SCEP app pool (exists, started, its stored password is the configured
one: after a rotation that skipped the pool, NDES fails at its next recycle), and the RA certificates by the
HOST's clock (days left with the action, which ones NDES serves to GetCACert on the host itself, leftovers of a
renewal). Facts come from the scripts the providers run (ScepPoolIdentity.ps1, NdesRaRenewal.ps1) in get mode.
"""
from __future__ import annotations

from typing import Any

from ..model.config import DeploymentConfig, NdesHostConfig
from ..windows.contracts import ndes_ra_renewal as RR
from ..windows.contracts.ndes_role import RA_TEMPLATES
from ..windows.ra_view import view_of
from ..declare import hosts as declared
from . import owned
from .result import Result, fail, ok, warn

POOL_FIX = ("`pulumi up` sets the SCEP app pool's password to ndes:serviceAccount.password and recycles it "
            "(ScepPoolIdentity); by hand: IIS Manager > Application Pools > SCEP > Advanced Settings > Identity, then "
            "Recycle")
RA_FIX = ("`pulumi up` renews both RA certificates within ndes:ndesRole.raRenewBeforeDays (RaCertificateRenewal: "
          "new EnrollmentAgentOffline and CEPEncryption certificates with the same subject, CSP and key length, a "
          "SCEP app pool restart, then the old ones deleted)")


def scep_pool(cfg: DeploymentConfig, ctx: Any, h: NdesHostConfig) -> list[Result]:
    """The SCEP app pool as ScepPoolIdentity reads it: started, its identity, its stored password."""
    r = owned.read(ctx, declared.ndes_host(cfg, h, cfg.ndes_hosts.index(h))["scep-pool-identity"], f"winrm:{h.fqdn}")
    if not r.exists:
        return [fail(h.fqdn, "SCEP app pool", "IIS:\\AppPools\\SCEP does not exist: NDES is not configured",
                     "install NDES (`pulumi up`, ndes:ndesRole)")]
    live, me = r.live, cfg.service_account_logon
    out = []
    if live["poolState"] != "Started":
        out.append(fail(h.fqdn, "SCEP app pool started", f"the pool is {live['poolState'] or 'in an unknown state'}: "
                        "NDES answers 503", "Start-WebAppPool SCEP; if it stops again its identity cannot log on: "
                        "check the service account (locked out, disabled, password) and " + POOL_FIX))
    else:
        out.append(ok(h.fqdn, "SCEP app pool started", "Started"))
    if str(live["poolUserName"]).casefold() != me.casefold():
        out.append(fail(h.fqdn, "SCEP app pool identity", f"runs as {live['poolUserName'] or 'another identity'}, "
                        f"configured {me}", "NDES keeps its install-time account: reinstall NDES with "
                        "the configured account, or set ndes:serviceAccount.name to the one it runs as"))
    elif "password" in live:  # the provider reports a changed password (a secret: never compared in words)
        out.append(fail(h.fqdn, "SCEP app pool password", "the pool's stored password is not "
                        "ndes:serviceAccount.password (a rotation that skipped the pool): NDES stops at the next "
                        "recycle or restart, and the pool's logon retries can lock the account", POOL_FIX))
    else:
        out.append(ok(h.fqdn, "SCEP app pool password", "the pool's stored password is ndes:serviceAccount.password"))
    return out


def ra_by_host_clock(cfg: DeploymentConfig, ctx: Any, h: NdesHostConfig) -> list[Result]:
    st = RR.NdesRaRenewalState.model_validate(ctx.script(h.fqdn, h.winrm, RR.SCRIPT, RR.NdesRaRenewalParams(
        mode="get", host_fqdn=h.fqdn).wire()))
    v = view_of(st)
    before = cfg.ndes_role.ra_renew_before_days
    out = []
    for template in RA_TEMPLATES:
        left = v.days_left(template)
        check = f"RA certificate {template} (host clock)"
        if left is None:
            out.append(fail(h.fqdn, check, "missing: NDES cannot answer", "reinstall NDES (`pulumi up`)"))
            continue
        cert = v.current[template][0]
        detail = f"{left} days left ({cert.not_after:%Y-%m-%d}, host time {v.now:%Y-%m-%d %H:%M}Z)"
        if left < 0:
            out.append(fail(h.fqdn, check, f"expired: {detail}", RA_FIX))
        elif left <= before:
            out.append(warn(h.fqdn, check, f"due for renewal: {detail}", RA_FIX))
        else:
            out.append(ok(h.fqdn, check, f"{detail}; renewed {before} days before expiry by `pulumi up`"))
    if st.served_error:
        out.append(warn(h.fqdn, "RA certificates NDES serves", f"GetCACert on https://{h.fqdn}/certsrv/mscep/"
                        f"mscep.dll failed on the host: {st.served_error}", "check the SCEP app pool and the https "
                        "binding (the checks above)"))
    elif v.current and not v.in_use():
        out.append(fail(h.fqdn, "RA certificates NDES serves", "NDES serves other RA certificates than the newest "
                        "in LocalMachine\\My (it loads them when the SCEP app pool starts)",
                        "Restart-WebAppPool SCEP (`pulumi up` does it after a renewal)"))
    elif v.current:
        out.append(ok(h.fqdn, "RA certificates NDES serves", "the newest of both templates"))
    if v.older:
        out.append(warn(h.fqdn, "old RA certificates", f"{len(v.older)} older RA certificate(s) still in "
                        f"LocalMachine\\My: {', '.join(c.thumbprint for c in v.older)}",
                        "`pulumi up` deletes them once NDES serves the new ones"))
    return out


CA_FIX = ("renew the CA's certificate well ahead (certsrv.msc > All Tasks > Renew CA Certificate; the root on its "
          "offline host): no RA, SSL or device certificate can outlive the CA that issues it")
CA_WARN_DAYS = 365


def ca_expiry(cfg: DeploymentConfig, ctx: Any) -> list[Result]:
    """The issuing CA's and the root's certificates: days left by the CA host's clock, with the action."""
    import datetime as dt

    from ..windows.certificates import TIME_FORMAT
    from ..windows.contracts import host_clock as HC

    area = f"CA {cfg.ca.host}"
    r = owned.read(ctx, declared.ca_host(cfg)["certificate"], f"winrm:{cfg.ca.host}")  # as CaCertificate reads it
    if not r.exists:
        return []  # the CA step says why
    now = dt.datetime.strptime(HC.HostClockState.model_validate(ctx.script(
        cfg.ca.host, cfg.ca.winrm, HC.SCRIPT, HC.HostClockParams().wire())).now, TIME_FORMAT)
    out = []
    for which in ("issuing", "root"):
        try:
            end = dt.datetime.strptime(str(r.live.get(f"{which}NotAfter")), TIME_FORMAT)
        except ValueError:
            continue
        days = (end - now).days
        check = f"{which} CA certificate expiry"
        detail = f"{r.live.get(f'{which}Subject')}: {days} days left ({r.live.get(f'{which}NotAfter')})"
        out.append(fail(area, check, f"expired: {detail}", CA_FIX) if days < 0 else
                   warn(area, check, detail, CA_FIX) if days < CA_WARN_DAYS else ok(area, check, detail))
    return out
