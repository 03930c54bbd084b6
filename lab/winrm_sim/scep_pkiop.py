"""SCEP PKIOperation on a simulated NDES host, as NDES with the Intune policy module answers it.

    pki_operation(state, message) -> (HTTP status, content type, body)

For a PKCSReq (19) or RenewalReq (17) pkiMessage (lab/winrm_sim/scep_cms.py):
1. the signature must verify with the requester's certificate (else CertRep FAILURE badMessageCheck); a
   RenewalReq must be signed by a certificate the lab CA issued;
2. the pkcsPKIEnvelope must be encrypted to one of the host's CEPEncryption RA certificates (their keys are in
   the host's LocalMachine\\My, as the NdesRole install left them; ndes_role.ra_certificates) with a cipher NDES
   decrypts (DES, 3DES, AES-CBC; else badAlg);
3. the challengePassword of the PKCS #10 request goes to Intune through the Certificate Connector, which must be
   installed AND registered on the host, its certificate unexpired and its services running (else NDES has no
   Intune policy module to ask and the password is refused). The connector calls the tenant's validation
   (lab/graph_sim/scep_challenge.py: signed with the connector certificate's key) at the service URL the
   registration recorded (`state["labIntune"]["serviceUrl"]`, default the lab Graph address); Intune checks
   the challenge (one use, not expired, its profile still there) and that the request's subject and SANs are
   the profile's;
4. the template is the MSCEP registry value for the profile's key usage (digitalSignature ->
   SignatureTemplate, keyEncipherment -> EncryptionTemplate, both -> GeneralPurposeTemplate), and NDES submits
   the request to the lab CA as its service account (the SCEP app pool identity): ca.issue_from_csr checks the
   CA's Request Certificates right and the template in the real Samba and builds the certificate from it;
5. the answer is a CertRep signed by the newest EnrollmentAgentOffline RA key: SUCCESS with the certificate
   enveloped to the requester (the request's cipher), or FAILURE badRequest when Intune or the CA refuse.
Each refusal and each issuance is recorded in the host's event log (state["eventLog"]["Application"]) and
reported back to Intune (notify). A message that is not a pkiMessage at all gets HTTP 400 (no CertRep can
carry a transaction it cannot read).
"""
from __future__ import annotations

import base64
import datetime as dt
import json
import ssl
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import AttributeOID

from lab import topology
from lab.pki import ca_bundle_path

from . import ca, certstore, hostmodel, scep_cms, store
from .handlers import intune_connector, ndes_role

PKI_MESSAGE = "application/x-pki-message"
INTUNE_STATE = "labIntune"
"""Host state key: where the registered connector reaches the tenant ({"serviceUrl": "https://..."})."""
NDES_SOURCE = "Microsoft-Windows-NetworkDeviceEnrollmentService"
CONNECTOR_SOURCE = "Microsoft-Intune-CertificateConnectors"
EVENTS_KEPT = 200
PURPOSE = {("digitalSignature",): "SignatureTemplate", ("keyEncipherment",): "EncryptionTemplate",
           ("digitalSignature", "keyEncipherment"): "GeneralPurposeTemplate"}
REQUEST_TYPES = ("19", "17")


@dataclass
class Refusal(Exception):
    fail_info: str
    message: str
    source: str = NDES_SOURCE


# ------------------------------------------------------------------------------------------ entry point
def pki_operation(state: dict[str, Any], message: bytes) -> tuple[int, str, bytes]:
    """Answer one PKIOperation for the NDES host whose state is `state` (read just before)."""
    try:
        req = scep_cms.parse_pki_message(message)
    except scep_cms.MessageError as exc:
        _log(state, "Error", NDES_SOURCE, f"The Network Device Enrollment Service cannot decode the SCEP "
                                          f"message: {exc}")
        return 400, "text/plain", b"Bad Request: the message is not a SCEP pkiMessage\n"
    signer = _ra(state, "EnrollmentAgentOffline")
    if signer is None:
        _log(state, "Error", NDES_SOURCE, "The Network Device Enrollment Service cannot find its signing "
                                          "(EnrollmentAgentOffline) certificate")
        return 500, "text/plain", b"Internal Server Error\n"
    cipher = "aes256_cbc"
    try:
        csr, cipher = _open(state, req)
        profile = _intune_validates(state, req, csr)
        cert = _submit(state, req, csr, profile)
    except Refusal as exc:
        _log(state, "Error", exc.source, exc.message, req.transaction_id)
        body = scep_cms.cert_rep(req, scep_cms.FAILURE, *signer, fail_info=exc.fail_info)
        return 200, PKI_MESSAGE, body
    _log(state, "Information", NDES_SOURCE, f"The Network Device Enrollment Service issued certificate "
                                            f"{ca.thumbprint(cert)} ({ca.windows_subject(cert.subject)}) for a "
                                            f"{req.type_name} encrypted with {cipher}, signed with {req.digest}",
         req.transaction_id)
    body = scep_cms.cert_rep(req, scep_cms.SUCCESS, *signer, issued=cert, cipher=cipher)
    return 200, PKI_MESSAGE, body


# ------------------------------------------------------------------------------------------ steps
def _ra(state: dict[str, Any], template: str) -> tuple[x509.Certificate, rsa.RSAPrivateKey] | None:
    pairs = _ra_all(state, template)
    return pairs[0] if pairs else None


def _ra_all(state: dict[str, Any], template: str) -> list[tuple[x509.Certificate, rsa.RSAPrivateKey]]:
    """The host's RA certificates of `template` with their keys, newest first."""
    out = []
    mine = [c for c in ndes_role.ra_certificates(state) if c["template"] == template]
    pool_user = str((((state.get("iis") or {}).get("appPools") or {}).get("SCEP") or {}).get("userName") or "")
    for c in sorted(mine, key=lambda c: c["notBefore"], reverse=True):
        entry = certstore.store(state)[c["thumbprint"]]
        if not entry.get("keyPem"):
            continue
        readers = entry.get("keyReaders")  # the key's ACL (absent: from before the model kept it)
        if readers is not None and pool_user.lower() not in (r.lower() for r in readers):
            continue  # NDES runs as the pool's identity: a key it cannot read is no key to it
        key = serialization.load_pem_private_key(entry["keyPem"].encode(), password=None)
        if isinstance(key, rsa.RSAPrivateKey):
            out.append((certstore.load(entry), key))
    return out


def _open(state: dict[str, Any], req: scep_cms.PkiMessage) -> tuple[x509.CertificateSigningRequest, str]:
    if not req.signature_ok:
        raise Refusal(scep_cms.BAD_MESSAGE_CHECK, f"The SCEP message (transaction {req.transaction_id}) does not "
                                                  f"verify: {req.problem}")
    if req.message_type not in REQUEST_TYPES:
        raise Refusal(scep_cms.BAD_REQUEST, f"The Network Device Enrollment Service does not process "
                                            f"{req.type_name} messages")
    if req.message_type == "17":  # renewal: signed with the certificate being renewed, which our CA issued
        issuer, _ = ca.issuing_ca()
        try:
            assert req.signer is not None
            req.signer.verify_directly_issued_by(issuer)
        except (ValueError, TypeError, InvalidSignature, AssertionError):
            raise Refusal(scep_cms.BAD_MESSAGE_CHECK, "The renewal request is not signed with a certificate this "
                                                      "CA issued") from None
    try:
        content, cipher = scep_cms.open_envelope(req.content, _ra_all(state, "CEPEncryption"))
    except scep_cms.EnvelopeError as exc:
        raise Refusal(exc.fail_info, f"The Network Device Enrollment Service cannot decrypt the request: "
                                     f"{exc}") from None
    try:
        csr = x509.load_der_x509_csr(content)
    except ValueError:
        raise Refusal(scep_cms.BAD_REQUEST, "The enveloped content is not a PKCS #10 certificate request") from None
    if not csr.is_signature_valid:
        raise Refusal(scep_cms.BAD_MESSAGE_CHECK, "The PKCS #10 request's signature is not valid")
    return csr, cipher


def challenge_of(csr: x509.CertificateSigningRequest) -> str | None:
    try:
        raw = csr.attributes.get_attribute_for_oid(AttributeOID.CHALLENGE_PASSWORD).value
    except x509.AttributeNotFound:
        return None
    return raw.decode(errors="replace") if isinstance(raw, bytes) else str(raw)


def connector_ready(state: dict[str, Any]) -> str | None:
    """None when the Intune policy module can ask Intune, else why it cannot."""
    live = intune_connector._live(state)
    if not live["installed"]:
        return ("The challenge password is not valid: the Intune Certificate Connector (the Intune policy "
                "module) is not installed, and the Network Device Enrollment Service issued no password")
    if not live["registered"]:
        return "The Intune Certificate Connector is not registered with Intune: it cannot validate the challenge"
    if live["certificateDaysLeft"] is not None and live["certificateDaysLeft"] < 0:
        return (f"The Intune Certificate Connector's certificate expired on {live['certificateNotAfter']}: it "
                f"cannot validate the challenge")
    if not intune_connector.configured_running(state):
        return "The Intune Certificate Connector's services are not running: it cannot validate the challenge"
    return None


def _intune_validates(state: dict[str, Any], req: scep_cms.PkiMessage,
                      csr: x509.CertificateSigningRequest) -> dict[str, Any]:
    why = connector_ready(state)
    if why:
        raise Refusal(scep_cms.BAD_REQUEST, why)
    challenge = challenge_of(csr)
    if not challenge:
        raise Refusal(scep_cms.BAD_REQUEST, "The certificate request carries no challenge password",
                      CONNECTOR_SOURCE)
    status, answer = intune_call(state, "scepChallenges/validate", {
        "challenge": challenge, "transactionId": req.transaction_id,
        "csr": base64.b64encode(csr.public_bytes(serialization.Encoding.DER)).decode()})
    if status != 200:
        raise Refusal(scep_cms.BAD_REQUEST, f"Intune did not validate the challenge (HTTP {status}): "
                                            f"{answer.get('error', answer)}", CONNECTOR_SOURCE)
    if not answer.get("valid"):
        raise Refusal(scep_cms.BAD_REQUEST, f"Intune rejected the request: {answer.get('reason')}", CONNECTOR_SOURCE)
    return answer["profile"]


def _submit(state: dict[str, Any], req: scep_cms.PkiMessage, csr: x509.CertificateSigningRequest,
            profile: dict[str, Any]) -> x509.Certificate:
    ku = tuple(sorted(k for k in profile.get("keyUsage") or [] if k in ("digitalSignature", "keyEncipherment")))
    value_name = PURPOSE.get(ku)
    if value_name is None:
        raise _failed(state, req, f"The profile's key usage {list(ku)} maps to no MSCEP template value")
    pool = ((state.get("iis") or {}).get("appPools") or {}).get("SCEP") or {}
    # NDES reads the MSCEP values when its application pool starts, not per request
    template = str((pool.get("mscep") or {}).get(value_name) or "")
    account = str(pool.get("userName") or "")
    if not template or not account:
        raise _failed(state, req, f"The Network Device Enrollment Service is not configured (MSCEP {value_name} "
                                  f"= '{template}', app pool identity '{account}')")
    ca_state = certstore.certsvc_view(store.read_state(certstore.ca_host_name()))
    try:
        cert, _tpl = ca.issue_from_csr(ca.SambaView(), ca_state, account.split("\\", 1)[-1], template, csr)
    except ca.CaRefused as exc:
        raise _failed(state, req, f"The Network Device Enrollment Service cannot submit the certificate request "
                                  f"for template {template} ({value_name}) as {account}: {exc.message}") from None
    _notify(state, req, {"status": "success", "thumbprint": ca.thumbprint(cert),
                         "serialNumber": format(cert.serial_number, "x")})
    return cert


def _failed(state: dict[str, Any], req: scep_cms.PkiMessage, message: str) -> Refusal:
    _notify(state, req, {"status": "failure", "error": message})
    return Refusal(scep_cms.BAD_REQUEST, message)


def _notify(state: dict[str, Any], req: scep_cms.PkiMessage, doc: dict[str, Any]) -> None:
    try:
        intune_call(state, "scepChallenges/notify", {"transactionId": req.transaction_id, **doc})
    except Refusal:
        pass  # the outcome report is best effort, as the connector's is


# ------------------------------------------------------------------------------------------ the connector's call
def service_url(state: dict[str, Any]) -> str:
    url = (state.get(INTUNE_STATE) or {}).get("serviceUrl")
    return str(url or f"https://{topology.GRAPH['address']}").rstrip("/")


def intune_call(state: dict[str, Any], path: str, doc: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """POST `doc` to the tenant's /lab/intune/<path>, signed with the connector certificate's key (TLS verified
    with the lab CA). Refusal(badRequest) when Intune cannot be reached."""
    live = intune_connector._live(state)
    entry = certstore.store(state).get(live["certificateThumbprint"]) if live["certificateThumbprint"] else None
    if not entry or not entry.get("keyPem"):
        raise Refusal(scep_cms.BAD_REQUEST, "The Intune Certificate Connector has no certificate to sign in with",
                      CONNECTOR_SOURCE)
    key = serialization.load_pem_private_key(entry["keyPem"].encode(), password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    body = json.dumps(doc).encode()
    cert_der = certstore.load(entry).public_bytes(serialization.Encoding.DER)
    request = urllib.request.Request(
        f"{service_url(state)}/lab/intune/{path}", data=body, method="POST",
        headers={"Content-Type": "application/json",
                 "X-Lab-Connector-Certificate": base64.b64encode(cert_der).decode(),
                 "X-Lab-Connector-Signature": base64.b64encode(
                     key.sign(body, padding.PKCS1v15(), hashes.SHA256())).decode()})
    ctx = ssl.create_default_context(cafile=str(ca_bundle_path()))
    try:
        with urllib.request.urlopen(request, context=ctx, timeout=20) as resp:
            raw = resp.read()
            return resp.status, json.loads(raw) if raw else {}
    except urllib.error.HTTPError as exc:
        raw = exc.read()
        try:
            return exc.code, json.loads(raw) if raw else {}
        except ValueError:
            return exc.code, {"error": raw.decode(errors="replace")[:200]}
    except (OSError, ValueError) as exc:
        raise Refusal(scep_cms.BAD_REQUEST, f"The Intune Certificate Connector cannot reach Intune at "
                                            f"{service_url(state)}: {exc}", CONNECTOR_SOURCE) from None


# ------------------------------------------------------------------------------------------ event log
def _log(state: dict[str, Any], level: str, source: str, message: str, transaction_id: str = "") -> None:
    """Append to the host's Application event log (persisted with the host's state)."""
    event = {"timeCreated": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ"), "level": level,
             "source": source, "message": message, "transactionId": transaction_id}
    try:
        with store.edit_state(state["name"]) as st:
            log = st.setdefault("eventLog", {}).setdefault("Application", [])
            log.append(event)
            del log[:-EVENTS_KEPT]
    except (OSError, KeyError, ValueError):
        pass


def events(state: dict[str, Any], source: str | None = None) -> list[dict[str, Any]]:
    log = (state.get("eventLog") or {}).get("Application") or []
    return [e for e in log if source is None or e["source"] == source]


def register_connector(state: dict[str, Any], service: str, days: int = 365) -> x509.Certificate:
    """Lab knob, host half of the connector's interactive registration: enroll the connector certificate
    (intune_connector.register) and record the tenant's service URL. The tenant half is POST
    /lab/intune/connectors with the returned certificate (lab/enroll.py does both)."""
    tp = intune_connector.register(state, days)
    state[INTUNE_STATE] = {"serviceUrl": service.rstrip("/")}
    return certstore.load(certstore.store(state)[tp])
