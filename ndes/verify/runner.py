"""Runs the checks in the guide's order, reports progress on stderr, and renders the table or the JSON.

Each step is (area, what, function -> list[Result]); a step whose client fails (unreachable, refused, TLS) is
one `fail` naming the cause, and the run goes on with the other steps.
"""
from __future__ import annotations

import json
from typing import Any, Callable, TextIO

from .context import Context
from .result import Result, fail, worst

Step = tuple[str, str, Callable[[], list[Result]]]


def steps(ctx: Context) -> list[Step]:
    from . import day_two as t, directory as d, external as e, graph as g, host_checks as hc, hosts as w
    from .listener import CHECK, winrm_listener

    cfg = ctx.cfg
    ca_area = f"CA {cfg.ca.host}"
    out: list[Step] = []
    if ctx.windows_factory is None:  # the real WinRM transport: first, does each host's listener answer at all
        out += [(ca_area, CHECK, lambda: winrm_listener(ca_area, cfg.ca.host, str(
            cfg.winrm_for(cfg.ca.host, cfg.ca.winrm).url), ctx.cache))]
        out += [(h.fqdn, CHECK, lambda h=h: winrm_listener(h.fqdn, h.fqdn, str(cfg.winrm_for(h.fqdn, h.winrm).url),
                                                           ctx.cache)) for h in cfg.ndes_hosts]
    if ctx.directory_factory is None:  # the providers' own reads: the real LDAP client (unit tests fake a reader)
        out += [("directory", "service account", lambda: d.service_account(ctx))]
    out += [("directory", "service account health and SPN uniqueness", lambda: d.account_checks(ctx))]
    if ctx.directory_factory is None:
        out += [("directory", "SSL template", lambda: d.template_checks(ctx, "ssl-template")),
                ("directory", "client templates", lambda: d.client_templates(ctx)),
                ("directory", "template issuance", lambda: d.issuance_checks(ctx))]
    out += [
        (ca_area, "Request Certificates", lambda: w.ca_access(cfg, ctx)),
        (ca_area, "CA certificates' expiry", lambda: t.ca_expiry(cfg, ctx)),
    ]
    for h in cfg.ndes_hosts:
        out += [
            (h.fqdn, "IIS_IUSRS", lambda h=h: w.iis_iusrs(cfg, ctx, h)),
            (h.fqdn, "IIS request limits", lambda h=h: w.request_limits(cfg, ctx, h)),
            (h.fqdn, "HTTP.sys values", lambda h=h: w.http_sys(cfg, ctx, h)),
            (h.fqdn, "MSCEP mapping", lambda h=h: w.mscep(cfg, ctx, h, ctx.cache.get("clientKeyUsage"))),
            (h.fqdn, "SSL certificate and binding", lambda h=h: w.ssl_and_binding(cfg, ctx, h, _ca_names(ctx))),
            (h.fqdn, "RA certificates", lambda h=h: w.ra_certificates(cfg, ctx, h)),
            (h.fqdn, "SCEP app pool", lambda h=h: t.scep_pool(cfg, ctx, h)),
            (h.fqdn, "host diagnostics (Validate-NDESConfiguration)", lambda h=h: hc.host_checks(cfg, ctx, h)),
            (h.fqdn, "reboot pending", lambda h=h: hc.reboot_pending(cfg, ctx, h)),
            (h.fqdn, "RA certificates by the host's clock", lambda h=h: t.ra_by_host_clock(cfg, ctx, h)),
            (h.fqdn, "Intune connector", lambda h=h: w.connector(cfg, ctx, h)),
            (f"graph {h.fqdn}", "App Proxy application", lambda h=h: g.app_proxy(cfg, ctx, h)),
            (f"external {h.external_fqdn}", "SCEP through the external URL",
             lambda h=h: e.external_checks(cfg, _fetcher(ctx), h, ctx.cache.get(("ra", h.fqdn)))),
        ]
    out.append(("graph intune", "Intune profiles", lambda: g.intune_profiles(cfg, ctx)))
    return out


def _fix_for(exc: Exception) -> str:
    from ..windows import ScriptFailed
    if isinstance(exc, ScriptFailed):
        return ("the host answered but could not report: install what the message names (IIS, the NDES role, the "
                "service account) -- `pulumi up` does")
    return "check that the host answers and that the credentials and caBundle in the stack config are right"


def _ca_names(ctx: Context) -> set[str]:
    from . import hosts as w
    try:
        return w.ca_subjects(ctx.cfg, ctx)
    except Exception:  # the CA host's own step reports why it cannot be read
        return set()


def _fetcher(ctx: Context) -> Any:
    if ctx.scep_fetcher is None:
        from .external import ScepFetcher
        ctx.scep_fetcher = ScepFetcher(ctx.external_ca_bundle())
    return ctx.scep_fetcher


def run(ctx: Context, progress: TextIO | None = None) -> list[Result]:
    """Every step in order; progress lines on `progress` (stderr in the CLI)."""
    plan = steps(ctx)
    results: list[Result] = []
    for i, (area, what, fn) in enumerate(plan, 1):
        if progress is not None:
            progress.write(f"[{i:>2}/{len(plan)}] {area}: {what} ...")
            progress.flush()
        from .listener import not_checked, skipped_key
        try:
            host = ctx.cache.get(skipped_key(area))
            got = [not_checked(area, what, host)] if host else fn()
        except Exception as exc:  # a client error: the step fails with its cause, the run goes on
            got = [fail(area, what, f"could not check: {exc}", _fix_for(exc))]
        results += got
        if progress is not None:
            progress.write(f" {worst(got)}\n")
            progress.flush()
    return results


SYMBOL = {"pass": "PASS", "warn": "WARN", "fail": "FAIL"}


def table(results: list[Result], width: int = 100) -> str:
    """A plain-text table: status, area, check, detail; the fix under each warn/fail."""
    rows = [(SYMBOL[r.status], r.area, r.check, r.detail) for r in results]
    w_area = min(max((len(r[1]) for r in rows), default=4), 34)
    w_check = min(max((len(r[2]) for r in rows), default=5), 44)
    lines = [f"{'':4}  {'AREA':<{w_area}}  {'CHECK':<{w_check}}  DETAIL"]
    for r, (s, a, c, d) in zip(results, rows):
        lines.append(f"{s:4}  {a:<{w_area}}  {c:<{w_check}}  {d}")
        if r.fix:
            lines.append(f"{'':4}  {'':<{w_area}}  {'':<{w_check}}  fix: {r.fix}")
    n = {k: sum(1 for r in results if r.status == k) for k in SYMBOL}
    lines.append(f"\n{n['pass']} passed, {n['warn']} warnings, {n['fail']} failed")
    return "\n".join(lines)


def document(results: list[Result]) -> str:
    counts = {k: sum(1 for r in results if r.status == k) for k in SYMBOL}
    return json.dumps({"status": worst(results), "counts": counts, "results": [r.as_dict() for r in results]},
                      indent=2)
