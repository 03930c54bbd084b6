"""MachineCertificate on a simulated NDES host: Get-Certificate from an Enterprise CA template into
LocalMachine\\My, as the host's computer account (e.g. NDES1$), through the simulated CA (lab/winrm_sim/ca.py),
which asks the real lab Samba whether the template is issued and whether the computer may enroll."""
from __future__ import annotations

import datetime as dt
import re
from typing import Any

from .. import ca, certstore, hostmodel
from . import ScriptError, handler

_CN = re.compile(r"^CN=(.+)$")


def _wanted(entry: dict[str, Any], p: dict[str, Any]) -> bool:
    f = certstore.facts(entry)
    want = sorted(str(n).lower() for n in p.get("dnsNames") or [])
    return (f["subject"] == p.get("subject") and sorted(f["dnsNames"]) == want and f["template"] == p.get("template")
            and f["hasPrivateKey"] and f["daysLeft"] > int(p.get("renewBeforeDays") or 0)
            and _left(entry) > dt.timedelta(days=int(p.get("renewBeforeDays") or 0)))


def _left(entry: dict[str, Any]) -> dt.timedelta:
    return certstore.load(entry).not_valid_after_utc - dt.datetime.now(dt.timezone.utc)


def _find_match(store: dict[str, Any], p: dict[str, Any]) -> str | None:
    mine = None
    for tp, entry in store.items():
        if _wanted(entry, p):
            if p.get("friendlyName") and entry.get("friendlyName") == p["friendlyName"]:
                return tp
            mine = mine or tp
    return mine


def _facts(entry: dict[str, Any]) -> dict[str, Any]:
    f = certstore.facts(entry)
    f.update({"exists": True, "match": ""})
    for k in ("derBase64", "pem"):
        f.pop(k, None)
    return f


@handler("MachineCertificate")
def machine_certificate(ctx: Any, p: dict[str, Any]) -> dict[str, Any]:
    store = certstore.store(ctx.state)
    thumb = str(p.get("thumbprint") or "").upper()
    entry = store.get(thumb) if thumb else None
    changed = False
    if p.get("mode") == "set":
        if (p.get("ensure") or "present") == "absent":
            if entry is not None:
                del store[thumb]
                entry, changed = None, True
        elif entry is None or not _wanted(entry, p):
            found = _find_match(store, p)
            if found and p.get("friendlyName") and store[found].get("friendlyName") == p["friendlyName"]:
                thumb, entry = found, store[found]
            else:
                m = _CN.match(str(p.get("subject") or ""))
                if not m:
                    raise ScriptError("CertEnroll::CX509CertificateRequestPkcs10::Encode: The subject name is "
                                      "invalid (give it as CN=<name>)", "InvalidArgument")
                ca_state = certstore.certsvc_view(certstore.host_state(ctx, certstore.ca_host_name()))
                requester = hostmodel.short_name(ctx.name) + "$"
                try:
                    cert, key, tpl = ca.request_from_template(
                        certstore.samba(ctx), ca_state, requester, str(p.get("template")), m.group(1),
                        [str(n).lower() for n in p.get("dnsNames") or []])
                except ca.CaRefused as exc:
                    raise ScriptError(f"CertEnroll::CX509Enrollment::Enroll: {exc.message}", exc.category) from None
                thumb = certstore.add(ctx.state, cert, ca.key_pem(key), template=tpl.name)
                entry, changed = store[thumb], True
            if p.get("friendlyName") and entry.get("friendlyName") != p["friendlyName"]:
                entry["friendlyName"] = p["friendlyName"]
    state = _facts(entry) if entry is not None else {"exists": False, "match": ""}
    if p.get("mode") == "get":
        found = _find_match(store, p)
        if found:
            state["match"] = found
            state["matchFriendlyName"] = store[found].get("friendlyName", "")
    return {"changed": changed, "state": state, "rebootRequired": False, "warnings": []}
