"""Intune's side of SCEP enrollment in the Graph simulator: device challenges and their validation for the
Certificate Connector (lab-only paths: the real service does this inside Intune, not on Graph).

    POST   /lab/intune/scepChallenges {profileId, device: {upn, deviceName, ...}, ttlSeconds?}
           What Intune does when a device gets a SCEP profile: a one-time challenge bound to that profile and
           device, and what the profile resolves to for the device: subject, subjectAlternativeNames (Intune's
           variables such as {{UserPrincipalName}} filled from `device`), key usage, key size, EKUs, the SCEP
           server URLs. 201.
    POST   /lab/intune/connectors {certificate: <base64 DER>, hostName}
           The tenant half of the connector's interactive registration (lab knob; the host half is
           lab/winrm_sim/handlers/intune_connector.register). 201 {thumbprint}.
    DELETE /lab/intune/connectors/<thumbprint>                 unregister. 204.
    POST   /lab/intune/scepChallenges/validate {challenge, csr: <base64 DER>, transactionId}
           What the connector asks on behalf of NDES. Answers only a registered connector: the body must be
           signed with the key of a registered, unexpired connector certificate (headers X-Lab-Connector-
           Certificate: base64 DER, X-Lab-Connector-Signature: base64 RSA PKCS#1 v1.5 SHA-256 of the body),
           else 403. 200 {valid: true, profile: {...}} once per challenge; {valid: false, reason} for an unknown,
           expired or used challenge, a deleted profile, or a CSR whose subject or SANs differ from the profile's.
    POST   /lab/intune/scepChallenges/notify {transactionId, status: success|failure, thumbprint?, serialNumber?,
           error?}   (signed the same way) the connector reports the outcome; it shows on the request. 204.
    GET    /lab/intune/scepRequests                          every validation and outcome (tests, lab/enroll).

Challenges live in the tenant state (state.json) as SHA-256 digests, never in clear.
"""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import re
import secrets
from typing import Any, Mapping

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from . import schema
from .state import State

PREFIX = "/lab/intune/"
CHALLENGE_LIFETIME = dt.timedelta(minutes=60)
"""How long a challenge is good for (Intune's exact lifetime: UNCONFIRMED)."""
UPN_OID = x509.ObjectIdentifier("1.3.6.1.4.1.311.20.2.3")
CERT_HEADER, SIG_HEADER = "X-Lab-Connector-Certificate", "X-Lab-Connector-Signature"

SUBJECT_FORMATS = {  # subjectNameFormat -> subject template (custom: subjectNameFormatString)
    "commonName": "CN={{UserName}}",
    "commonNameIncludingEmail": "CN={{UserName}},E={{EmailAddress}}",
    "commonNameAsEmail": "CN={{EmailAddress}}",
    "commonNameAsIMEI": "CN={{IMEINumber}}",
    "commonNameAsSerialNumber": "CN={{SerialNumber}}",
    "commonNameAsAadDeviceId": "CN={{AAD_Device_ID}}",
    "commonNameAsIntuneDeviceId": "CN={{DeviceId}}",
}
SAN_KINDS = {"emailAddress": "email", "userPrincipalName": "upn", "domainNameService": "dns",
             "universalResourceIdentifier": "uri"}
_RDN_NAMES = {NameOID.COMMON_NAME: "CN", NameOID.ORGANIZATION_NAME: "O", NameOID.ORGANIZATIONAL_UNIT_NAME: "OU",
              NameOID.LOCALITY_NAME: "L", NameOID.STATE_OR_PROVINCE_NAME: "ST", NameOID.COUNTRY_NAME: "C",
              NameOID.EMAIL_ADDRESS: "E", NameOID.DOMAIN_COMPONENT: "DC", NameOID.SERIAL_NUMBER: "SERIALNUMBER"}
_VAR = re.compile(r"\{\{([A-Za-z_]+)\}\}")


class Refused(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _iso(t: dt.datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def _digest(challenge: str) -> str:
    return hashlib.sha256(challenge.encode()).hexdigest()


def _tenant(state: State) -> dict[str, Any]:
    return state.data.setdefault("intuneScep", {"connectors": {}, "challenges": {}, "requests": []})


# ------------------------------------------------------------------------------------------ device variables
def device_variables(device: Mapping[str, Any]) -> dict[str, str]:
    """Intune's SCEP variables for a device record (upn, email, userName, deviceName, deviceId, aadDeviceId,
    serialNumber, imei, fqdn, onPremisesSamAccountName, ...); absent ones have no value."""
    upn = str(device.get("upn") or device.get("userPrincipalName") or "")
    out = {
        "UserPrincipalName": upn,
        "EmailAddress": str(device.get("email") or upn),
        "UserName": str(device.get("userName") or upn.split("@", 1)[0]),
        "DeviceName": str(device.get("deviceName") or ""),
        "DeviceId": str(device.get("deviceId") or ""),
        "AAD_Device_ID": str(device.get("aadDeviceId") or ""),
        "SerialNumber": str(device.get("serialNumber") or ""),
        "IMEINumber": str(device.get("imei") or ""),
        "FullyQualifiedDomainName": str(device.get("fqdn") or ""),
        "OnPremisesSamAccountName": str(device.get("onPremisesSamAccountName") or ""),
        "OnPrem_Distinguished_Name": str(device.get("onPremisesDistinguishedName") or ""),
        "UserId": str(device.get("userId") or ""),
    }
    out["OnPremisesSecurityIdentifier"] = sid_uri(device)
    return {k: v for k, v in out.items() if v}


SID_TAG = "tag:microsoft.com,2022-09-14:sid:"


def sid_uri(device: Mapping[str, Any]) -> str:
    """What Intune writes for {{OnPremisesSecurityIdentifier}}: the user's on-premises SID (synced from AD, Graph's
    user.onPremisesSecurityIdentifier) behind the tag KB5014754 defines for a SID in a URI SAN; nothing for a user
    with no on-premises SID (docs/lab-fidelity.md, Graph simulator)."""
    sid = str(device.get("onPremisesSecurityIdentifier") or "")
    return SID_TAG + sid if re.fullmatch(r"S-1-5-21(-\d+){4}", sid) else ""


def resolve(text: str, variables: Mapping[str, str]) -> str:
    def one(m: re.Match) -> str:
        if m.group(1) not in variables:
            raise Refused(400, f"the variable {{{{{m.group(1)}}}}} has no value for this device")
        return variables[m.group(1)]
    return _VAR.sub(one, text)


def parse_subject(text: str) -> list[tuple[str, str]]:
    """"CN=a,OU=b" -> [("CN", "a"), ("OU", "b")] (S normalized to ST, EMAIL to E)."""
    out = []
    for part in (p.strip() for p in text.split(",") if p.strip()):
        if "=" not in part:
            raise Refused(400, f"the subject name '{text}' is not a distinguished name (CN=...)")
        k, v = part.split("=", 1)
        k = {"S": "ST", "EMAIL": "E", "EMAILADDRESS": "E"}.get(k.strip().upper(), k.strip().upper())
        out.append((k, v.strip()))
    return out


def profile_expectation(profile: Mapping[str, Any], device: Mapping[str, Any]) -> dict[str, Any]:
    """What a SCEP profile resolves to for one device (subject pairs, SAN pairs) — Refused(400) if it cannot."""
    variables = device_variables(device)
    fmt = profile.get("subjectNameFormat") or "custom"
    template = profile.get("subjectNameFormatString") if fmt == "custom" else SUBJECT_FORMATS.get(fmt)
    if not template:
        raise Refused(400, f"the lab resolves subjectNameFormat custom or {', '.join(SUBJECT_FORMATS)}, not {fmt}")
    subject = parse_subject(resolve(template, variables))
    sans = []
    for san in profile.get("customSubjectAlternativeNames") or []:
        kind = SAN_KINDS.get(san.get("sanType"))
        if san.get("sanType") == "none":
            continue
        if kind is None:
            raise Refused(400, f"the lab does not resolve sanType {san.get('sanType')}")
        sans.append((kind, resolve(str(san.get("name") or ""), variables)))
    return {"subject": subject, "sans": sans}


# ------------------------------------------------------------------------------------------ the CSR
def csr_names(csr: x509.CertificateSigningRequest) -> dict[str, list[tuple[str, str]]]:
    subject = [(_RDN_NAMES.get(a.oid, a.oid.dotted_string), str(a.value)) for rdn in csr.subject.rdns for a in rdn]
    sans: list[tuple[str, str]] = []
    try:
        ext = csr.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        ext = []
    for gn in ext:
        if isinstance(gn, x509.RFC822Name):
            sans.append(("email", gn.value))
        elif isinstance(gn, x509.DNSName):
            sans.append(("dns", gn.value))
        elif isinstance(gn, x509.UniformResourceIdentifier):
            sans.append(("uri", gn.value))
        elif isinstance(gn, x509.OtherName) and gn.type_id == UPN_OID:
            sans.append(("upn", _der_string(gn.value)))
        else:
            sans.append((type(gn).__name__, str(getattr(gn, "value", gn))))
    return {"subject": subject, "sans": sans}


def _der_string(der: bytes) -> str:
    """The text of a DER UTF8String/IA5String/PrintableString (an otherName value)."""
    if len(der) >= 2 and der[1] < 0x80:
        return der[2:2 + der[1]].decode(errors="replace")
    if len(der) >= 3 and der[1] & 0x80:
        n = der[1] & 0x7F
        length = int.from_bytes(der[2:2 + n], "big")
        return der[2 + n:2 + n + length].decode(errors="replace")
    return der.decode(errors="replace")


def _norm(pairs, fold: bool) -> list[tuple[str, str]]:
    return sorted((k, v.lower() if fold else v) for k, v in pairs)


def mismatch(expected: Mapping[str, Any], csr: x509.CertificateSigningRequest) -> str | None:
    got = csr_names(csr)
    want_subject = [tuple(p) for p in expected["subject"]]
    want_sans = [tuple(p) for p in expected["sans"]]
    if _norm(got["subject"], True) != _norm(want_subject, True):
        return (f"the request's subject {_fmt(got['subject'])} is not the profile's {_fmt(want_subject)}")
    if _norm(got["sans"], True) != _norm(want_sans, True):
        return (f"the request's subject alternative names {_fmt(got['sans'], ':')} are not the profile's "
                f"{_fmt(want_sans, ':')}")
    return None


def _fmt(pairs, sep: str = "=") -> str:
    return "'" + ", ".join(f"{k}{sep}{v}" for k, v in pairs) + "'" if pairs else "(none)"


# ------------------------------------------------------------------------------------------ the connector
def _connector(state: State, raw: bytes, headers: Mapping[str, str]) -> dict[str, Any]:
    cert_b64, sig_b64 = headers.get(CERT_HEADER), headers.get(SIG_HEADER)
    if not cert_b64 or not sig_b64:
        raise Refused(403, "the request does not come from a registered Certificate Connector (no connector "
                           "certificate)")
    try:
        cert = x509.load_der_x509_certificate(base64.b64decode(cert_b64))
        sig = base64.b64decode(sig_b64)
    except ValueError:
        raise Refused(403, "the connector certificate or signature is malformed") from None
    thumb = cert.fingerprint(hashes.SHA1()).hex().upper()
    entry = _tenant(state)["connectors"].get(thumb)
    if entry is None:
        raise Refused(403, "the Certificate Connector is not registered with this tenant")
    if cert.not_valid_after_utc < _now():
        raise Refused(403, "the Certificate Connector's certificate has expired: renew it in the connector UI")
    pub = cert.public_key()
    try:
        if not isinstance(pub, rsa.RSAPublicKey):
            raise InvalidSignature()
        pub.verify(sig, raw, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        raise Refused(403, "the request is not signed with the connector certificate's key") from None
    return {"thumbprint": thumb, **entry}


def register_connector(state: State, body: Mapping[str, Any]) -> dict[str, Any]:
    try:
        cert = x509.load_der_x509_certificate(base64.b64decode(str(body.get("certificate") or "")))
    except ValueError:
        raise Refused(400, "certificate must be a base64 DER X.509 certificate") from None
    thumb = cert.fingerprint(hashes.SHA1()).hex().upper()
    _tenant(state)["connectors"][thumb] = {"hostName": str(body.get("hostName") or ""),
                                           "registeredDateTime": _iso(_now())}
    return {"thumbprint": thumb}


# ------------------------------------------------------------------------------------------ challenges
def issue_challenge(state: State, body: Mapping[str, Any]) -> dict[str, Any]:
    pid = str(body.get("profileId") or "")
    profile = state.data["deviceConfigurations"].get(pid)
    if profile is None or schema.type_name(profile.get("@odata.type", "")) not in schema.SCEP_TYPES:
        raise Refused(404, f"no SCEP certificate profile with id '{pid}'")
    device = body.get("device")
    if not isinstance(device, dict):
        raise Refused(400, "device must be an object such as {upn, deviceName}")
    expected = profile_expectation(profile, device)
    ttl = body.get("ttlSeconds")
    lifetime = dt.timedelta(seconds=float(ttl)) if ttl is not None else CHALLENGE_LIFETIME
    challenge = base64.b64encode(secrets.token_bytes(48)).decode()
    expires = _now() + lifetime
    _tenant(state)["challenges"][_digest(challenge)] = {
        "profileId": pid, "device": dict(device), "expected": expected, "issuedDateTime": _iso(_now()),
        "expiresDateTime": _iso(expires), "usedDateTime": None}
    return {"challenge": challenge, "profileId": pid, "expiresDateTime": _iso(expires),
            "subject": ",".join(f"{k}={v}" for k, v in expected["subject"]),
            "subjectAlternativeNames": [{"type": k, "value": v} for k, v in expected["sans"]],
            "keyUsage": profile.get("keyUsage"), "keySize": profile.get("keySize"),
            "extendedKeyUsages": profile.get("extendedKeyUsages") or [],
            "scepServerUrls": profile.get("scepServerUrls") or []}


def validate(state: State, connector: Mapping[str, Any], body: Mapping[str, Any]) -> dict[str, Any]:
    tenant = _tenant(state)
    challenge = str(body.get("challenge") or "")
    record = tenant["challenges"].get(_digest(challenge)) if challenge else None
    entry = {"transactionId": str(body.get("transactionId") or ""), "connector": connector.get("hostName"),
             "validatedDateTime": _iso(_now()), "profileId": record["profileId"] if record else None,
             "status": "rejected", "reason": None}
    tenant["requests"].append(entry)
    del tenant["requests"][:-200]

    def reject(reason: str) -> dict[str, Any]:
        entry["reason"] = reason
        return {"valid": False, "reason": reason}

    if record is None:
        return reject("the challenge password is not one Intune issued")
    if record["usedDateTime"]:
        return reject(f"the challenge password was already used ({record['usedDateTime']})")
    if dt.datetime.strptime(record["expiresDateTime"], "%Y-%m-%dT%H:%M:%SZ").replace(
            tzinfo=dt.timezone.utc) < _now():
        return reject(f"the challenge password expired at {record['expiresDateTime']}")
    profile = state.data["deviceConfigurations"].get(record["profileId"])
    if profile is None:
        return reject("the SCEP profile the challenge was issued for no longer exists")
    try:
        csr = x509.load_der_x509_csr(base64.b64decode(str(body.get("csr") or "")))
    except ValueError:
        return reject("the certificate request is not a PKCS #10 request")
    why = mismatch(record["expected"], csr)
    if why:
        return reject(why)
    record["usedDateTime"] = _iso(_now())
    entry["status"] = "validated"
    return {"valid": True, "profile": {
        "id": profile["id"], "keyUsage": [k.strip() for k in str(profile.get("keyUsage") or "").split(",") if k],
        "keySize": profile.get("keySize"), "extendedKeyUsages": profile.get("extendedKeyUsages") or [],
        "device": record["device"]}}


def notify(state: State, connector: Mapping[str, Any], body: Mapping[str, Any]) -> None:
    tid = str(body.get("transactionId") or "")
    for entry in reversed(_tenant(state)["requests"]):
        if entry["transactionId"] == tid and entry["connector"] == connector.get("hostName") and \
                entry["status"] == "validated":
            entry.update({"status": "issued" if body.get("status") == "success" else "failed",
                          "thumbprint": body.get("thumbprint"), "serialNumber": body.get("serialNumber"),
                          "error": body.get("error"), "reportedDateTime": _iso(_now())})
            return
    raise Refused(404, f"no validated request with transactionId '{tid}'")


# ------------------------------------------------------------------------------------------ HTTP
def route(state: State, method: str, path: str, raw: bytes, headers: Mapping[str, str]) -> tuple[int, Any]:
    """(status, JSON body or None) for a /lab/intune/ request."""
    import json

    rest = path[len(PREFIX):].strip("/").split("/")
    try:
        body = json.loads(raw) if raw else {}
        if not isinstance(body, dict):
            raise ValueError
    except ValueError:
        return 400, {"error": "the body must be a JSON object"}
    try:
        with state.lock:
            if rest == ["scepChallenges"] and method == "POST":
                out = issue_challenge(state, body)
                state.save()
                return 201, out
            if rest == ["scepChallenges", "validate"] and method == "POST":
                out = validate(state, _connector(state, raw, headers), body)
                state.save()
                return 200, out
            if rest == ["scepChallenges", "notify"] and method == "POST":
                notify(state, _connector(state, raw, headers), body)
                state.save()
                return 204, None
            if rest == ["connectors"] and method == "POST":
                out = register_connector(state, body)
                state.save()
                return 201, out
            if len(rest) == 2 and rest[0] == "connectors" and method == "DELETE":
                if _tenant(state)["connectors"].pop(rest[1].upper(), None) is None:
                    return 404, {"error": f"no connector {rest[1]}"}
                state.save()
                return 204, None
            if rest == ["scepRequests"] and method == "GET":
                return 200, {"value": list(_tenant(state)["requests"])}
    except Refused as exc:
        return exc.status, {"error": exc.message}
    return 404, {"error": f"unknown lab path {method} {path}"}
