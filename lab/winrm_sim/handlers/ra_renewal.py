"""NdesRaRenewal on a simulated NDES host: new RA certificates requested from the lab CA, the SCEP pool restarted,
old RA certificates deleted; and the facts a renewal is decided on (the host's clock, the RA certificates, what
NDES serves to GetCACert).

Plays what Windows does (sources in docs/lab-fidelity.md, "## WS-Management simulator (Windows hosts)"):
- the request reaches the CA as the install credential when one is given (the script submits it on the CA host
  over WinRM), else as the caller, which an NTLM logon cannot do (the double hop: identity.second_hop);
- the v1 RA templates EnrollmentAgentOffline and CEPEncryption grant Enroll to Domain Admins and Enterprise
  Admins by default (MS-CRTD §3 <42>): anyone else is refused as the CA refuses (0x80094012 template denied);
- a CryptoAPI CSP only (NDES refuses CNG keys); the CA must be running;
- the new certificate carries exactly the subject it was asked for, with a new key of the requested length;
- a new machine key is readable by administrators and SYSTEM only, plus the account the script grants Read
  (`keyReaders`); NDES (the SCEP pool's identity) cannot use an RA key it cannot read (scep_pkiop);
- NDES serves the RA certificates it loaded at the SCEP pool's last start (scep_endpoint.ca_ra_certificates):
  a renewed certificate is served after `restart`; a stopped pool answers 503 to GetCACert.
"""
from __future__ import annotations

import base64
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from ndes.windows.contracts.ndes_ra_renewal import KEY_SPEC, NdesRaRenewalParams

from .. import ca, certstore, clock, hostmodel, identity
from . import ScriptError, handler, validated
from .ndes_role import CRYPTOAPI_PROVIDERS, KEY_LENGTHS, live as ndes_live

TEMPLATE_DENIED = ("Denied by Policy Module 0x80094012, The permissions on the certificate template do not allow the "
                   "current user to enroll for this type of certificate. (account {account}, template {template})")


def _served(state: dict[str, Any]) -> tuple[list[str], str]:
    from .. import scep_endpoint
    if scep_endpoint.serving_facts(state) is None:
        return [], "Unable to connect to the remote server"
    pool = ((state.get("iis") or {}).get("appPools") or {}).get("SCEP") or {}
    if pool.get("state", "Started") != "Started":
        return [], "The remote server returned an error: (503) Server Unavailable."
    certs = scep_endpoint.ca_ra_certificates(state)
    return [base64.b64encode(c.public_bytes(Encoding.DER)).decode() for c in certs], ""


def _facts(state: dict[str, Any], enrolled: list[str]) -> dict[str, Any]:
    pool = ((state.get("iis") or {}).get("appPools") or {}).get("SCEP")
    served, error = _served(state)
    return {"now": clock.now().strftime("%Y-%m-%dT%H:%M:%SZ"), "raCertificates": ndes_live(state)["raCertificates"],
            "appPool": {"exists": pool is not None, "state": (pool or {}).get("state", "")},
            "served": served, "servedError": error, "enrolled": enrolled}


def _enroll(ctx: Any, p: NdesRaRenewalParams) -> list[str]:
    cred = p.install_credential.model_dump() if p.install_credential is not None else None
    account = identity.second_hop(ctx, "the CA", "the RA certificate request", cred)
    ca_host = p.ca_config.split("\\", 1)[0]
    ca_state = certstore.host_state(ctx, ca_host) if ca_host else None
    try:
        ca._check_service(certstore.certsvc_view(ca_state))
    except ca.CaRefused as exc:
        raise ScriptError(f"CertificateAuthority.Request::Submit: {exc.message}", exc.category) from None
    try:
        identity.require_install_admin(ctx, account)
    except ScriptError:
        raise ScriptError(TEMPLATE_DENIED.format(account=account, template=p.requests[0].template if p.requests
                                                 else "?"), "PermissionDenied") from None
    out = []
    for r in p.requests:
        if r.provider not in CRYPTOAPI_PROVIDERS:
            raise ScriptError(f"CertEnroll::CX509PrivateKey::Create: Provider type not defined. 0x80090017 "
                              f"(NTE_PROV_TYPE_NOT_DEF): '{r.provider}' is not a CryptoAPI CSP", "InvalidArgument")
        if r.key_length not in KEY_LENGTHS:
            raise ScriptError(f"CertEnroll::CX509PrivateKey::Create: Invalid parameter. 0x80070057: key length "
                              f"{r.key_length}", "InvalidArgument")
        if r.key_spec != KEY_SPEC[r.template]:
            raise ScriptError(f"the CA refused the {r.template} request: the key spec {r.key_spec} does not match "
                              "the template's (0x80094800)", "InvalidArgument")
        try:
            subject = _name(base64.b64decode(r.subject_der_base64, validate=True))
        except ValueError:
            raise ScriptError("CertEnroll::CX500DistinguishedName::Decode: ASN1 bad tag value met. 0x8009310b",
                              "InvalidArgument") from None
        cert, key = ca.issue_ra_as(r.template, subject, r.key_length)
        tp = certstore.add(ctx.state, cert, ca.key_pem(key))
        certstore.store(ctx.state)[tp]["provider"] = r.provider
        # the key's ACL: administrators and SYSTEM, plus the account the script grants Read (Grant-KeyRead)
        certstore.store(ctx.state)[tp]["keyReaders"] = [p.key_reader] if p.key_reader else []
        out.append(tp)
    return out


def _name(der: bytes) -> x509.Name:
    """A DER Name as CX500DistinguishedName::Decode reads it (every RDN and value kept as encoded)."""
    from asn1crypto import x509 as a509
    try:
        parsed = a509.Name.load(der, strict=True)
        rdns = [x509.RelativeDistinguishedName([x509.NameAttribute(x509.ObjectIdentifier(atv["type"].dotted),
                                                                   str(atv["value"].native)) for atv in rdn])
                for rdn in parsed.chosen]
    except Exception as exc:  # asn1crypto raises several types for bad DER
        raise ValueError(str(exc)) from None
    return x509.Name(rdns)


@handler("NdesRaRenewal")
def ra_renewal(ctx: Any, raw: dict[str, Any]) -> dict[str, Any]:
    p = validated(NdesRaRenewalParams, raw)
    state = ctx.state
    changed, enrolled = False, []
    if p.mode == "set":
        if p.action == "enroll":
            enrolled = _enroll(ctx, p)
            changed = bool(enrolled)
        elif p.action == "restart":
            if "SCEP" not in ((state.get("iis") or {}).get("appPools") or {}):
                raise ScriptError("Cannot find path 'IIS:\\AppPools\\SCEP' because it does not exist.",
                                  "ObjectNotFound")
            hostmodel.start_app_pool(state, "SCEP")
            changed = True
        elif p.action == "remove":
            for tp in p.remove_thumbprints:
                if certstore.store(state).pop(tp.upper(), None) is not None:
                    changed = True
        else:
            raise ScriptError(f"unknown action '{p.action}' (enroll, restart, remove)", "InvalidArgument")
    return {"changed": changed, "state": _facts(state, enrolled), "rebootRequired": False, "warnings": []}
