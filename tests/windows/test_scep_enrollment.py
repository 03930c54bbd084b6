"""A real SCEP enrollment through the whole lab chain: `scepclient` (Debian's scep package) -> the App Proxy
front (external URL ndes1-lab.msappproxy.net, resolved through /etc/hosts) -> the simulated NDES host's
mscep.dll -> Intune's challenge validation through the registered connector (Graph simulator) -> the simulated
CA, which builds the certificate from the client template it reads from the real Samba.

Private WinRM and Graph simulators (their own addresses, ports and state); the chain is converged with the
product's own providers: service account, client template + issuance, NdesRole, https binding, MSCEP mapping,
trusted root + SCEP profiles, App Proxy application (signed in as the App Proxy admin, as tests/graph does).
The App Proxy application's internal URL names the private NDES host by its address (a private simulator cannot
take ndes1's name), so its SSL certificate carries that address too.
"""
from __future__ import annotations

import base64
import datetime as dt
import ssl
import time
import uuid
from pathlib import Path

import httpx
import ldap3
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import AttributeOID, ExtendedKeyUsageOID, NameOID

from lab import enroll, hosts, pki
from lab.winrm_sim import ca, certstore, scep_cms, scep_pkiop
from lab.winrm_sim.handlers import intune_connector as sim_connector
from ndes.providers.app_proxy_application import AppProxyApplicationProvider
from ndes.providers.certificate_template import CertificateTemplateProvider
from ndes.providers.iis_https_binding import IisHttpsBindingProvider
from ndes.providers.mscep_template_mapping import MscepTemplateMappingProvider
from ndes.providers.ndes_role import NdesRoleProvider
from ndes.providers.scep_profile import ScepProfileProvider
from ndes.providers.template_issuance import TemplateIssuanceProvider
from ndes.providers.trusted_certificate_profile import TrustedCertificateProfileProvider
from tests.graph.conftest import LAB_GROUP, graph_sim_server, lab_ca_der  # noqa: F401  (fixtures)
from tests.graph.engine import Managed

from .conftest import NDES1
from .part2_lab import conn_props, endpoint_props, ndes_role_props, prepare_ndes_host, service_account

pytestmark = pytest.mark.slow
EXT = "ndes1-lab.msappproxy.net"
UPN = "alice@lab.contoso.test"


# ------------------------------------------------------------------------------------------ the chain
def _ssl_cert(sim, host: str, address: str) -> str:
    """The NDES SSL certificate (external + internal name, and the private address the App Proxy uses)."""
    import ipaddress
    ca_cert, ca_key = ca.issuing_ca()
    key = ca.new_key(2048)
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, EXT)]))
            .issuer_name(ca_cert.subject).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(hours=1)).not_valid_after(now + dt.timedelta(days=90))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(EXT), x509.DNSName(host),
                                                        x509.IPAddress(ipaddress.ip_address(address))]),
                           critical=False)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    with sim.edit_state(host) as st:
        return certstore.add(st, cert, ca.key_pem(key))


class Chain:
    def __init__(self, dc, sim, graph, account: str, template: str, scep_url: str, profiles: dict[str, str]):
        self.dc, self.sim, self.graph = dc, sim, graph
        self.account, self.template, self.url, self.profiles = account, template, scep_url, profiles

    def challenge(self, profile: str = "upn", ttl: float | None = None, **device) -> dict:
        return enroll.challenge(self.graph.url, self.profiles[profile],
                                {"upn": UPN, "deviceName": "LAB-PHONE-7", **device}, ttl)

    def events(self) -> list[dict]:
        return scep_pkiop.events(self.sim.read_state(NDES1))

    def set_min_key_size(self, bits: int) -> None:
        conn = ldap3.Connection(ldap3.Server(self.dc.host, port=int(self.dc.port), use_ssl=True, tls=ldap3.Tls(
            validate=ssl.CERT_REQUIRED, ca_certs_file=self.dc.ca_bundle)), user=self.dc.bind_user,
            password=self.dc.bind_password, auto_bind=True)
        dn = f"CN={self.template},CN=Certificate Templates,CN=Public Key Services,CN=Services,{self.dc.config_dn}"
        assert conn.modify(dn, {"msPKI-Minimal-Key-Size": [(ldap3.MODIFY_REPLACE, [str(bits)])]}), conn.result
        conn.unbind()

    def register(self) -> None:
        enroll.register_connector(NDES1, self.graph.url, state_dir=self.sim.state_dir)


@pytest.fixture(scope="module")
def chain(samba_dc, winrm_sim, graph_sim_server, lab_ca_der):  # noqa: F811
    sim, graph = winrm_sim, graph_sim_server
    try:
        hosts.add()
    except PermissionError:
        pass
    for h in (NDES1, "ca1.lab.contoso.test"):
        sim.reset_state(h)
    graph.admin("/reset")
    uid = uuid.uuid4().hex[:6]
    cleanup = []
    with service_account(samba_dc) as (account, password, _sid):
        try:
            # directory: the client template (from User: supply in request, client auth, 1 year), issued
            tname = f"NDES-Intune-T{uid}"
            tp, ip = CertificateTemplateProvider(), TemplateIssuanceProvider()
            tprops = tp.check({}, {**conn_props(samba_dc), "kind": "client", "name": tname, "displayName": tname,
                                   "validity": "1 year", "minimumKeySize": 2048,
                                   "keyUsage": ["digitalSignature", "keyEncipherment"],
                                   "extendedKeyUsage": ["clientAuth"], "enrollPrincipals": [account.split("\\")[1]],
                                   "owner": f"tests/scep/{tname}"}).inputs
            t = tp.create(tprops)
            cleanup.append(lambda: tp.delete(t.id, {**tprops, **t.outs}))
            iprops = ip.check({}, {**conn_props(samba_dc), "caCommonName": samba_dc.enterprise_ca_name,
                                   "templateName": tname, "owner": f"tests/scep/{tname}-issuance"}).inputs
            i = ip.create(iprops)
            cleanup.append(lambda: ip.delete(i.id, {**iprops, **i.outs}))

            # the NDES host: role, SSL binding, MSCEP mapping for the profile's key usage
            prepare_ndes_host(sim, NDES1, account)
            role = NdesRoleProvider()
            role.create(role.check({}, {"endpoint": endpoint_props(sim, NDES1),
                                        **ndes_role_props(samba_dc, account, password)}).inputs)
            address = sim.address_of(NDES1)
            thumb = _ssl_cert(sim, NDES1, address)
            b = IisHttpsBindingProvider()
            b.create(b.check({}, {"endpoint": endpoint_props(sim, NDES1), "thumbprint": thumb}).inputs)
            m = MscepTemplateMappingProvider()
            m.create(m.check({}, {"endpoint": endpoint_props(sim, NDES1),
                                  "keyUsage": ["digitalSignature", "keyEncipherment"], "templateName": tname}).inputs)
            with sim.edit_state(NDES1) as st:  # the connector installed (its registration is each test's knob)
                sim_connector.stage_installer(st)
                sim_connector._install(st)

            # Graph: App Proxy publishes the NDES host; trusted root + two SCEP profiles listing the external URL
            # as the App Proxy admin (device code, completed by the simulator's lab user): App Proxy's Graph
            # APIs take no app-only token since issue 14 (docs/identities.md)
            Managed(AppProxyApplicationProvider()).create({
                **graph.app_proxy_connection(), "displayName": "NDES ndes1", "externalUrl": f"https://{EXT}/",
                "internalUrl": f"https://{address}/", "connectorGroup": "Default", "owner": "tests/scep/app",
                "configKey": "ndes:appProxy"})
            root = Managed(TrustedCertificateProfileProvider())
            root.create({**graph.connection(), "platform": "ios", "role": "root", "displayName": "NDES root - ios",
                         "certificate": lab_ca_der["root"], "certFileName": "lab-root.cer", "groups": [LAB_GROUP],
                         "owner": "tests/scep/root"})
            profiles = {}
            for key, subject, sans in (("upn", "CN={{UserPrincipalName}}",
                                        [{"type": "userPrincipalName", "value": "{{UserPrincipalName}}"}]),
                                       ("device", "CN={{DeviceName}}", [])):
                p = Managed(ScepProfileProvider())
                p.create({**graph.connection(), "platform": "ios", "displayName": f"NDES SCEP {key}",
                          "rootProfileId": root.id, "scepServerUrls": [f"https://{EXT}/certsrv/mscep/mscep.dll"],
                          "keyUsage": ["digitalSignature", "keyEncipherment"], "keySize": 2048,
                          "hashAlgorithm": "sha2", "subjectNameFormat": "custom", "subjectName": subject,
                          "subjectAlternativeNames": sans, "extendedKeyUsage": ["clientAuth"], "validity": "1 year",
                          "renewalThresholdPercent": 20, "certificateStore": "user",
                          "keyStorageProvider": "useTpmKspOtherwiseUseSoftwareKsp", "groups": [LAB_GROUP],
                          "owner": f"tests/scep/{key}"})
                profiles[key] = p.id
            port = graph.inst.proxy_address[1]
            c = Chain(samba_dc, sim, graph, account, tname, f"https://{EXT}:{port}/certsrv/mscep/mscep.dll", profiles)
            _wait_for_endpoint(c)
            yield c
        finally:
            for fn in reversed(cleanup):
                fn()


def _wait_for_endpoint(c: Chain) -> None:
    ctx = ssl.create_default_context(cafile=str(pki.ca_bundle_path()))
    deadline = time.monotonic() + 15
    while True:
        try:
            r = httpx.get(c.url, params={"operation": "GetCACaps"}, verify=ctx, timeout=10)
            if r.status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"the SCEP endpoint does not answer through {c.url}")
        time.sleep(0.3)


@pytest.fixture
def registered(chain):
    chain.register()
    yield chain
    enroll.unregister_connector(NDES1, chain.graph.url, state_dir=chain.sim.state_dir)


def template_facts(chain: Chain) -> ca.Template:
    view = ca.SambaView(chain.dc)
    conn = view.connect()
    try:
        tpl = view.template(conn, chain.template)
    finally:
        conn.unbind()
    assert tpl is not None
    return tpl


def refused(chain: Chain, ch: dict, tmp_path: Path, **kw) -> str:
    with pytest.raises(enroll.EnrollError) as exc:
        enroll.scepclient(chain.url, ch, tmp_path / uuid.uuid4().hex[:8], **kw)
    return str(exc.value)


# ------------------------------------------------------------------------------------------ tests
def test_scepclient_enrolls_through_the_external_url(registered, tmp_path):
    chain = registered
    tpl = template_facts(chain)
    for profile, subject in (("upn", f"CN={UPN}"), ("device", "CN=LAB-PHONE-7")):
        ch = chain.challenge(profile)
        t0 = time.monotonic()
        got = enroll.scepclient(chain.url, ch, tmp_path / profile)
        print(f"\nscepclient ({profile} profile) enrolled in {time.monotonic() - t0:.2f} s")
        cert = got.certificate
        assert cert.subject.rfc4514_string() == subject
        assert cert.issuer == ca.issuing_ca()[0].subject
        # the client template's settings, read from the real Samba
        ekus = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        assert [o.dotted_string for o in ekus] == tpl.ekus == [ExtendedKeyUsageOID.CLIENT_AUTH.dotted_string]
        ku = cert.extensions.get_extension_for_class(x509.KeyUsage)
        assert ku.critical and ku.value == ca._ku(tpl.key_usage)
        assert ku.value.digital_signature and ku.value.key_encipherment and not ku.value.content_commitment
        lifetime = cert.not_valid_after_utc - cert.not_valid_before_utc
        assert abs(lifetime - tpl.validity) < dt.timedelta(minutes=11) and tpl.validity == dt.timedelta(days=365)
        tmpl_ext = cert.extensions.get_extension_for_class(x509.MSCertificateTemplate).value
        assert tpl.oid and tmpl_ext.template_id.dotted_string == tpl.oid
        # the certificate is for the device's own key
        key = serialization.load_pem_private_key(got.key_path.read_bytes(), None)
        assert key.public_key().public_numbers() == cert.public_key().public_numbers()
        sans = [] if profile == "device" else [
            gn for gn in cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value]
        if profile == "upn":
            assert [(gn.type_id.dotted_string, gn.value[2:].decode()) for gn in sans] == \
                [(enroll.UPN_OID, UPN)]
        else:
            with pytest.raises(x509.ExtensionNotFound):
                cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    # Intune saw both validations and the connector's success reports
    reqs = enroll.scep_requests(chain.graph.url)
    issued = [r for r in reqs if r["status"] == "issued"]
    assert len(issued) == 2 and {r["profileId"] for r in issued} == set(chain.profiles.values())
    info = [e for e in chain.events() if e["level"] == "Information"]
    assert len(info) == 2 and all("issued certificate" in e["message"] for e in info)
    print(f"NDES: {info[-1]['message']}")  # what scepclient 2.1 sends (it ignores the cipher caps)


def test_minimum_key_size_above_the_request_fails_as_ndes_fails(registered, tmp_path):
    chain = registered
    chain.set_min_key_size(4096)
    try:
        ch = chain.challenge("device")
        out = refused(chain, ch, tmp_path, key_bits=2048)
    finally:
        chain.set_min_key_size(2048)
    assert "PKCSReq (19) request failed, failInfo: badRequest (2)" in out
    last = chain.events()[-1]
    assert last["level"] == "Error" and last["source"] == scep_pkiop.NDES_SOURCE
    assert "0x80094811" in last["message"] and "4096" in last["message"] and chain.template in last["message"]
    report = enroll.scep_requests(chain.graph.url)[-1]
    assert report["status"] == "failed" and "0x80094811" in report["error"]
    # the same template back at 2048: a new challenge enrolls
    assert enroll.scepclient(chain.url, chain.challenge("device"), tmp_path / "again").certificate


def test_wrong_expired_replayed_and_mismatched_challenges_are_refused(registered, tmp_path):
    chain = registered
    good = chain.challenge("device")
    wrong = dict(good, challenge=base64.b64encode(b"not-the-challenge-intune-issued!").decode())
    assert "failInfo: badRequest (2)" in refused(chain, wrong, tmp_path)
    assert "not one Intune issued" in chain.events()[-1]["message"]

    expired = chain.challenge("device", ttl=1)
    time.sleep(1.5)
    assert "failInfo: badRequest (2)" in refused(chain, expired, tmp_path)
    assert "expired" in chain.events()[-1]["message"]

    enroll.scepclient(chain.url, good, tmp_path / "first")  # the good one works once
    assert "failInfo: badRequest (2)" in refused(chain, good, tmp_path)
    assert "already used" in chain.events()[-1]["message"]

    # a device asking for another subject than the profile resolves to for it
    other = dict(chain.challenge("device"), subject="CN=SOMEONE-ELSE")
    assert "failInfo: badRequest (2)" in refused(chain, other, tmp_path)
    assert "is not the profile's 'CN=LAB-PHONE-7'" in chain.events()[-1]["message"]
    # ... or without the UPN SAN its profile asks for
    no_san = dict(chain.challenge("upn"), subjectAlternativeNames=[])
    assert "failInfo: badRequest (2)" in refused(chain, no_san, tmp_path)
    assert "subject alternative names (none)" in chain.events()[-1]["message"]


def test_connector_not_registered_is_refused(chain, tmp_path):
    ch = chain.challenge("device")
    assert "failInfo: badRequest (2)" in refused(chain, ch, tmp_path)  # installed, never registered
    assert "not registered with Intune" in chain.events()[-1]["message"]

    chain.register()
    thumb = sim_connector._live(chain.sim.read_state(NDES1))["certificateThumbprint"]
    try:  # registered on the host, but the tenant no longer knows the connector
        status, _ = enroll._call(chain.graph.url, "DELETE", f"/lab/intune/connectors/{thumb}")
        assert status == 204
        assert "failInfo: badRequest (2)" in refused(chain, chain.challenge("device"), tmp_path)
        last = chain.events()[-1]["message"]
        assert "HTTP 403" in last and "not registered with this tenant" in last
    finally:
        enroll.unregister_connector(NDES1, chain.graph.url, state_dir=chain.sim.state_dir)


def test_pkioperation_by_get_and_a_tampered_request(registered, tmp_path):
    """A PKCSReq built here (GET with message=, as RFC 8894 allows) gets its certificate; a request whose
    signature does not verify gets FAILURE badMessageCheck."""
    chain = registered
    ctx = ssl.create_default_context(cafile=str(pki.ca_bundle_path()))
    cacerts = scep_cms.certs_of(httpx.get(chain.url, params={"operation": "GetCACert"}, verify=ctx).content)
    enc = next(c for c in cacerts if c.extensions.get_extension_for_class(x509.KeyUsage).value.key_encipherment
               and ca.template_name_v1(c) == "CEPEncryption")
    ch = chain.challenge("device")
    key = ca.new_key(2048)
    csr = (x509.CertificateSigningRequestBuilder()
           .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "LAB-PHONE-7")]))
           .add_attribute(AttributeOID.CHALLENGE_PASSWORD, ch["challenge"].encode()).sign(key, hashes.SHA256()))
    now = dt.datetime.now(dt.timezone.utc)
    self_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "SCEP SIGNER")])
    signer = (x509.CertificateBuilder().subject_name(self_name).issuer_name(self_name).public_key(key.public_key())
              .serial_number(x509.random_serial_number()).not_valid_before(now)
              .not_valid_after(now + dt.timedelta(hours=1)).sign(key, hashes.SHA256()))
    msg = scep_cms.pkcs_req(csr.public_bytes(serialization.Encoding.DER), signer, key, enc,
                            cipher="tripledes_3key", digest="sha256")
    r = httpx.get(chain.url, params={"operation": "PKIOperation", "message": base64.b64encode(msg).decode()},
                  verify=ctx, timeout=30)
    assert r.status_code == 200 and r.headers["content-type"] == scep_pkiop.PKI_MESSAGE
    rep = scep_cms.parse_pki_message(r.content)
    ra_sign = next(c for c in cacerts if ca.template_name_v1(c) == "EnrollmentAgentOffline")
    assert rep.signature_ok and rep.signer == ra_sign
    assert rep.attributes["scep_pki_status"] == scep_cms.SUCCESS and rep.attributes["scep_message_type"] == "3"
    assert rep.attributes["scep_recipient_nonce"] == scep_cms.parse_pki_message(msg).sender_nonce
    inner, alg = scep_cms.open_envelope(rep.content, [(signer, key)])
    assert alg == "tripledes_3key"
    assert scep_cms.certs_of(inner)[0].public_key().public_numbers() == key.public_key().public_numbers()

    # RenewalReq (GetCACaps says Renewal): signed with the certificate being renewed, a new key, a new challenge
    issued = scep_cms.certs_of(inner)[0]
    new_key = ca.new_key(2048)
    csr2 = (x509.CertificateSigningRequestBuilder().subject_name(csr.subject)
            .add_attribute(AttributeOID.CHALLENGE_PASSWORD, chain.challenge("device")["challenge"].encode())
            .sign(new_key, hashes.SHA256()))
    renewal = scep_cms.pkcs_req(csr2.public_bytes(serialization.Encoding.DER), issued, key, enc, message_type="17")
    rep = scep_cms.parse_pki_message(httpx.post(chain.url, params={"operation": "PKIOperation"}, content=renewal,
                                                verify=ctx, timeout=30).content)
    assert rep.attributes["scep_pki_status"] == scep_cms.SUCCESS, chain.events()[-1]
    renewed = scep_cms.certs_of(scep_cms.open_envelope(rep.content, [(issued, key)])[0])[0]
    assert renewed.public_key().public_numbers() == new_key.public_key().public_numbers()
    # ... but not with a certificate some other CA (or the device itself) issued
    renewal = scep_cms.pkcs_req(csr2.public_bytes(serialization.Encoding.DER), signer, key, enc, message_type="17")
    rep = scep_cms.parse_pki_message(httpx.post(chain.url, params={"operation": "PKIOperation"}, content=renewal,
                                                verify=ctx, timeout=30).content)
    assert rep.attributes["scep_fail_info"] == scep_cms.BAD_MESSAGE_CHECK

    tampered = bytearray(msg)
    tampered[-5] ^= 0xFF  # inside the signature value
    r = httpx.post(chain.url, params={"operation": "PKIOperation"}, content=bytes(tampered), verify=ctx, timeout=30)
    rep = scep_cms.parse_pki_message(r.content)
    assert rep.attributes["scep_pki_status"] == scep_cms.FAILURE
    assert rep.attributes["scep_fail_info"] == scep_cms.BAD_MESSAGE_CHECK

    r = httpx.post(chain.url, params={"operation": "PKIOperation"}, content=b"not cms", verify=ctx, timeout=30)
    assert r.status_code == 400


def test_lab_enroll_cli_prints_the_issued_certificate(registered, tmp_path, capsys):
    """`python -m lab.enroll` (what ./lab/up ends with): the profile found by its SCEP URL, the challenge, scepclient,
    and the certificate in words."""
    chain = registered
    assert enroll.main(["--url", chain.url, "--graph-url", chain.graph.url, "--out", str(tmp_path / "cli"),
                        "--upn", "bob@lab.contoso.test", "--profile", chain.profiles["upn"]]) == 0
    out = capsys.readouterr().out
    assert "subject: CN=bob@lab.contoso.test" in out and "subjectAlternativeNames: UPN:bob@lab.contoso.test" in out
    assert "extendedKeyUsages: clientAuth" in out and "keyUsage: digitalSignature, keyEncipherment" in out
    assert "validityDays: 365.01" in out  # the template's year (the CA back-dates notBefore by 10 minutes)


# ------------------------------------------------------------------------------------------ after a real up
E2E = {"account": "svc-scep-e2e", "ssl": "SCEP-E2E-SSL", "client": "SCEP-E2E-Intune", "app": "NDES SCEP E2E",
       "profiles": "SCEP-E2E"}


@pytest.mark.e2e
def test_after_a_real_pulumi_up_scepclient_enrolls(samba_dc, tmp_path):
    """The product's own `pulumi up` (lab stack config bent to ndes2 and names of its own, on the lab's shared
    simulators, so the lab stack on ndes1 is never touched) leaves a chain scepclient enrolls through: the
    client template the config names, the MSCEP value the program derives, the SCEP profile's URL."""
    from lab.graph_sim import control as graph_control
    from lab.topology import NDES_HOSTS
    from lab.winrm_sim import control, store
    from tests.e2e.lab_chain import ensure_lab_servers
    from tests.e2e.lab_stack import lab_project, lab_stack_config

    ensure_lab_servers()
    host = NDES_HOSTS[1]
    store.reset_state(host["name"], control.LAB.state_dir)
    with store.edit_state(host["name"], control.LAB.state_dir) as st:
        installer = sim_connector.stage_installer(st)
    cli = lab_project(tmp_path, {
        "ndesHosts": [{"fqdn": host["name"], "externalUrl": host["external_url"],
                       "winrm": {"url": f"https://{host['address']}:{host['winrm_port']}/wsman"}}],
        "serviceAccount.name": E2E["account"],
        "templates": {"ssl": {"name": E2E["ssl"], "displayName": "SCEP E2E SSL"},
                      "client": {"name": E2E["client"], "displayName": "SCEP E2E Intune"}},
        "appProxy.displayName": E2E["app"], "intune.profileNamePrefix": E2E["profiles"], "intune.platforms": ["ios"],
        # one client template here: only the lab's first SCEP profile, whose key usage that template serves
        "intune.scepProfiles": lab_stack_config()["config"]["ndes:intune"]["scepProfiles"][:1],
        "connector.installerPath": installer})
    graph = graph_control.LAB.graph_url
    try:
        t0 = time.monotonic()
        cli.up()
        t_up = time.monotonic() - t0
        enroll.register_connector(host["name"], graph)
        url = enroll.default_url(1)
        profile = enroll.profile_for(graph, url)
        assert profile["displayName"].startswith(E2E["profiles"])
        ch = enroll.challenge(graph, profile["id"], {"upn": UPN, "deviceName": "E2E-PHONE"})
        got = enroll.scepclient(url, ch, tmp_path / "device")
        d = enroll.describe(got.certificate)
        from ndes.directory import accounts as acc
        from tests.e2e.test_directory_e2e import client as dc_client
        with dc_client(samba_dc) as c:  # strong mapping (KB5014754, on by default): the enrolling user's own SID
            sid = acc.resolve_sid(c, UPN.split("@", 1)[0])
        assert d["subject"] == f"CN={UPN}" and d["subjectAlternativeNames"] == [
            f"UPN:{UPN}", f"UniformResourceIdentifier:tag:microsoft.com,2022-09-14:sid:{sid}"]
        assert d["extendedKeyUsages"] == ["clientAuth"] and d["keyUsage"] == ["digitalSignature", "keyEncipherment"]
        assert round(d["validityDays"]) == 365  # the lab config's client template: 1 year
        tmpl_ext = got.certificate.extensions.get_extension_for_class(x509.MSCertificateTemplate).value
        view = ca.SambaView(samba_dc)
        conn = view.connect()
        try:
            assert tmpl_ext.template_id.dotted_string == view.template(conn, E2E["client"]).oid
        finally:
            conn.unbind()
        print(f"\nfull up of the ndes2 chain {t_up:.1f} s; scepclient enrollment {got.seconds:.2f} s")
    finally:
        try:
            enroll.unregister_connector(host["name"], graph)
        finally:
            cli.destroy(check=False)


def test_mscep_left_at_its_default_fails_at_the_ca(registered, tmp_path):
    """The seed's classic: the MSCEP value for the profile's key usage still names IPSECIntermediateOffline (the
    role install's default), a template the CA does not issue; NDES submits it and the CA refuses."""
    from lab.winrm_sim import hostmodel
    chain = registered
    with chain.sim.edit_state(NDES1) as st:  # the value as the install left it, the pool recycled
        hostmodel.set_value(st, hostmodel.MSCEP_KEY, "GeneralPurposeTemplate", "String", hostmodel.MSCEP_DEFAULT)
        hostmodel.start_app_pool(st, "SCEP")
    try:
        assert "failInfo: badRequest (2)" in refused(chain, chain.challenge("device"), tmp_path)
    finally:
        with chain.sim.edit_state(NDES1) as st:
            hostmodel.set_value(st, hostmodel.MSCEP_KEY, "GeneralPurposeTemplate", "String", chain.template)
            hostmodel.start_app_pool(st, "SCEP")
    last = chain.events()[-1]["message"]
    assert "IPSECIntermediateOffline (GeneralPurposeTemplate)" in last and "0x80094800" in last
