"""IisHttpsBinding on a simulated NDES host: the site's https bindings (IIS configuration + the HTTP.sys SSL
certificate binding) as IisHttpsBinding.ps1 reads and changes them (contract:
ndes/windows/contracts/iis_https_binding.py, which every request is validated against). Each action acts on the
exact element its bindingInformation names, as Remove-WebBinding -BindingInformation does. Refuses IIS not installed
(the WebAdministration module is absent), a missing site (Get-Website finds nothing), a certificate that is not in
LocalMachine\\My, a binding to give a certificate that does not exist, and a second binding with the same
bindingInformation (New-WebBinding: "Cannot add duplicate collection entry")."""
from __future__ import annotations

from typing import Any

from ndes.windows.contracts.iis_https_binding import IisHttpsBindingParams

from .. import certstore, hostmodel, http_sys
from . import ScriptError, handler, result, validated
from ._webadministration import import_webadministration


def _https(site: dict[str, Any] | None, port: int) -> list[dict[str, Any]]:
    if site is None:
        return []
    return [b for b in site["bindings"]
            if b["protocol"] == "https" and b["bindingInformation"].split(":", 2)[1] == str(port)]


def _find(site: dict[str, Any] | None, port: int, info: str) -> dict[str, Any] | None:
    return next((b for b in _https(site, port) if b["bindingInformation"] == info), None)


@handler("IisHttpsBinding")
def iis_https_binding(ctx: Any, raw: dict[str, Any]) -> dict[str, Any]:
    p = validated(IisHttpsBindingParams, raw)
    state = ctx.state
    import_webadministration(state)
    found = hostmodel.find_site(state, p.site_name)
    site = found[1] if found else None
    mark = f"IisHttpsBinding:{p.site_name}:{p.port}"
    changed = False
    if p.mode == "set":
        for a in p.actions:
            b = _find(site, p.port, a.binding_information)
            if a.kind == "remove":
                if b is not None:
                    http_sys.record_absence(state, b["bindingInformation"], b.get("certificateHash", ""),
                                            "IisHttpsBinding:remove")
                    site["bindings"].remove(b)  # type: ignore[index]
                    changed = True
            elif a.kind == "create":
                if site is None:
                    raise ScriptError(f"the IIS site {p.site_name} does not exist", "ObjectNotFound")
                if b is not None:
                    raise ScriptError("Cannot add duplicate collection entry of type 'binding' with combined key "
                                      f"attributes 'protocol, bindingInformation' respectively set to 'https, "
                                      f"{a.binding_information}'", "InvalidOperation")
                site["bindings"].append({"protocol": "https", "bindingInformation": a.binding_information,
                                         "certificateHash": "", "certificateStoreName": "", "sslFlags": a.ssl_flags})
                changed = True
            else:  # certificate
                thumb = a.thumbprint.upper()
                if thumb not in certstore.store(state):
                    raise ScriptError(f"the certificate {thumb} is not in LocalMachine\\My", "ObjectNotFound")
                if b is None:
                    raise ScriptError(f"the https binding {a.binding_information} of {p.site_name} does not exist",
                                      "ObjectNotFound")
                # RemoveSslCertificate() then AddSslCertificate(): two HTTP.sys calls, a moment without a record
                http_sys.record_absence(state, b["bindingInformation"], b.get("certificateHash", ""),
                                        "IisHttpsBinding:certificate")
                b["certificateHash"], b["certificateStoreName"] = thumb, "My"
                changed = True
        if p.owner_action == "set" and p.owner:
            hostmodel.set_owner_mark(state, mark, p.owner)
        if p.owner_action == "clear":
            hostmodel.clear_owner_mark(state, mark)
    bindings = [{"bindingInformation": b["bindingInformation"], "thumbprint": (b.get("certificateHash") or "").upper(),
                 "storeName": b.get("certificateStoreName", ""), "sslFlags": int(b.get("sslFlags", 0))}
                for b in _https(site, p.port)]
    present = bool(p.thumbprint) and p.thumbprint.upper() in certstore.store(state)
    return result({"siteExists": site is not None, "bindings": bindings, "certificatePresent": present,
                   "owner": hostmodel.owner_mark(state, mark) or ""}, changed=changed)
