"""IisRequestLimits.ps1: requestFiltering/requestLimits maxUrl and maxQueryString of a site, set at the site's
location (Set-WebConfigurationProperty -Location) over the server-level defaults (4096 / 2048); absent removes
the site-level values. IIS not installed -> the WebAdministration module error; the schema's uint range is
enforced as IIS does."""
from __future__ import annotations

from .. import hostmodel as hm
from . import HostContext, ScriptError, handler, mode_of, param, result

NAMES = ("maxUrl", "maxQueryString")
UINT_MAX = 0xFFFFFFFF


def effective(st: dict, site: dict, name: str) -> int:
    return int(site["requestLimits"].get(name, st["iis"]["serverRequestLimits"][name]))


@handler("IisRequestLimits")
def iis_request_limits(ctx: HostContext, params: dict) -> dict:
    mode = mode_of(params)
    st = ctx.state
    if not hm.iis_installed(st):
        raise ScriptError("The specified module 'WebAdministration' was not loaded because no valid module file was "
                          "found in any module directory.", "ResourceUnavailable")
    site_name = str(param(params, "site"))
    owner = str(params.get("owner") or "")
    ensure = params.get("ensure") or "present"
    mark = f"IisRequestLimits:{site_name.lower()}"
    found = hm.find_site(st, site_name)
    changed = False
    if mode == "set":
        if found is None:
            raise ScriptError(f"IIS site '{site_name}' does not exist", "ObjectNotFound")
        site = found[1]
        for name in NAMES:
            if ensure == "absent":
                if effective(st, site, name) != st["iis"]["serverRequestLimits"][name]:
                    site["requestLimits"].pop(name, None)
                    changed = True
                continue
            raw = param(params, name)
            if isinstance(raw, bool) or not isinstance(raw, int) or not 0 <= raw <= UINT_MAX:
                raise ScriptError(f'Cannot convert value "{raw}" to type "System.UInt32". Error: "Value was '
                                  'either too large or too small for a UInt32."', "InvalidArgument")
            if effective(st, site, name) != raw:
                site["requestLimits"][name] = raw
                changed = True
        if ensure == "absent":
            hm.clear_owner_mark(st, mark)
        elif owner:
            hm.set_owner_mark(st, mark, owner)
    state = {"site": site_name, "siteExists": found is not None, "maxUrl": None, "maxQueryString": None,
             "owner": hm.owner_mark(st, mark) or ""}
    if found is not None:
        for name in NAMES:
            state[name] = effective(st, found[1], name)
    return result(state, changed=changed)
