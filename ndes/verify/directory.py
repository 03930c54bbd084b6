"""Directory checks (LDAP): the service account (exists, enabled, SPN present and unique), both templates
(settings, Read + Enroll ACL) and their issuance on the Enterprise CA.

`DirectoryReader` is the one seam to the LDAP client: plain data out, so a test fakes it with a dict.
"""
from __future__ import annotations

import datetime as dt

from dataclasses import dataclass
from typing import Any

from ..model.config import ClientTemplateConfig, DeploymentConfig, SslTemplateConfig
from ..model.templates import TemplateSettings
from .result import Result, fail, ok, warn

AREA = "directory"
UF_ACCOUNTDISABLE = 0x2
UF_DONT_EXPIRE_PASSWD = 0x10000
CT_FLAG_MACHINE_TYPE = 0x40


@dataclass(frozen=True)
class Account:
    dn: str
    sid: str
    enabled: bool
    password_never_expires: bool
    spns: list[str]
    locked_out: bool = False
    """msDS-User-Account-Control-Computed UF_LOCKOUT (0x10): the DC computes it from lockoutTime and the policy."""
    password_expired: bool = False
    """msDS-User-Account-Control-Computed UF_PASSWORD_EXPIRED (0x800000)."""
    expires: dt.datetime | None = None
    """accountExpires (None: never)."""
    password_set: dt.datetime | None = None
    """pwdLastSet."""


@dataclass(frozen=True)
class Template:
    dn: str
    machine: bool
    """The template enrolls computers (Web Server style) rather than users."""
    settings: TemplateSettings


def filetime(value: Any) -> dt.datetime | None:
    """An AD FILETIME (100 ns since 1601; 0 or 0x7FFFFFFFFFFFFFFF = never / not set) as UTC; ldap3 may already
    have turned it into a datetime."""
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dt.datetime):
        return value if value.year > 1601 and value.year < 9999 else None
    try:
        n = int(value)
    except (TypeError, ValueError):
        return None
    if n <= 0 or n >= 0x7FFFFFFFFFFFFFFF:
        return None
    return dt.datetime(1601, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(microseconds=n // 10)


class DirectoryReader:
    """Reads what the checks need through ndes.directory (one bound DirectoryClient)."""

    def __init__(self, client: Any):
        self.c = client

    def close(self) -> None:
        self.c.close()

    def account(self, sam: str) -> Account | None:
        from ..directory import accounts as acc
        p = acc.find_principal(self.c, sam, ["msDS-User-Account-Control-Computed", "accountExpires", "pwdLastSet"])
        if p is None:
            return None
        uac = acc.as_int(p.attributes.get("userAccountControl"))
        computed = acc.as_int(p.attributes.get("msDS-User-Account-Control-Computed"))
        return Account(p.dn, p.sid, not uac & UF_ACCOUNTDISABLE, bool(uac & UF_DONT_EXPIRE_PASSWD),
                       [str(s) for s in acc.as_list(p.attributes.get("servicePrincipalName"))],
                       locked_out=bool(computed & 0x10), password_expired=bool(computed & 0x800000),
                       expires=filetime(p.attributes.get("accountExpires")),
                       password_set=filetime(p.attributes.get("pwdLastSet")))

    def spn_holders(self, spn: str) -> list[str]:
        from ..directory import accounts as acc
        return acc.spn_holders(self.c, spn).holders

    def sid_of(self, name: str) -> str | None:
        from ..directory import NotFound
        from ..directory import accounts as acc
        try:
            return acc.resolve_sid(self.c, name)
        except NotFound:
            return None

    def template(self, name: str, kind: str) -> Template | None:
        from ..directory import templates as tpl
        from ..model.templates import template_settings
        raw = tpl.read_template(self.c, tpl.template_dn(self.c, name))
        if raw is None:
            return None
        return Template(raw["dn"], bool(int(raw.get("flags") or 0) & CT_FLAG_MACHINE_TYPE),
                        template_settings(kind, str(raw.get("cn") or name), raw))

    def granted(self, dn: str, sids: list[str]) -> list[str]:
        from ..directory import templates as tpl
        return tpl.granted(self.c, dn, sids)

    def extra_grants(self, dn: str, sids: list[str], bind_user: str | None = None) -> list[str]:
        """Every grant on the template beyond the built-in admins, the stack's bind account (`bind_user`, whose
        delegation is the deployment's own) and the intended Enroll (ESC1/ESC4 shapes)."""
        from ..directory import DirectoryError
        from ..directory import accounts as acc
        from ..directory import templates as tpl
        deployer: list[str] = []
        if bind_user:
            try:
                me = acc.bind_principal(self.c, bind_user)
            except DirectoryError:
                me = None
            deployer = [me.sid] if me is not None and me.sid else []
        return [str(g) for g in tpl.audit_grants(self.c, dn, sids, deployer)]

    def issued(self, ca_common_name: str) -> list[str]:
        from ..directory import issuance
        return issuance.issued_templates(self.c, ca_common_name)


def service_account(cfg: DeploymentConfig, d: Any) -> list[Result]:
    sa, dom = cfg.service_account, cfg.domain
    who = f"{dom.netbios_name}\\{sa.name}"
    a = d.account(sa.name)
    if a is None:
        return [fail(AREA, "service account exists", f"no account {who} in {dom.dns_name}",
                     f"create it (ndes:serviceAccount; `pulumi up` does) or fix ndes:serviceAccount.name")]
    out = [ok(AREA, "service account exists", a.dn)]
    out.append(ok(AREA, "service account enabled", f"{who} is enabled") if a.enabled else
               fail(AREA, "service account enabled", f"{who} is disabled: the SCEP app pool cannot start",
                    f"enable the account (Enable-ADAccount {sa.name})"))
    out += account_health(a, who)
    if sa.password_never_expires and not a.password_never_expires:
        out.append(warn(AREA, "service account password never expires", f"{who}'s password will expire",
                        "set 'Password never expires' (ndes:serviceAccount.passwordNeverExpires: true asks for it)"))
    have = {s.lower() for s in a.spns}
    for h in cfg.ndes_hosts:
        spn = f"http/{h.fqdn}"
        if spn not in have:
            out.append(fail(AREA, f"SPN {spn}", f"{who} does not carry {spn}: Kerberos to NDES fails",
                            f"setspn -s {spn} {who}"))
            continue
        others = [dn for dn in d.spn_holders(spn) if dn.lower() != a.dn.lower()]
        out.append(ok(AREA, f"SPN {spn}", f"registered on {who} only") if not others else
                   fail(AREA, f"SPN {spn}", f"{spn} is also registered on {'; '.join(others)} (duplicate SPN)",
                        f"remove it there: setspn -D {spn} <that account>"))
    return out


def account_health(a: Account, who: str, now: dt.datetime | None = None) -> list[Result]:
    """Validate-NDESConfiguration's account checks: not locked out, password not expired, account not expired;
    the password's age reported."""
    now = now or dt.datetime.now(dt.timezone.utc)
    out = [fail(AREA, "service account not locked out", f"{who} is locked out: the SCEP app pool cannot log on",
                f"unlock it (Unlock-ADAccount), then find what locks it: often a pool or task with an old password "
                "(the SCEP app pool password check)") if a.locked_out else
           ok(AREA, "service account not locked out", f"{who} is not locked out")]
    out.append(fail(AREA, "service account password not expired", f"{who}'s password has expired: NDES stops at "
                    "the next app pool start", "set a new ndes:serviceAccount.password and run `pulumi up` (AD, "
                    "then the SCEP app pool); consider passwordNeverExpires") if a.password_expired else
               ok(AREA, "service account password not expired", "valid" + (
                   f" (set {(now - a.password_set).days} days ago)" if a.password_set else "")))
    if a.expires is not None and a.expires <= now:
        out.append(fail(AREA, "service account not expired", f"{who} expired {a.expires:%Y-%m-%d}",
                        "clear or extend the account's expiry (Set-ADAccountExpiration)"))
    elif a.expires is not None and (a.expires - now).days < 30:
        out.append(warn(AREA, "service account not expired", f"{who} expires {a.expires:%Y-%m-%d}",
                        "clear or extend the account's expiry (Set-ADAccountExpiration)"))
    else:
        out.append(ok(AREA, "service account not expired", "no expiry" if a.expires is None else
                      f"expires {a.expires:%Y-%m-%d}"))
    return out


_FIELDS = (("validity", "validity"), ("renewal_period", "renewal period"), ("minimum_key_size", "minimum key size"),
           ("key_usage", "key usage"), ("extended_key_usage", "application policies (EKU)"),
           ("exportable", "private key exportable"), ("enrollee_supplies_subject", "supply in the request"),
           ("publish_to_ad", "publish in Active Directory"))


def _norm(v: Any) -> Any:
    return sorted(v) if isinstance(v, list) else str(v) if not isinstance(v, (bool, int)) else v


def template_checks(cfg: DeploymentConfig, d: Any, kind: str) -> list[Result]:
    t: SslTemplateConfig | ClientTemplateConfig = cfg.templates.ssl if kind == "ssl" else cfg.templates.client
    key = f"ndes:templates.{kind}"
    label = f"{kind} template {t.name}"
    live = d.template(t.name, kind)
    if live is None:
        return [fail(AREA, f"{label} exists", f"no certificate template named {t.name}",
                     f"duplicate the {'Web Server' if kind == 'ssl' else 'User'} template as {t.name} "
                     f"(`pulumi up` does; {key}.name names it)")]
    out = [ok(AREA, f"{label} exists", live.dn)]
    diffs = []
    for attr, words in _FIELDS:
        want, have = getattr(t, attr), getattr(live.settings, attr)
        if attr in ("validity", "renewal_period"):
            want = str(getattr(t, "validity_period" if attr == "validity" else "renewal"))
        if _norm(want) != _norm(have):
            diffs.append(f"{words} is {_show(have)}, configured {_show(want)}")
    if kind == "ssl" and not live.machine:
        diffs.append("it enrolls users, not computers (duplicate 'Web Server')")
    out.append(ok(AREA, f"{label} settings", "as configured") if not diffs else
               fail(AREA, f"{label} settings", "; ".join(diffs),
                    f"set these on the template's tabs in certtmpl.msc, or `pulumi up` with {key}"))
    principals = ([h.computer_account for h in cfg.ndes_hosts] if kind == "ssl" else [cfg.service_account.name])
    missing, unknown, sids = [], [], []
    for p in principals:
        sid = d.sid_of(p)
        if sid is None:
            unknown.append(p)
        elif sid not in d.granted(live.dn, [sid]):
            missing.append(p)
        if sid is not None:
            sids.append(sid)
    extra = d.extra_grants(live.dn, sids, cfg.domain.bind_user)
    out.append(ok(AREA, f"{label} other grants",
                  "only the built-in admins, the bind account and the enroll principals") if not extra
               else fail(AREA, f"{label} other grants", f"{'; '.join(extra)}: whoever holds Enroll can request a "
                         "certificate naming any user (ESC1), write or owner rights let them change the template (ESC4)",
                         f"remove these on the Security tab of {t.name}, or set {key}.removeExtraGrants: true and "
                         "`pulumi up`"))
    if unknown:
        out.append(fail(AREA, f"{label} ACL", f"no account {', '.join(unknown)} in the domain",
                        "join the NDES host to the domain / create the service account first"))
    out.append(ok(AREA, f"{label} ACL", f"Read + Enroll for {', '.join(principals)}") if not missing else
               fail(AREA, f"{label} ACL", f"{', '.join(missing)} lack Read + Enroll on {t.name}",
                    f"Security tab of {t.name}: grant {', '.join(missing)} Read and Enroll"))
    return out


def issuance_checks(cfg: DeploymentConfig, d: Any) -> list[Result]:
    ca = cfg.ca.common_name
    issued = {n.lower() for n in d.issued(ca)}
    out = []
    for kind, t in (("ssl", cfg.templates.ssl), ("client", cfg.templates.client)):
        out.append(ok(AREA, f"{kind} template issued", f"{t.name} is issued on {ca}") if t.name.lower() in issued
                   else fail(AREA, f"{kind} template issued", f"{t.name} is not issued on {ca}",
                             f"certsrv.msc > Certificate Templates > New > Certificate Template to Issue > {t.name}"))
    return out


def _show(v: Any) -> str:
    if isinstance(v, list):
        return "[" + ", ".join(map(str, v)) + "]"
    return str(v)
