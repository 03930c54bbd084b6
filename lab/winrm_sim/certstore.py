"""The simulated hosts' certificate stores, services and the CA service model (part-2 handlers' host model).

Host state keys used here (all plain JSON, saved with the host):
    state["certStores"]["LocalMachine\\My"][<THUMBPRINT>] = {"pem", "keyPem", "friendlyName"}
    (no side channel: what a certificate came from is only what its extensions say, as on Windows)
    state["services"][<name>] = {"status": "Running" | "Stopped", "startType": "Automatic", "restarts": int}
    state["certsvc"] = {"caName", "service": {...}, "security": [{"type": "allow"|"deny", "sid", "mask"}]}
"""
from __future__ import annotations

from typing import Any

from cryptography import x509

from . import ca as _ca
from . import clock

MY = "LocalMachine\\My"


def store(state: dict[str, Any], name: str = MY) -> dict[str, dict[str, Any]]:
    return state.setdefault("certStores", {}).setdefault(name, {})


def add(state: dict[str, Any], cert: x509.Certificate, key_pem: str | None, *, friendly_name: str = "") -> str:
    tp = _ca.thumbprint(cert)
    store(state)[tp] = {"pem": _ca.cert_pem(cert), "keyPem": key_pem, "friendlyName": friendly_name}
    return tp


def load(entry: dict[str, Any]) -> x509.Certificate:
    return x509.load_pem_x509_certificate(entry["pem"].encode())


def facts(entry: dict[str, Any]) -> dict[str, Any]:
    cert = load(entry)
    f = _ca.cert_facts(cert)
    f.pop("pem", None)
    f.pop("derBase64", None)
    f["friendlyName"] = entry.get("friendlyName", "")
    f["template"] = _ca.template_name_v1(cert)  # the v1 template name extension (the RA certificates carry it)
    f["hasPrivateKey"] = bool(entry.get("keyPem"))
    f["daysLeft"] = days_left(cert)
    return f


def template_of(entry: dict[str, Any]) -> str:
    """What a stored certificate's own extensions say it came from (for tests and the simulator's own use): a
    v1 template's name, else a v2 template's OID, else ''."""
    cert = load(entry)
    name = _ca.template_name_v1(cert)
    if name:
        return name
    try:
        value = cert.extensions.get_extension_for_oid(_ca.TEMPLATE_INFO_V2_OID).value
    except x509.ExtensionNotFound:
        return ""
    oid = getattr(value, "template_id", None)
    return oid.dotted_string if oid is not None else ""


def windows_facts(entry: dict[str, Any]) -> dict[str, Any]:
    """A certificate as Windows exposes it (X509Certificate2: RawData, Subject, Issuer, FriendlyName,
    HasPrivateKey): what MachineCertificate.ps1 returns."""
    cert = load(entry)
    return {"thumbprint": _ca.thumbprint(cert), "derBase64": _ca.cert_facts(cert)["derBase64"],
            "subject": _ca.windows_subject(cert.subject), "issuer": _ca.windows_subject(cert.issuer),
            "friendlyName": entry.get("friendlyName", ""), "hasPrivateKey": bool(entry.get("keyPem"))}


def days_left(cert: x509.Certificate) -> int:
    return (cert.not_valid_after_utc - clock.now()).days


def services(state: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return state.setdefault("services", {})


SANITIZED = set('!"#%&\'()*+,/:;<=>?[\\]^`{|}~')
"""Characters a CA's sanitized name writes as !xxxx (MS-WCCE 3.1.1.4.1.1.2; with every character below 0x20 or
above 0x7E)."""


def sanitized_name(common_name: str) -> str:
    """The CA's sanitized name, as its registry key under CertSvc\\Configuration is named (ICertConfig::GetConfig
    remarks; MS-WCCE 3.1.1.4.1.1: a disallowed character becomes '!' and its four hex digits)."""
    return "".join(f"!{ord(c):04x}" if c in SANITIZED or not 0x20 <= ord(c) <= 0x7E else c for c in common_name)


def config_key(svc: dict[str, Any]) -> str:
    """CertSvc\\Configuration value Active: the active CA's key name."""
    return svc.get("configKey") or sanitized_name(svc["caName"])


def certsvc(state: dict[str, Any], ca_name: str = "Lab Issuing CA") -> dict[str, Any]:
    """The CA host's CertSvc model, created on first use as a fresh Enterprise CA install leaves it:
    Administrators hold Manage CA + Issue and Manage Certificates (0x3, Read implied), Authenticated Users hold
    Request Certificates (0x200); the CA certificate is the lab's issuing CA."""
    svc = state.get("certsvc")
    if svc is None:
        cert, _ = _ca.issuing_ca()
        svc = state["certsvc"] = {
            "caName": ca_name,
            "service": {"status": "Running", "restarts": 0},
            "security": [
                {"type": "allow", "sid": _ca.ADMINISTRATORS, "mask": 0x3 | _ca.CA_READ},
                {"type": "allow", "sid": _ca.AUTHENTICATED_USERS, "mask": _ca.CA_ENROLL | _ca.CA_READ},
            ],
            "caCertHash": [_ca.thumbprint(cert)],
        }
        add(state, cert, None)
    return svc


# ---------------------------------------------------------------------------------------- the lab around a host
def samba(ctx: Any) -> "_ca.SambaView":
    """The lab Samba as the host's domain sees it (connection facts from the simulator's LabAccess)."""
    lab = getattr(ctx, "lab", None)
    return _ca.SambaView(lab.samba_info() if lab is not None else None)


def host_state(ctx: Any, name: str) -> dict[str, Any] | None:
    """Another lab host's state, read-only (e.g. the CA's), or None when the lab has no such host."""
    lab = getattr(ctx, "lab", None)
    if lab is None:
        return None
    try:
        return lab.read_host(name)
    except (KeyError, FileNotFoundError):
        return None


def ca_host_name() -> str:
    from lab.topology import CA
    return CA["name"]


def certsvc_view(state: dict[str, Any] | None) -> dict[str, Any] | None:
    """Another host's CertSvc model read-only (a CA host nothing has touched yet: its fresh-install defaults)."""
    if state is None:
        return None
    if state.get("certsvc") is not None:
        return state["certsvc"]
    if state.get("role") != "ca":
        return None
    return certsvc(dict(state, certStores={}))
