"""Fakes at the client boundary for the `ndes verify` unit tests: a directory reader, WinRM hosts answering the
project's scripts in get mode, a SCEP fetcher and a Graph client, all describing one healthy NDES by default."""
from __future__ import annotations

import base64
import copy
import datetime as dt
from typing import Any

from ndes.model import load_config
from ndes.verify import Context
from ndes.verify.directory import Account
from ndes.verify.external import Response

from cryptography.hazmat.primitives.serialization import Encoding

from .sample_config import sample

HOST = "ndes01.contoso.com"
EXT = "ndes01-contoso.msappproxy.net"
ACCOUNT_DN = "CN=svc-ndes,CN=Users,DC=contoso,DC=com"
SIDS = {"svc-ndes": "S-1-5-21-1-2-3-1105", "NDES01$": "S-1-5-21-1-2-3-1106"}


def _cert(cn: str):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    now = dt.datetime.now(dt.timezone.utc)
    return (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=700)).sign(key, hashes.SHA256()))


def thumbprint(cert) -> str:
    from cryptography.hazmat.primitives import hashes
    return cert.fingerprint(hashes.SHA1()).hex().upper()


def pkcs7_of(certs) -> bytes:
    from cryptography.hazmat.primitives.serialization import Encoding, pkcs7
    return pkcs7.serialize_certificates(list(certs), Encoding.DER)


CA_CERT, SIGN_CERT, ENC_CERT = _cert("Contoso Issuing CA"), _cert("NDES01-MSCEP-RA"), _cert("NDES01-MSCEP-RA")
ROOT_CERT = _cert("Contoso Root CA")


def facts(cert) -> dict[str, str]:
    """CaCertificate.ps1's export of a CA certificate (its DER, PEM and thumbprint)."""
    return {"derBase64": base64.b64encode(cert.public_bytes(Encoding.DER)).decode(),
            "pem": cert.public_bytes(Encoding.PEM).decode(), "thumbprint": thumbprint(cert)}


CA_DER = {"root": facts(ROOT_CERT)["derBase64"], "issuing": facts(CA_CERT)["derBase64"]}
"""The CA certificates the trusted certificate profiles carry (CaCertificate's rootDerBase64 / issuingDerBase64)."""
RA = {"EnrollmentAgentOffline": thumbprint(SIGN_CERT), "CEPEncryption": thumbprint(ENC_CERT)}


def when(days: int) -> str:
    return (dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")


def config(**changes):
    return load_config(sample(**changes))


class FakeDirectory:
    """The reader of what no resource owns (account health, SPN holders). It holds no LDAP client (`c`): the
    checks the providers own read through their hooks and are tested against the lab's Samba
    (tests/directory/test_verify_directory_samba.py)."""

    def __init__(self, cfg):
        self.accounts = {"svc-ndes": Account(ACCOUNT_DN)}
        self.holders: dict[str, list[str]] = {f"http/{HOST}": [ACCOUNT_DN]}

    def account(self, sam):
        return self.accounts.get(sam)

    def spn_holders(self, spn):
        return self.holders.get(spn, [])


SCEP_MESSAGE = "MIAGCSqGSIb3DQEHAqCAMIACAQExDzANBglghkgBZQMEAgEFADCABgkqhkiG9w0BBwGggCSABIIF" * 3
"""The start of a device's PKCS#7 SCEP request as it appears in an mscep.dll query (it carries the challenge)."""


def host_logs_state() -> dict[str, Any]:
    """HostLogs.ps1 on an NDES host that refused one device: Get-WinEvent records and IIS's W3C log."""
    return {"events": [
        {"logName": "Application", "id": 29, "providerName": "Microsoft-Windows-NetworkDeviceEnrollmentService",
         "levelDisplayName": "Error", "timeCreated": when(-1),
         "message": "The Network Device Enrollment Service cannot submit the certificate request (0x80094800). "
                    "challengePassword=7F3A9C0D11E2"},
        {"logName": "Microsoft-Intune-CertificateConnectors/Admin", "id": 1001,
         "providerName": "Microsoft-Intune-CertificateConnectors", "levelDisplayName": "Error",
         "timeCreated": when(-2), "message": "Failed to verify the request: " + SCEP_MESSAGE}],
        "eventErrors": [],
        "iisLog": {"file": "u_ex261130.log", "header": [
            "#Software: Microsoft Internet Information Services 10.0", "#Version: 1.0", "#Date: 2026-11-30 00:00:00",
            "#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) "
            "cs(Referer) sc-status sc-substatus sc-win32-status time-taken"],
            "lines": [
            "2026-11-30 10:00:00 10.0.0.5 GET /certsrv/mscep/mscep.dll operation=GetCACaps&message=default 443 - "
            "10.0.0.9 Mozilla/5.0 - 200 0 0 15",
            f"2026-11-30 10:00:01 10.0.0.5 GET /certsrv/mscep/mscep.dll operation=PKIOperation&message={SCEP_MESSAGE} "
            "443 CONTOSO\\svc-ndes 10.0.0.9 Dalvik/2.1.0 https://portal.example/?session=abc 500 0 0 31"]}}


HTTP_SYS = r"HKLM:\SYSTEM\CurrentControlSet\Services\HTTP\Parameters"


def healthy_states(cfg) -> dict[str, dict[str, Any]]:
    """Script name -> the `state` its get mode answers on a healthy NDES host (and the CA host)."""
    return {
        "CaAccess": {"exists": True, "commonName": cfg.ca.common_name, "present": True, "denied": False, "mask": 0x200, "accountSid": SIDS["svc-ndes"]},
        "CaCertificate": {"exists": True, "commonName": cfg.ca.common_name,
                          "issuing": {"subject": "CN=Contoso Issuing CA", "notAfter": when(1500), **facts(CA_CERT)},
                          "root": {"subject": "CN=Contoso Root CA", "notAfter": when(3000), **facts(ROOT_CERT)}},
        "HostClock": {"now": when(0)},
        "HostBoot": {"bootId": "2026-11-27T08:00:00.000000+00:00"},
        "LocalGroupMember": {"group": "IIS_IUSRS", "memberSid": SIDS["svc-ndes"], "members": [
            {"sid": "S-1-5-21-1-2-3-1108", "path": "WinNT://S-1-5-21-1-2-3-1108"},  # an orphaned SID
            {"sid": SIDS["svc-ndes"], "path": "WinNT://CONTOSO/svc-ndes"}]},
        "IisRequestLimits": {"site": "Default Web Site", "siteExists": True, "maxUrl": 65534, "maxQueryString": 65534},
        "RegistryValues": {"values": [
            {"path": HTTP_SYS, "name": "MaxFieldLength", "type": "DWord", "value": 65534, "exists": True},
            {"path": HTTP_SYS, "name": "MaxRequestBytes", "type": "DWord", "value": 65534.0, "exists": True}]},
        "MscepTemplateMapping": {"exists": True, "values": {
            "SignatureTemplate": "IPSECIntermediateOffline", "EncryptionTemplate": "IPSECIntermediateOffline",
            "GeneralPurposeTemplate": cfg.templates.client.name}},
        "IisHttpsBinding": {"siteExists": True, "bindings": [{"bindingInformation": "*:443:", "thumbprint": "C" * 40}]},
        "MachineCertificate": {"exists": True, "thumbprint": "C" * 40, "commonName": EXT, "dnsNames": [EXT, HOST],
                               "templateOid": SSL_TEMPLATE_OID, "issuer": "Contoso Issuing CA", "daysLeft": 400},
        "NdesRole": {"mscepKey": True, "appPool": True, "application": True, "serviceAccount": "CONTOSO\\svc-ndes", "raCertificates": [
            {"template": t, "thumbprint": tp, "notBefore": when(-30), "notAfter": when(700), "daysLeft": 700}
            for t, tp in RA.items()]},
        "HostDiagnostics": {"os": {"caption": "Microsoft Windows Server 2022 Datacenter", "version": "10.0.20348",
                                   "lastBootUpTime": when(-3)}, "ieEscAdmin": 0, "ieEscUser": 1,
                            "administrators": ["WinNT://NDES01/Administrator", "WinNT://CONTOSO/Domain Admins"],
                            "rootStore": [base64.b64encode(CA_CERT.public_bytes(Encoding.DER)).decode()],
                            "features": [{"name": n, "installed": True} for n in HOST_FEATURES],
                            "bareMscep": 403, "outbound": [{"url": u, "reached": True} for u in HOST_ENDPOINTS]},
        "LogonRights": {"accountSid": SIDS["svc-ndes"], "exitCode": 0, "privilegeRights": [
            "SeNetworkLogonRight = *S-1-1-0,*S-1-5-32-544,*S-1-5-32-545,*S-1-5-32-551",
            "SeBatchLogonRight = *S-1-5-32-544,*S-1-5-32-551,*S-1-5-32-559",
            "SeServiceLogonRight = *S-1-5-80-0",
            "SeInteractiveLogonRight = Guest,*S-1-5-32-544,*S-1-5-32-545,*S-1-5-32-551",
            "SeDenyNetworkLogonRight = Guest"]},
        "HostLogs": host_logs_state(),
        "ScepPoolIdentity": {"exists": True, "identityType": "SpecificUser", "userName": "CONTOSO\\svc-ndes",
                             "passwordMatches": True, "state": "Started"},
        "NdesRaRenewal": {"now": when(0), "raCertificates": [
            {"template": t, "thumbprint": tp, "daysLeft": 700} for t, tp in RA.items()], "servesNewest": True},
        "IntuneConnector": {"installed": True, "version": "6.2301.1.0",
                            "services": {"PFXCertificateConnectorSvc": "Running", "PkiRevokeConnectorSvc": "Stopped"},
                            "startTypes": {"PFXCertificateConnectorSvc": "Automatic",
                                           "PkiRevokeConnectorSvc": "Manual"}, "registered": True,
                            "certificateNotAfter": when(300), "certificateDaysLeft": 300},
    }


SSL_TEMPLATE_OID = "1.3.6.1.4.1.311.21.8.1.2.3.4.5.6.1234567.7654321"
from ndes.verify.host_checks import ENDPOINTS as HOST_ENDPOINTS, FEATURES as HOST_FEATURES  # noqa: E402


def machine_certificate_state(spec: dict[str, Any]) -> dict[str, Any]:
    """MachineCertificate.ps1's state for a certificate described in words (exists, commonName, dnsNames,
    issuer CN, daysLeft, templateOid, thumbprint): a real certificate's DER, as the script returns it."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID, ObjectIdentifier

    if not spec.get("exists", True):
        return {"certificate": None, "store": []}
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.timezone.utc)
    b = (x509.CertificateBuilder()
         .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, spec["commonName"])]))
         .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, spec["issuer"])]))
         .public_key(key.public_key()).serial_number(x509.random_serial_number())
         .not_valid_before(now - dt.timedelta(days=400)).not_valid_after(now + dt.timedelta(days=spec["daysLeft"],
                                                                                           hours=1))
         .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in spec["dnsNames"]]), critical=False))
    if spec.get("templateOid"):
        from lab.winrm_sim.ca import _template_v2_ext
        oid = ObjectIdentifier("1.3.6.1.4.1.311.21.7")
        b = b.add_extension(x509.UnrecognizedExtension(oid, _template_v2_ext(spec["templateOid"], 100, 0)),
                            critical=False)
    if spec.get("templateName"):  # a v1 template: its name as a BMPString (szOID_ENROLL_CERTTYPE_EXTENSION)
        raw = spec["templateName"].encode("utf-16-be")
        b = b.add_extension(x509.UnrecognizedExtension(ObjectIdentifier("1.3.6.1.4.1.311.20.2"),
                                                       b"\x1e" + bytes([len(raw)]) + raw), critical=False)
    import base64

    from cryptography.hazmat.primitives.serialization import Encoding
    cert = b.sign(key, hashes.SHA256())
    return {"certificate": {"thumbprint": spec["thumbprint"], "derBase64": base64.b64encode(
        cert.public_bytes(Encoding.DER)).decode(), "subject": f"CN={spec['commonName']}",
        "issuer": f"CN={spec['issuer']}", "friendlyName": "", "hasPrivateKey": spec.get("hasPrivateKey", True)},
        "store": []}


def ndes_role_state(spec: dict[str, Any]) -> dict[str, Any]:
    """NdesRole.ps1's state for RA certificates described in words (template, thumbprint, daysLeft): real
    certificates carrying the v1 template-name extension, as DER."""
    import base64

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import Encoding
    from cryptography.x509.oid import NameOID, ObjectIdentifier

    out = {k: v for k, v in spec.items() if k != "raCertificates"}
    certs = []
    for ra in spec.get("raCertificates") or []:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        now = dt.datetime.now(dt.timezone.utc)
        raw = ra["template"].encode("utf-16-be")
        cert = (x509.CertificateBuilder()
                .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "NDES01-MSCEP-RA")]))
                .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Contoso Issuing CA")]))
                .public_key(key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(now - dt.timedelta(days=800))
                .not_valid_after(now + dt.timedelta(days=ra["daysLeft"], hours=1))
                .add_extension(x509.UnrecognizedExtension(ObjectIdentifier("1.3.6.1.4.1.311.20.2"),
                                                          b"\x1e" + bytes([len(raw)]) + raw), critical=False)
                .sign(key, hashes.SHA256()))
        certs.append({"thumbprint": ra["thumbprint"], "derBase64": base64.b64encode(
            cert.public_bytes(Encoding.DER)).decode(), "subject": "CN=NDES01-MSCEP-RA",
            "issuer": "CN=Contoso Issuing CA", "hasPrivateKey": True,
            "provider": "Microsoft Strong Cryptographic Provider"})
    out["raCertificates"] = certs
    return out


def ra_renewal_state(spec: dict[str, Any]) -> dict[str, Any]:
    """NdesRaRenewal.ps1's state in words: the host's clock (`now`), RA certificates as for NdesRole, whether NDES
    serves them (`servesNewest`), a GetCACert error (`servedError`)."""
    ra = ndes_role_state({"raCertificates": spec.get("raCertificates") or []})["raCertificates"]
    served = [c["derBase64"] for c in ra] if spec.get("servesNewest", True) else []
    return {"now": spec["now"], "raCertificates": ra, "appPool": {"exists": True, "state": "Started"},
            "served": served, "servedError": spec.get("servedError", ""), "enrolled": []}


class FakeHost:
    def __init__(self, states: dict[str, dict[str, Any]]):
        self.states = states
        self.calls: list[tuple[str, dict]] = []

    def run_script(self, name, params, *, timeout=None):
        self.calls.append((name, params))
        if isinstance(self.states.get(name), Exception):
            raise self.states[name]
        state = copy.deepcopy(self.states[name])
        if name == "MachineCertificate":
            state = machine_certificate_state(state)
        elif name == "NdesRole":
            state = ndes_role_state(state)
        elif name == "NdesRaRenewal":
            state = ra_renewal_state(state)
        return {"changed": False, "state": state, "rebootRequired": False, "warnings": []}


class FakeFetcher:
    def __init__(self, pkcs7: bytes = b"", caps: str = "POSTPKIOperation\nSHA-256\nRenewal"):
        self.pkcs7 = pkcs7
        self.caps = caps
        self.names = {"commonName": EXT, "dnsNames": [EXT], "notAfter": ""}
        self.error: Exception | None = None

    def peer_names(self, host, port):
        if self.error:
            raise self.error
        return self.names

    def get(self, url, params):
        if params["operation"] == "GetCACaps":
            return Response(200, "text/plain", self.caps.encode())
        return Response(200, "application/x-x509-ca-ra-cert", self.pkcs7)


class FakeCredential:
    def get_token(self, *scopes, **kw):
        from types import SimpleNamespace
        return SimpleNamespace(token="fake-token", expires_on=9_999_999_999)


def seed_graph(cfg, make) -> None:
    """What `pulumi up` leaves in the tenant: each declared Graph resource made by `make(declared, ref)` (its
    provider's apply; returns the id), the CA certificates CA_DER, the groups the config gives by id."""
    from ndes.declare import graph as g
    for d in g.app_proxy(cfg).values():
        make(d, "graph:appProxy")
    root_groups = g.root_targets(cfg, g.given_ids(g.trusted_root_group_refs(cfg)))
    roots = {}
    for step, d in g.trusted_profiles(cfg, CA_DER, root_groups).items():
        pid = make(d, "graph")
        if step.endswith("-root"):
            roots[d.props["platform"]] = pid
    for d in g.scep_profiles(cfg, roots, g.given_targets).values():
        make(d, "graph")


class FakeGraph:
    """The lab's Graph simulator (lab/graph_sim/graph.handle) in process, behind the real GraphClient (an httpx
    MockTransport; no sign-in: the simulator's permission tables are not asked here), in the sample's tenant
    (contoso.onmicrosoft.com). Seeded as `pulumi up` leaves a healthy tenant: each declared Graph resource
    (ndes/declare/graph.py) made by its own provider's `apply`. Tests change `state.data` behind its back, as an
    admin in the portal would (app(), profile())."""

    def __init__(self, cfg):
        import tempfile
        from pathlib import Path

        import httpx
        from lab.graph_sim.state import State
        from ndes.declare.graph import given_ids
        from ndes.graph import GraphClient, GraphSettings
        self._dir = tempfile.TemporaryDirectory(prefix="fake-graph-")
        self.state = State(Path(self._dir.name) / "state.json")
        self.state.data["organization"]["verifiedDomains"][0]["name"] = "contoso.onmicrosoft.com"
        for _, sc, _ in cfg.intune.scep_profile_entries():  # the groups the config names exist in the tenant
            for gid in given_ids([*sc.include_groups, *sc.assignments.exclude, *cfg.intune.trusted_root_groups]):
                self.state.data["groups"].setdefault(gid, f"group {gid}")
        self.client = GraphClient(GraphSettings(tenant_id="t", client_id="c", client_secret="s"),
                                  transport=httpx.MockTransport(self._serve), credential=FakeCredential())
        self.target = self.client.target
        self._seed(cfg)

    def __getattr__(self, name):  # the GraphClient's verbs (get, list, post, ...)
        return getattr(self.client, name)

    def _serve(self, request):
        import json

        import httpx
        from lab.graph_sim import graph as sim
        req = sim.Request(request.method, request.url.path, sim.parse_query(request.url.query.decode()),
                          json.loads(request.content) if request.content else None,
                          f"{request.url.scheme}://{request.url.host}")
        try:
            r = sim.handle(self.state, req)
        except sim.GraphFault as f:
            r = sim.error_reply(f.status, f.code, f.message)
        return httpx.Response(r.status, json=r.body, headers=r.headers) if r.body is not None else \
            httpx.Response(r.status, headers=r.headers)

    def _make(self, cfg, d, ref: str) -> str:
        from ndes.providers.clients import substituted
        from ndes.verify.context import connection_of
        p = d.provider()
        inp = p.Inputs.model_validate({**d.props, **connection_of(cfg, ref, None),
                                       "configKey": d.config_key, "owner": f"ndes/test/{d.step}"})
        with substituted(graph=lambda settings: self):
            return p.apply(inp, None)[0]

    def _seed(self, cfg) -> None:
        seed_graph(cfg, lambda d, ref: self._make(cfg, d, ref))

    def app(self, display_name: str) -> dict:
        """The stored application of that name (change it to plant a defect)."""
        return next(a for a in self.state.data["applications"].values() if a.get("displayName") == display_name)

    def profile(self, display_name: str) -> dict:
        """The stored device configuration of that name."""
        return next(p for p in self.state.data["deviceConfigurations"].values()
                    if p.get("displayName") == display_name)


def context(cfg, directory=None, states=None, fetcher=None, graph=None) -> tuple[Context, FakeHost]:
    host = FakeHost(states if states is not None else healthy_states(cfg))
    ctx = Context(cfg, directory_factory=lambda: directory or FakeDirectory(cfg),
                  windows_factory=lambda name, own: host, graph_factory=lambda: graph or FakeGraph(cfg),
                  scep_fetcher=fetcher or FakeFetcher(pkcs7_of([CA_CERT, SIGN_CERT, ENC_CERT])))
    return ctx, host


def run_all(ctx) -> list:
    from ndes.verify import run
    return run(ctx)


def by_check(results, check: str):
    found = [r for r in results if r.check == check]
    assert found, f"no result for {check!r}: {[r.check for r in results]}"
    return found
