"""Directory checks. What the directory plane's resources own is read through their providers (owned.read: the
inputs ndes/declare/directory.py builds, compared as `pulumi refresh` compares them): the service account (enabled,
password never expires, SPNs, UPN, OU, description), each template's settings, Read + Enroll and other grants
(ESC1/ESC4), each template's issuance on the CA. Kept here, owned by no resource: the account's health
(Validate-NDESConfiguration's locked out / password expired / account expired) and forest-wide SPN uniqueness.

`DirectoryReader` is the seam of those two: plain data out, so a unit test fakes it with a dict.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import Any

from ..declare import directory as declared
from .owned import Reading, judged, read
from .result import Result, fail, ok, warn

AREA = "directory"
LDAP = "ldap"


@dataclass(frozen=True)
class Account:
    dn: str
    locked_out: bool = False
    """msDS-User-Account-Control-Computed UF_LOCKOUT (0x10): the DC computes it from lockoutTime and the policy."""
    password_expired: bool = False
    """msDS-User-Account-Control-Computed UF_PASSWORD_EXPIRED (0x800000)."""
    expires: dt.datetime | None = None
    """accountExpires (None: never)."""
    password_set: dt.datetime | None = None
    """pwdLastSet."""


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
    """Reads what no resource owns through ndes.directory; `c` (one bound DirectoryClient) also serves the
    providers' reads for the run (Context.clients)."""

    def __init__(self, client: Any):
        self.c = client

    def close(self) -> None:
        self.c.close()

    def account(self, sam: str) -> Account | None:
        from ..directory import accounts as acc
        p = acc.find_principal(self.c, sam, ["msDS-User-Account-Control-Computed", "accountExpires", "pwdLastSet"])
        if p is None:
            return None
        computed = acc.as_int(p.attributes.get("msDS-User-Account-Control-Computed"))
        return Account(p.dn, locked_out=bool(computed & 0x10), password_expired=bool(computed & 0x800000),
                       expires=filetime(p.attributes.get("accountExpires")),
                       password_set=filetime(p.attributes.get("pwdLastSet")))

    def spn_holders(self, spn: str) -> list[str]:
        from ..directory import accounts as acc
        return acc.spn_holders(self.c, spn).holders


def _declared(ctx: Any) -> dict[str, Any]:
    return ctx.cache.setdefault(("declared", "directory"), declared.directory(ctx.cfg))


def _parts(r: Reading, label: str, parts: list[tuple[str, set[str], str, str]]) -> list[Result]:
    """One result per concern (check suffix, its inputs, words when well, fix) of the same reading; its
    drift in certtmpl.msc's words."""
    return [ok(AREA, f"{label} exists", r.live["dn"])] + [judged(
        AREA, f"{label} {what}", dataclasses.replace(r, drift=[x for x in r.drift if x[0] in inputs]),
        fix=fix, missing="", well=well, names=WORDS) for what, inputs, well, fix in parts]


def _lacking(have: Any, want: list[str]) -> list[str]:
    have = {str(x).lower() for x in have or []}
    return [x for x in want if x.lower() not in have]


def service_account(ctx: Any) -> list[Result]:
    """ServiceAccount as its provider reads it: exists, enabled, password never expires, SPNs, the rest."""
    cfg, name = ctx.cfg, ctx.cfg.service_account.name
    who = cfg.domain.logon_name(name)
    r = read(ctx, _declared(ctx)["service-account"], LDAP)
    if not r.exists:
        return [judged(AREA, "service account exists", r, missing=f"no account {who} in {cfg.domain.dns_name}",
                       fix="create it, or fix ndes:serviceAccount.name", well="")]
    spns = [s for s in r.inp.spns() if s not in r.live["spns"]]
    return _parts(r, "service account", [
        ("enabled", {"enabled"}, f"{who} is enabled",
         f"enable the account (Enable-ADAccount {name}): the SCEP app pool cannot start without it"),
        ("password never expires", {"passwordNeverExpires"}, f"set as declared ({r.live['passwordNeverExpires']})",
         "set 'Password never expires' on the account as ndes:serviceAccount.passwordNeverExpires says"),
        ("SPNs", {"spnHosts", "spnShortName"}, f"{who} carries {', '.join(r.live['spns'])}",
         "; ".join(f"setspn -s {s} {who}" for s in spns) + " (Kerberos to NDES fails without them)"),
        ("settings", {"name", "ou", "upn", "description"}, "UPN, OU and description as declared",
         "set them in Active Directory Users and Computers")])


def account_checks(ctx: Any) -> list[Result]:
    """What no resource owns: the account's health and whether another account holds one of its SPNs."""
    cfg, d = ctx.cfg, ctx.directory()
    a = d.account(cfg.service_account.name)
    if a is None:
        return []  # "service account exists" fails already
    sd = _declared(ctx)["service-account"]  # its declared SPNs, validated and normalised as the provider does
    inp = sd.provider.Inputs.model_validate({**sd.props, **{
        k: v for k, v in ctx.connection(LDAP).items() if k in sd.provider.Inputs.connection_fields}})
    out = account_health(a, cfg.domain.logon_name(cfg.service_account.name))
    for spn in inp.spns():
        others = [dn for dn in d.spn_holders(spn) if dn.lower() != a.dn.lower()]
        out.append(ok(AREA, f"SPN {spn} unique", f"no other account holds {spn}") if not others else
                   fail(AREA, f"SPN {spn} unique", f"{spn} is also registered on {'; '.join(others)} (duplicate SPN)",
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


WORDS = {"kind": "enrolls (ssl: computers, client: users)", "displayName": "display name",
         "renewalPeriod": "renewal period", "minimumKeySize": "minimum key size", "keyUsage": "key usage",
         "extendedKeyUsage": "application policies (EKU)", "exportable": "private key exportable",
         "enrolleeSuppliesSubject": "supply in the request", "publishToAd": "publish in Active Directory",
         "enrollPrincipals": "Read + Enroll for", "extraGrants": "other grants"}
"""The template inputs as certtmpl.msc's tabs name them."""


def template_checks(ctx: Any, step: str) -> list[Result]:
    """CertificateTemplate `step` (ssl-template, client-template, client-template-<slug>) as its provider reads it:
    exists, settings, Read + Enroll for the declared principals, no other grant (ESC1/ESC4)."""
    d = _declared(ctx)[step]
    kind, name, key = d.props["kind"], d.props["name"], d.config_key
    r = read(ctx, d, LDAP)
    if not r.exists:
        return [judged(AREA, f"{kind} template {name} exists", r, missing=f"no certificate template named {name}",
                       fix=f"duplicate the {'Web Server' if kind == 'ssl' else 'User'} template as {name} ({key}.name "
                           "names it)", well="")]
    if step == "client-template":  # what the MSCEP check compares the mapping's purpose with
        ctx.cache["clientKeyUsage"] = list(r.live["keyUsage"])
    out = _parts(r, f"{kind} template {name}", [
        ("settings", set(WORDS) - {"enrollPrincipals", "extraGrants"} | {"name", "validity"}, "as declared",
         "set these on the template's tabs in certtmpl.msc" + (" (duplicate 'Web Server')" if kind == "ssl" else "")),
        ("ACL", {"enrollPrincipals"}, f"Read + Enroll for {', '.join(r.inp.enroll_principals)}",
         f"Security tab of {name}: grant {', '.join(_lacking(r.live['enrollPrincipals'], r.inp.enroll_principals))} "
         "Read and Enroll (an account not yet in the domain: join the NDES host / create the service account first)"),
        ("other grants", {"extraGrants"}, "only the built-in admins, the bind account and the enroll principals",
         f"remove these on the Security tab of {name}, or set {key}.removeExtraGrants: true")])
    if out[-1].status == "fail":  # the risk in words: the drift alone does not say why it matters
        out[-1] = dataclasses.replace(out[-1], detail=f"{'; '.join(r.live['extraGrants'])}: whoever holds Enroll can "
                                      "request a certificate naming any user (ESC1), write or owner rights let them "
                                      "change the template (ESC4)")
    return out


def client_templates(ctx: Any) -> list[Result]:
    """The client template and each of templates.moreClients; the client template's key usage is kept for the
    MSCEP check."""
    return [x for step in _declared(ctx) if step.startswith("client-template") for x in template_checks(ctx, step)]


def issuance_checks(ctx: Any) -> list[Result]:
    """TemplateIssuance of every template as its provider reads it: the name in the CA's certificateTemplates."""
    ca = ctx.cfg.ca.common_name
    out = []
    for step, d in _declared(ctx).items():
        if d.kind != "TemplateIssuance":
            continue
        name = d.props["templateName"]
        check = f"{step.split('-issuance')[0]} template issued" + (f" ({name})" if "-issuance-" in step else "")
        r = read(ctx, d, LDAP)
        out.append(judged(AREA, check, r, names={"issued": f"{name} issued on {ca}"},
                          missing=f"no Enterprise CA {ca} in the Enrollment Services container",
                          fix=f"certsrv.msc > Certificate Templates > New > Certificate Template to Issue > {name}",
                          well=f"{name} is issued on {ca}"))
    return out
