"""A real SCEP enrollment in the lab: Intune's challenge for a device, then `scepclient` (Debian's `scep`
package, micromdm/scep 2.1: no one here wrote it) through the App Proxy external URL.

    python -m lab.enroll [--register-connector] [--profile ID | --each-type] [--upn U] [--device-name N]
                         [--aad-device-id ID] [--url URL] [--key-size 2048] [--out DIR]
    python -m lab.enroll --unregister-connector

1. the Graph simulator issues a challenge for the SCEP profile (POST /lab/intune/scepChallenges), resolving
   the profile's subject and SANs for the device;
2. the device key and CSR: when the profile asks only for a CN, scepclient makes them itself (-cn, and empty
   O/OU/C, which it otherwise fills with defaults); when the profile asks for more (e.g. a UPN SAN, which
   scepclient cannot add), `openssl req` makes the CSR with the challengePassword and the SANs into
   <out>/csr.pem, the file scepclient takes instead of making one;
3. scepclient does GetCACaps, GetCACert and PKIOperation (POST: NDES advertises POSTPKIOperation) and writes
   the certificate; it encrypts to every certificate GetCACert returns (it must: it verifies the CertRep's
   signer among them, and NDES signs with its EnrollmentAgentOffline RA certificate, not the CEPEncryption one
   it decrypts with); `SSL_CERT_FILE` makes it trust the lab CA; names resolve through /etc/hosts (lab/up).
`--register-connector` plays the person at the Intune Certificate Connector: installs it on the NDES host if
missing and registers it (host: connector certificate; tenant: the certificate as a registered connector).
"""
from __future__ import annotations

import argparse
import base64
import json
import os
import shutil
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtendedKeyUsageOID

from . import topology
from .graph_sim import control as graph_control
from .pki import ca_bundle_path
from .winrm_sim import hostmodel, store
from .winrm_sim.handlers import intune_connector

UPN_OID = "1.3.6.1.4.1.311.20.2.3"
EKU_NAMES = {ExtendedKeyUsageOID.CLIENT_AUTH.dotted_string: "clientAuth",
             ExtendedKeyUsageOID.SERVER_AUTH.dotted_string: "serverAuth",
             ExtendedKeyUsageOID.EMAIL_PROTECTION.dotted_string: "emailProtection",
             "1.3.6.1.4.1.311.10.3.4": "encryptingFileSystem"}


class EnrollError(RuntimeError):
    """scepclient did not receive a certificate; `output` is what it printed."""

    def __init__(self, message: str, output: str = ""):
        super().__init__(message)
        self.output = output


def default_url(host_index: int = 0) -> str:
    from ndes.model.urls import scep_url
    return scep_url(topology.NDES_HOSTS[host_index]["external_url"])


# ------------------------------------------------------------------------------------------ Intune's side
def _call(graph_url: str, method: str, path: str, doc: Any = None) -> tuple[int, Any]:
    data = None if doc is None else json.dumps(doc).encode()
    req = urllib.request.Request(f"{graph_url.rstrip('/')}{path}", data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    ctx = ssl.create_default_context(cafile=str(ca_bundle_path()))
    try:
        with urllib.request.urlopen(req, context=ctx, timeout=20) as resp:
            raw = resp.read()
            return resp.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as exc:
        raw = exc.read()
        return exc.code, json.loads(raw) if raw else None


def scep_profiles(graph_url: str) -> list[dict[str, Any]]:
    """The tenant's SCEP profiles (the simulator's admin view)."""
    from .graph_sim import schema
    _, state = _call(graph_url, "GET", "/_admin/state")
    return [p for p in state["deviceConfigurations"].values()
            if schema.type_name(p.get("@odata.type", "")) in schema.SCEP_TYPES]


def _plain(url: str) -> str:
    """`url` as a SCEP profile lists it: lower case, no port, no query."""
    want = url.lower().split("?", 1)[0]
    host, _, rest = want.partition("://")[2].partition("/")
    return f"https://{host.split(':', 1)[0]}/{rest}"


def profiles_for(graph_url: str, url: str) -> list[dict[str, Any]]:
    """The SCEP profiles that list `url` (without a port) among their SCEP server URLs, by display name."""
    plain = _plain(url)
    return [p for p in sorted(scep_profiles(graph_url), key=lambda p: p.get("displayName") or "")
            if plain in [u.lower() for u in p.get("scepServerUrls") or []]]


def profile_for(graph_url: str, url: str) -> dict[str, Any]:
    """The first SCEP profile that lists `url` (without a port) among its SCEP server URLs."""
    found = profiles_for(graph_url, url)
    if not found:
        raise EnrollError(f"no SCEP profile in the tenant lists {_plain(url)}: run ./lab/up (pulumi up) first")
    return found[0]


CERTIFICATE_TYPES = {"user": "user", "machine": "device"}
"""certificateStore -> the certificate type as the Intune portal names it."""


def profile_per_type(graph_url: str, url: str) -> dict[str, dict[str, Any]]:
    """One SCEP profile per certificate type (certificateStore user / machine) listing `url`, a Windows one when
    there is one; an EnrollError names a type no profile has."""
    found = profiles_for(graph_url, url)
    out = {}
    for store_ in CERTIFICATE_TYPES:
        mine = [p for p in found if p.get("certificateStore", "user") == store_]
        mine.sort(key=lambda p: not str(p.get("@odata.type", "")).startswith("#microsoft.graph.windows"))
        if not mine:
            raise EnrollError(f"no SCEP profile for {CERTIFICATE_TYPES[store_]} certificates lists {_plain(url)}: "
                              "the lab stack declares a VPN user profile and a Wi-Fi device profile (Pulumi.lab.yaml)")
        out[store_] = mine[0]
    return out


def synced_user_sid(upn: str) -> str:
    """The objectSid of the lab user `upn` in the lab's Samba (created there when missing): what Entra Connect
    syncs as the user's onPremisesSecurityIdentifier, which Intune puts in the SID URI SAN."""
    import ldap3
    from ldap3.utils.conv import escape_filter_chars

    from . import samba_dc
    from ndes.directory.security import sid_to_str
    sam = upn.split("@", 1)[0][:20]
    conn = samba_dc.connect()
    try:
        dc = samba_dc.info()
        flt = f"(&(objectClass=user)(|(userPrincipalName={escape_filter_chars(upn)})" \
              f"(sAMAccountName={escape_filter_chars(sam)})))"
        for _ in range(2):
            conn.search(dc.domain_dn, flt, attributes=["objectSid"])
            if conn.entries:
                return sid_to_str(bytes(conn.entries[0].objectSid.raw_values[0]))
            conn.add(f"CN={ldap3.utils.dn.escape_rdn(sam)},CN=Users,{dc.domain_dn}",
                     ["top", "person", "organizationalPerson", "user"],
                     {"sAMAccountName": sam, "userPrincipalName": upn, "userAccountControl": "514"})
        raise EnrollError(f"could not find or create the lab user {upn} in Samba: {conn.result}")
    finally:
        conn.unbind()


def challenge(graph_url: str, profile_id: str, device: dict[str, Any], ttl_seconds: float | None = None
              ) -> dict[str, Any]:
    if device.get("upn") and "onPremisesSecurityIdentifier" not in device:
        device = {**device, "onPremisesSecurityIdentifier": synced_user_sid(str(device["upn"]))}
    doc: dict[str, Any] = {"profileId": profile_id, "device": device}
    if ttl_seconds is not None:
        doc["ttlSeconds"] = ttl_seconds
    status, out = _call(graph_url, "POST", "/lab/intune/scepChallenges", doc)
    if status != 201:
        raise EnrollError(f"Intune issued no challenge (HTTP {status}): {out}")
    return out


def scep_requests(graph_url: str) -> list[dict[str, Any]]:
    return _call(graph_url, "GET", "/lab/intune/scepRequests")[1]["value"]


def register_connector(host: str, graph_url: str, state_dir: Path | None = None, days: int = 365) -> str:
    """Install (if missing) and register the Intune connector on `host` with the tenant at `graph_url`
    (idempotent: a connector already registered there with an unexpired certificate keeps it)."""
    from .winrm_sim import certstore, scep_pkiop
    with store.edit_state(host, state_dir) as st:
        if not intune_connector._live(st)["installed"]:
            intune_connector.stage_installer(st)
            intune_connector._install(st)
        live = intune_connector._live(st)
        same_tenant = scep_pkiop.service_url(st) == graph_url.rstrip("/") and scep_pkiop.INTUNE_STATE in st
        if live["registered"] and (live["certificateDaysLeft"] or 0) >= 0 and same_tenant:
            cert = certstore.load(certstore.store(st)[live["certificateThumbprint"]])
        else:
            cert = scep_pkiop.register_connector(st, graph_url, days)
    der = cert.public_bytes(serialization.Encoding.DER)
    status, out = _call(graph_url, "POST", "/lab/intune/connectors",
                        {"certificate": base64.b64encode(der).decode(), "hostName": host})
    if status != 201:
        raise EnrollError(f"the tenant did not register the connector (HTTP {status}): {out}")
    return out["thumbprint"]


def unregister_connector(host: str, graph_url: str, state_dir: Path | None = None) -> None:
    """The tenant forgets the connector and the host loses its registration (the connector stays installed)."""
    with store.edit_state(host, state_dir) as st:
        live = intune_connector._live(st)
        thumb = live["certificateThumbprint"]
        hostmodel.delete_value(st, intune_connector.CONNECTOR_KEY, "EncryptionCertThumbprint")
        st.pop("labIntune", None)
    if thumb:
        _call(graph_url, "DELETE", f"/lab/intune/connectors/{thumb}")


# ------------------------------------------------------------------------------------------ the device
@dataclass
class Enrollment:
    certificate: x509.Certificate
    key_path: Path
    output: str
    seconds: float


def _needs_own_csr(ch: dict[str, Any]) -> bool:
    return bool(ch["subjectAlternativeNames"]) or [p.split("=", 1)[0].strip().upper()
                                                   for p in ch["subject"].split(",")] != ["CN"]


def _openssl_csr(workdir: Path, ch: dict[str, Any], password: str, key_bits: int) -> None:
    key = workdir / "device.key"
    subprocess.run(["openssl", "genrsa", "-traditional", "-out", str(key), str(key_bits)], check=True,
                   capture_output=True)
    sans = []
    for s in ch["subjectAlternativeNames"]:
        kind, value = s["type"], s["value"]
        n = len(sans) + 1  # section form (subjectAltName = @alt): a value may hold commas (the SID URI's tag)
        sans.append({"upn": f"otherName.{n} = {UPN_OID};UTF8:{value}", "email": f"email.{n} = {value}",
                     "dns": f"DNS.{n} = {value}", "uri": f"URI.{n} = {value}"}[kind])
    dn = "\n".join(p.strip() for p in ch["subject"].split(","))
    conf = (f"[req]\nprompt = no\ndistinguished_name = dn\nattributes = attrs\n"
            + ("req_extensions = ext\n" if sans else "")
            + f"[dn]\n{dn}\n[attrs]\nchallengePassword = {password}\n"
            + ("[ext]\nsubjectAltName = @alt\n[alt]\n" + "\n".join(sans) + "\n" if sans else ""))
    (workdir / "req.cnf").write_text(conf)
    subprocess.run(["openssl", "req", "-new", "-key", str(key), "-config", str(workdir / "req.cnf"), "-sha256",
                    "-out", str(workdir / "csr.pem")], check=True, capture_output=True)
    (workdir / "req.cnf").unlink()


def scepclient(url: str, ch: dict[str, Any], workdir: Path, key_bits: int = 2048,
               extra_env: dict[str, str] | None = None, timeout: float = 120) -> Enrollment:
    """Run scepclient in `workdir` (fresh: it reuses a key and CSR it finds there) with the challenge `ch`."""
    exe = shutil.which("scepclient")
    if exe is None:
        raise EnrollError("scepclient is not installed (Debian package scep; lab/bootstrap installs it)")
    workdir.mkdir(parents=True, exist_ok=True)
    password = ch["challenge"]
    args = [exe, "-server-url", url, "-challenge", password, "-private-key", str(workdir / "device.key"),
            "-certificate", str(workdir / "device.crt"), "-keySize", str(key_bits)]
    if _needs_own_csr(ch):
        _openssl_csr(workdir, ch, password, key_bits)
    else:
        args += ["-cn", ch["subject"].split("=", 1)[1], "-organization=", "-ou=", "-country="]
    env = {**os.environ, "SSL_CERT_FILE": str(ca_bundle_path()), **(extra_env or {})}
    t0 = time.monotonic()
    proc = subprocess.run(args, capture_output=True, text=True, env=env, timeout=timeout)
    seconds = time.monotonic() - t0
    output = (proc.stdout + proc.stderr).replace(password, "<challenge>")
    crt = workdir / "device.crt"
    if proc.returncode != 0 or not crt.is_file():
        raise EnrollError(f"scepclient exited {proc.returncode}: {proc.stdout.strip().replace(password, '<challenge>')}",
                          output)
    return Enrollment(x509.load_pem_x509_certificate(crt.read_bytes()), workdir / "device.key", output, seconds)


# ------------------------------------------------------------------------------------------ checks
def issued_template(cert: x509.Certificate) -> str:
    """The template a certificate's own extension names: a v1 template's name, or a v2 template's OID resolved to
    its name in the lab's Samba (the forest's pKICertificateTemplate objects); '' when it names none."""
    from .winrm_sim import ca
    name = ca.template_name_v1(cert)
    if name:
        return name
    try:
        oid = getattr(cert.extensions.get_extension_for_oid(ca.TEMPLATE_INFO_V2_OID).value, "template_id", None)
    except x509.ExtensionNotFound:
        return ""
    if oid is None:
        return ""
    oid = oid.dotted_string
    import ldap3
    from ldap3.utils.conv import escape_filter_chars

    from . import samba_dc
    conn = samba_dc.connect()
    try:
        conn.search(f"CN=Certificate Templates,CN=Public Key Services,CN=Services,{samba_dc.CONFIG_DN}",
                    f"(&(objectClass=pKICertificateTemplate)(msPKI-Cert-Template-OID={escape_filter_chars(oid)}))",
                    ldap3.LEVEL, attributes=["cn"])
        return str(conn.entries[0].cn) if conn.entries else oid
    finally:
        conn.unbind()


def mapped_template(host: str, graph_key_usage: str | None, state_dir: Path | None = None) -> tuple[str, str]:
    """(MSCEP value, template name) NDES on `host` issues a profile with Graph's `keyUsage` flags from: the value
    the Intune connector reads for that key usage, as the host's registry holds it."""
    from ndes.model.keyusage import mscep_value_for
    value = mscep_value_for([k for k in (graph_key_usage or "").split(",") if k.strip()])
    v = hostmodel.get_value(store.read_state(host, state_dir), hostmodel.MSCEP_KEY, value)
    return value, str((v or {}).get("value") or "")


_SAN_WORDS = {"upn": "UPN", "dns": "DNSName", "uri": "UniformResourceIdentifier", "email": "RFC822Name"}


def mismatches(profile: dict[str, Any], ch: dict[str, Any], cert: x509.Certificate, host: str) -> list[str]:
    """Where the issued certificate differs from what the profile asked for: its subject and SANs as Intune
    resolved them for the device (the challenge), and the template its key usage maps to through MSCEP."""
    d = describe(cert)
    out = []
    if d["subject"] != ch["subject"]:
        out.append(f"subject {d['subject']}, the profile asked for {ch['subject']}")
    want = sorted(f"{_SAN_WORDS[s['type']]}:{s['value']}" for s in ch["subjectAlternativeNames"])
    if sorted(d["subjectAlternativeNames"]) != want:
        out.append(f"SANs {d['subjectAlternativeNames']}, the profile asked for {want}")
    value, template = mapped_template(host, profile.get("keyUsage"))
    got = issued_template(cert)
    if not template or got.lower() != template.lower():
        out.append(f"issued from template '{got}', but key usage {profile.get('keyUsage')} maps to MSCEP {value} = "
                   f"'{template}' on {host}")
    return out


# ------------------------------------------------------------------------------------------ report
def describe(cert: x509.Certificate) -> dict[str, Any]:
    """Subject, SANs, EKUs, key usage and validity of an issued certificate, in words."""
    def ext(cls):
        try:
            return cert.extensions.get_extension_for_class(cls).value
        except x509.ExtensionNotFound:
            return None
    ku = ext(x509.KeyUsage)
    usages = []
    if ku is not None:
        for name in ("digital_signature", "content_commitment", "key_encipherment", "data_encipherment",
                     "key_agreement", "key_cert_sign", "crl_sign"):
            if getattr(ku, name):
                usages.append({"content_commitment": "nonRepudiation"}.get(name, _camel(name)))
    ekus = ext(x509.ExtendedKeyUsage)
    sans = ext(x509.SubjectAlternativeName)
    san_words = []
    for gn in sans or []:
        if isinstance(gn, x509.OtherName) and gn.type_id.dotted_string == UPN_OID:
            san_words.append(f"UPN:{gn.value[2:].decode(errors='replace')}")
        else:
            san_words.append(f"{type(gn).__name__}:{gn.value}")
    return {"subject": cert.subject.rfc4514_string(), "issuer": cert.issuer.rfc4514_string(),
            "subjectAlternativeNames": san_words,
            "extendedKeyUsages": [EKU_NAMES.get(o.dotted_string, o.dotted_string) for o in ekus or []],
            "keyUsage": usages, "notBefore": cert.not_valid_before_utc.isoformat(),
            "notAfter": cert.not_valid_after_utc.isoformat(),
            "validityDays": round((cert.not_valid_after_utc - cert.not_valid_before_utc).total_seconds() / 86400, 2),
            "keySize": getattr(cert.public_key(), "key_size", None)}


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(w.capitalize() for w in rest)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m lab.enroll", description=__doc__.split("\n\n")[0])
    ap.add_argument("--url", default=None, help="SCEP URL (default: ndes1's external URL)")
    ap.add_argument("--graph-url", default=graph_control.LAB.graph_url)
    ap.add_argument("--profile", default=None, help="SCEP profile id (default: the first that lists the URL)")
    ap.add_argument("--upn", default=f"device-user@{topology.REALM}")
    ap.add_argument("--device-name", default="LAB-DEVICE-1")
    ap.add_argument("--aad-device-id", default="0f0e0d0c-0000-4000-8000-00000000d001",
                    help="the device's Entra device id ({{AAD_Device_ID}} of device certificates)")
    ap.add_argument("--each-type", action="store_true",
                    help="enroll one certificate per certificate type (user, device), each from a profile of that "
                         "type, and check its subject, SANs and the template its key usage maps to")
    ap.add_argument("--key-size", type=int, default=2048)
    ap.add_argument("--out", default=None, help="work directory (default: a fresh temporary one)")
    ap.add_argument("--host", default=topology.NDES_HOSTS[0]["name"], help="the NDES host behind the URL")
    ap.add_argument("--register-connector", action="store_true",
                    help="install (if missing) and register the Intune connector on --host first")
    ap.add_argument("--unregister-connector", action="store_true", help="unregister the connector and stop")
    a = ap.parse_args(argv)
    try:
        if a.unregister_connector:
            unregister_connector(a.host, a.graph_url)
            print(f"connector on {a.host} unregistered")
            return 0
        if a.register_connector:
            print(f"registering the Intune connector on {a.host} (the interactive sign-in, played)")
            register_connector(a.host, a.graph_url)
        url = a.url or default_url()
        if a.each_type:
            plan = list(profile_per_type(a.graph_url, url).values())
        else:
            plan = [{"id": a.profile} if a.profile else profile_for(a.graph_url, url)]
        device = {"upn": a.upn, "deviceName": a.device_name, "aadDeviceId": a.aad_device_id}
        base = Path(a.out) if a.out else Path(tempfile.mkdtemp(prefix="lab-enroll-"))
        for profile in plan:
            ch = challenge(a.graph_url, profile["id"], device)
            sans = ", ".join(f"{s['type']}:{s['value']}" for s in ch["subjectAlternativeNames"])
            kind = CERTIFICATE_TYPES.get(profile.get("certificateStore", ""), "")
            print(f"profile {profile.get('displayName', profile['id'])}{f' ({kind} certificate)' if kind else ''}: "
                  f"subject {ch['subject']}, SANs {sans or '(none)'}")
            workdir = base / profile["id"] if a.each_type else base
            print(f"scepclient -server-url {url} (work directory {workdir})")
            got = scepclient(url, ch, workdir, a.key_size)
            _report(got)
            if a.each_type:
                wrong = mismatches(profile, ch, got.certificate, a.host)
                if wrong:
                    raise EnrollError("the certificate is not what the profile asked for: " + "; ".join(wrong))
                print(f"  template: {issued_template(got.certificate)} (MSCEP "
                      f"{mapped_template(a.host, profile.get('keyUsage'))[0]}), subject and SANs as the profile asked")
    except EnrollError as exc:
        print(f"enrollment FAILED: {exc}", file=sys.stderr)
        if exc.output:
            print(exc.output, file=sys.stderr)
        return 1
    return 0


def _report(got: Enrollment) -> None:
    d = describe(got.certificate)
    print(f"issued in {got.seconds:.1f} s:")
    for k in ("subject", "subjectAlternativeNames", "issuer", "extendedKeyUsages", "keyUsage", "notBefore",
              "notAfter", "validityDays", "keySize"):
        v = d[k]
        print(f"  {k}: {', '.join(v) if isinstance(v, list) else v}")


if __name__ == "__main__":
    raise SystemExit(main())
