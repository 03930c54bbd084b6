"""IisRequestLimits.ps1: requestFiltering/requestLimits maxUrl and maxQueryString of a site, set at the site's
location (Set-WebConfigurationProperty -Location) over the server-level defaults (4096 / 2048); absent removes
the site-level values. IIS not installed -> the WebAdministration module error; every request is validated against
the contract (ndes/windows/contracts/iis_request_limits.py: the schema's uint range, as IIS enforces it)."""
from __future__ import annotations

from ndes.windows.contracts.iis_request_limits import IisRequestLimitsParams

from .. import hostmodel as hm
from . import HostContext, ScriptError, handler, result, validated
from ._webadministration import import_webadministration

NAMES = ("maxUrl", "maxQueryString")


def effective(st: dict, site: dict, name: str) -> int:
    return int(site["requestLimits"].get(name, st["iis"]["serverRequestLimits"][name]))


@handler("IisRequestLimits")
def iis_request_limits(ctx: HostContext, raw: dict) -> dict:
    p = validated(IisRequestLimitsParams, raw)
    params = p.wire()
    st = ctx.state
    import_webadministration(st)
    mark = f"IisRequestLimits:{p.site.lower()}"
    found = hm.find_site(st, p.site)
    changed = False
    if p.mode == "set":
        if found is None:
            raise ScriptError(f"IIS site '{p.site}' does not exist", "ObjectNotFound")
        site = found[1]
        for name in NAMES:
            if p.ensure == "absent":
                if effective(st, site, name) != st["iis"]["serverRequestLimits"][name]:
                    site["requestLimits"].pop(name, None)
                    changed = True
                continue
            if effective(st, site, name) != params[name]:
                site["requestLimits"][name] = params[name]
                changed = True
        if p.ensure == "absent":
            hm.clear_owner_mark(st, mark)
        elif p.owner:
            hm.set_owner_mark(st, mark, p.owner)
    state = {"site": p.site, "siteExists": found is not None, "maxUrl": None, "maxQueryString": None,
             "owner": hm.owner_mark(st, mark) or ""}
    if found is not None:
        for name in NAMES:
            state[name] = effective(st, found[1], name)
    return result(state, changed=changed)
