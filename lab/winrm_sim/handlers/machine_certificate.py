"""MachineCertificate on a simulated NDES host: LocalMachine\\My as Windows exposes it (each certificate's DER,
Subject, Issuer, FriendlyName, HasPrivateKey) and the script's three primitives: an enrollment from an
Enterprise CA template as the host's computer account (e.g. NDES1$) through the simulated CA
(lab/winrm_sim/ca.py, which asks the real lab Samba whether the template is issued and whether the computer may
enroll), with a key of the requested length (the template's minimum when none is asked for; the CA refuses one
below it), setting a FriendlyName, and Remove-Item -DeleteKey. The handler holds no notion of which template a
certificate came from: that is only in the certificate's own extensions, which the client decodes."""
from __future__ import annotations

import re
from typing import Any

from ndes.windows.contracts.machine_certificate import MachineCertificateParams

from .. import ca, certstore, hostmodel
from . import ScriptError, handler, validated

_CN = re.compile(r"^CN=(.+)$")


def _enroll(ctx: Any, p: MachineCertificateParams) -> str:
    m = _CN.match(p.subject)
    if not m:
        raise ScriptError("CertEnroll::CX509CertificateRequestPkcs10::Encode: The subject name is invalid (give "
                          "it as CN=<name>)", "InvalidArgument")
    ca_state = certstore.certsvc_view(certstore.host_state(ctx, certstore.ca_host_name()))
    requester = hostmodel.short_name(ctx.name) + "$"
    try:
        delay = ctx.knobs.template_delay_seconds if ctx.knobs is not None else 0.0
        cert, key, _tpl = ca.request_from_template(certstore.samba(ctx), ca_state, requester, p.template,
                                                   m.group(1), [n.lower() for n in p.dns_names],
                                                   key_size=p.key_length or None, pickup_delay=delay)
    except ca.CaRefused as exc:
        raise ScriptError(f"CertEnroll::CX509Enrollment::Enroll: {exc.message}", exc.category) from None
    return certstore.add(ctx.state, cert, ca.key_pem(key), friendly_name=p.friendly_name)


@handler("MachineCertificate")
def machine_certificate(ctx: Any, raw: dict[str, Any]) -> dict[str, Any]:
    p = validated(MachineCertificateParams, raw)
    store = certstore.store(ctx.state)
    thumb = p.thumbprint.upper()
    entry = store.get(thumb) if thumb else None
    changed = False
    if p.mode == "set":
        if p.action == "remove":
            if entry is not None:
                del store[thumb]
                entry, changed = None, True
        elif p.action == "mark":
            if entry is None:
                raise ScriptError(f"certificate {p.thumbprint} is not in LocalMachine\\My", "NotSpecified")
            if entry.get("friendlyName", "") != p.friendly_name:
                entry["friendlyName"], changed = p.friendly_name, True
        elif p.action == "enroll":
            thumb = _enroll(ctx, p)
            entry, changed = store[thumb], True
        else:
            raise ScriptError("unknown action '' (enroll, mark, remove)", "NotSpecified")
    state = {"certificate": certstore.windows_facts(entry) if entry is not None else None,
             "store": [certstore.windows_facts(e) for e in store.values()] if p.list_store else []}
    return {"changed": changed, "state": state, "rebootRequired": False, "warnings": []}
