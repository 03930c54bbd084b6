"""IisHttpsBinding on a simulated NDES host: the site's https binding (IIS configuration + the HTTP.sys SSL
certificate binding) as IisHttpsBinding.ps1 converges it. Refuses a missing site (Get-Website finds nothing),
a certificate that is not in LocalMachine\\My, and IIS not installed (the WebAdministration module is absent)."""
from __future__ import annotations

from typing import Any

from .. import certstore, hostmodel
from . import ScriptError, handler


def _target(site: dict[str, Any], port: int) -> dict[str, Any] | None:
    https = [b for b in site["bindings"] if b["protocol"] == "https" and b["bindingInformation"].split(":", 2)[1] == str(port)]
    empty = [b for b in https if b["bindingInformation"].split(":", 2)[2] == ""]
    return (empty or https or [None])[0]


def _state(site: dict[str, Any] | None, binding: dict[str, Any] | None) -> dict[str, Any]:
    if binding is None:
        return {"exists": False, "siteExists": site is not None, "hostName": "", "thumbprint": ""}
    ip, port, host = binding["bindingInformation"].split(":", 2)
    return {"exists": True, "siteExists": True, "bindingInformation": binding["bindingInformation"], "ipAddress": ip,
            "port": int(port), "hostName": host, "thumbprint": (binding.get("certificateHash") or "").upper(),
            "storeName": binding.get("certificateStoreName", ""), "sslFlags": int(binding.get("sslFlags", 0))}


@handler("IisHttpsBinding")
def iis_https_binding(ctx: Any, p: dict[str, Any]) -> dict[str, Any]:
    state = ctx.state
    if not hostmodel.iis_installed(state):
        raise ScriptError("The specified module 'WebAdministration' was not loaded because no valid module file was "
                          "found in any module directory.", "ResourceUnavailable")
    found = hostmodel.find_site(state, str(p.get("siteName")))
    site = found[1] if found else None
    port = int(p.get("port") or 443)
    binding = _target(site, port) if site else None
    changed = False
    mark = f"IisHttpsBinding:{p.get('siteName')}:{p.get('port')}"
    if p.get("mode") == "set":
        thumb = str(p.get("thumbprint") or "").upper()
        if (p.get("ensure") or "present") == "absent":
            if binding is not None and (binding.get("certificateHash") or "").upper() == thumb:
                site["bindings"].remove(binding)
                binding, changed = None, True
            hostmodel.clear_owner_mark(state, mark)
        else:
            if site is None:
                raise ScriptError(f"the IIS site {p.get('siteName')} does not exist", "ObjectNotFound")
            if thumb not in certstore.store(state):
                raise ScriptError(f"the certificate {thumb} is not in LocalMachine\\My", "ObjectNotFound")
            want = f"{p.get('ipAddress') or '*'}:{port}:{p.get('hostName') or ''}"
            if binding is not None and (binding["bindingInformation"] != want
                                        or int(binding.get("sslFlags", 0)) != int(p.get("sslFlags") or 0)):
                site["bindings"].remove(binding)
                binding, changed = None, True
            if binding is None:
                binding = {"protocol": "https", "bindingInformation": want, "certificateHash": "",
                           "certificateStoreName": "", "sslFlags": int(p.get("sslFlags") or 0)}
                site["bindings"].append(binding)
                changed = True
            if (binding.get("certificateHash") or "").upper() != thumb:
                binding["certificateHash"], binding["certificateStoreName"] = thumb, "My"
                changed = True
            if p.get("owner"):
                hostmodel.set_owner_mark(state, mark, str(p["owner"]))
    out = _state(site, binding)
    out["owner"] = hostmodel.owner_mark(state, mark) or ""
    return {"changed": changed, "state": out, "rebootRequired": False, "warnings": []}
