"""CaCertificate on the simulated CA host: the issuing CA certificate (lab.pki.ensure_enterprise_ca()) and the
lab root it chains to, as CaCertificate.ps1 reports them (contract: ndes/windows/contracts/ca_certificate.py,
which every request is validated against): the active CA (CertSvc\\Configuration Active, the sanitized name),
its CommonName, and its current certificate."""
from __future__ import annotations

from typing import Any

from ndes.windows.contracts.ca_certificate import CaCertificateParams

from .. import ca, certstore
from . import handler, result, validated


def _facts(cert) -> dict[str, Any]:
    f = ca.cert_facts(cert)
    return {"derBase64": f["derBase64"], "pem": f["pem"], "thumbprint": f["thumbprint"], "subject": f["subject"],
            "notAfter": f["notAfter"], "selfSigned": cert.subject == cert.issuer}


@handler("CaCertificate")
def ca_certificate(ctx: Any, raw: dict[str, Any]) -> dict[str, Any]:
    validated(CaCertificateParams, raw)
    state: dict[str, Any] = {"exists": False}
    if getattr(ctx, "role", "ca") == "ca":
        svc = certstore.certsvc(ctx.state)
        entry = certstore.store(ctx.state).get(svc["caCertHash"][-1])
        if entry is not None:
            issuing = certstore.load(entry)
            root = ca.root_ca()
            state = {"exists": True, "configKey": certstore.config_key(svc), "commonName": svc["caName"],
                     "issuing": _facts(issuing), "root": _facts(root if issuing.issuer == root.subject else issuing)}
    return result(state)
