"""CaCertificate on the simulated CA host: the issuing CA certificate (lab.pki.ensure_enterprise_ca()) and the
lab root it chains to, in the shape CaCertificate.ps1 reports (read-only: set mode changes nothing)."""
from __future__ import annotations

from typing import Any

from .. import ca, certstore
from . import handler


def _facts(cert) -> dict[str, Any]:
    f = ca.cert_facts(cert)
    return {"derBase64": f["derBase64"], "pem": f["pem"], "thumbprint": f["thumbprint"], "subject": f["subject"],
            "notAfter": f["notAfter"], "selfSigned": cert.subject == cert.issuer}


@handler("CaCertificate")
def ca_certificate(ctx: Any, params: dict[str, Any]) -> dict[str, Any]:
    state: dict[str, Any] = {"exists": False}
    if getattr(ctx, "role", "ca") == "ca":
        svc = certstore.certsvc(ctx.state)
        entry = certstore.store(ctx.state).get(svc["caCertHash"][-1]) if svc["caName"] == params.get("caName") else None
        if entry is not None:
            issuing = certstore.load(entry)
            root = ca.root_ca()
            state = {"exists": True, "issuing": _facts(issuing),
                     "root": _facts(root if issuing.issuer == root.subject else issuing)}
    return {"changed": False, "state": state, "rebootRequired": False, "warnings": []}
