"""Issue 20 through the whole lab chain: two SCEP profiles of different certificate types and key usages, two
client templates (one per purpose) mapped through MSCEP, and `scepclient` enrolling one certificate of each type:
a user VPN certificate (CN={{UserPrincipalName}}, UPN SAN, digitalSignature + keyEncipherment ->
GeneralPurposeTemplate) and a device Wi-Fi certificate (CN={{AAD_Device_ID}}, DNS SAN {{DeviceName}},
digitalSignature -> SignatureTemplate), each issued from the template its key usage maps to.

Private WinRM and Graph simulators, as tests/windows/test_scep_enrollment.py builds them (its helpers)."""
from __future__ import annotations

import uuid

import pytest
from cryptography import x509

from lab import enroll, hosts
from lab.winrm_sim import ca
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
from .test_scep_enrollment import EXT, UPN, _ssl_cert, _wait_for_endpoint

pytestmark = pytest.mark.slow
AAD_DEVICE_ID = "0f0e0d0c-0000-4000-8000-0000000000aa"
BOTH = ["digitalSignature", "keyEncipherment"]


@pytest.fixture(scope="module")
def two_purposes(samba_dc, winrm_sim, graph_sim_server, lab_ca_der):  # noqa: F811
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
            oids = {}
            names = {"GeneralPurposeTemplate": f"NDES-User-T{uid}", "SignatureTemplate": f"NDES-Sign-T{uid}"}
            for value, ku in (("GeneralPurposeTemplate", BOTH), ("SignatureTemplate", ["digitalSignature"])):
                tname = names[value]
                tp, ip = CertificateTemplateProvider(), TemplateIssuanceProvider()
                tprops = tp.check({}, {**conn_props(samba_dc), "kind": "client", "name": tname, "displayName": tname,
                                       "validity": "1 year", "minimumKeySize": 2048, "keyUsage": ku,
                                       "extendedKeyUsage": ["clientAuth"],
                                       "enrollPrincipals": [account.split("\\")[1]],
                                       "owner": f"tests/purpose/{tname}"}).inputs
                t = tp.create(tprops)
                oids[value] = t.outs["oid"]
                cleanup.append(lambda tp=tp, t=t, tprops=tprops: tp.delete(t.id, {**tprops, **t.outs}))
                iprops = ip.check({}, {**conn_props(samba_dc), "caCommonName": samba_dc.enterprise_ca_name,
                                       "templateName": tname, "owner": f"tests/purpose/{tname}-issuance"}).inputs
                i = ip.create(iprops)
                cleanup.append(lambda ip=ip, i=i, iprops=iprops: ip.delete(i.id, {**iprops, **i.outs}))

            prepare_ndes_host(sim, NDES1, account)
            role = NdesRoleProvider()
            role.create(role.check({}, {"endpoint": endpoint_props(sim, NDES1),
                                        **ndes_role_props(samba_dc, account, password)}).inputs)
            address = sim.address_of(NDES1)
            thumb = _ssl_cert(sim, NDES1, address)
            b = IisHttpsBindingProvider()
            b.create(b.check({}, {"endpoint": endpoint_props(sim, NDES1), "thumbprint": thumb}).inputs)
            m = MscepTemplateMappingProvider()  # the client template + templates.moreClients (additional)
            m.create(m.check({}, {"endpoint": endpoint_props(sim, NDES1), "keyUsage": BOTH,
                                  "templateName": names["GeneralPurposeTemplate"],
                                  "additional": {"SignatureTemplate": names["SignatureTemplate"]}}).inputs)
            with sim.edit_state(NDES1) as st:
                sim_connector.stage_installer(st)
                sim_connector._install(st)

            Managed(AppProxyApplicationProvider()).create({
                **graph.app_proxy_connection(), "displayName": "NDES ndes1", "externalUrl": f"https://{EXT}/",
                "internalUrl": f"https://{address}/", "connectorGroup": "Default", "owner": "tests/purpose/app",
                "configKey": "ndes:appProxy"})
            root = Managed(TrustedCertificateProfileProvider())
            root.create({**graph.connection(), "platform": "windows", "role": "root",
                         "displayName": "NDES root - windows", "certificate": lab_ca_der["root"],
                         "certFileName": "lab-root.cer", "groups": [LAB_GROUP], "owner": "tests/purpose/root"})
            common = {**graph.connection(), "platform": "windows", "rootProfileId": root.id,
                      "scepServerUrls": [f"https://{EXT}/certsrv/mscep/mscep.dll"], "keySize": 2048,
                      "hashAlgorithm": "sha2", "subjectNameFormat": "custom", "extendedKeyUsage": ["clientAuth"],
                      "validity": "1 year", "renewalThresholdPercent": 20, "groups": [LAB_GROUP]}
            profiles = {}
            for key, extra in (
                    ("user", {"displayName": "NDES VPN user - Windows", "certificateStore": "user",
                              "keyUsage": BOTH, "subjectName": "CN={{UserPrincipalName}}",
                              "subjectAlternativeNames": [{"type": "userPrincipalName",
                                                           "value": "{{UserPrincipalName}}"}],
                              "keyStorageProvider": "useTpmKspOtherwiseUseSoftwareKsp"}),
                    ("device", {"displayName": "NDES WiFi device - Windows", "certificateStore": "machine",
                                "keyUsage": ["digitalSignature"], "subjectName": "CN={{AAD_Device_ID}}",
                                "subjectAlternativeNames": [{"type": "domainNameService",
                                                             "value": "{{DeviceName}}"}],
                                "keyStorageProvider": "useSoftwareKsp",
                                "groups": ["allDevices filter:include:NDES lab corporate Windows"]})):
                p = Managed(ScepProfileProvider())
                p.create({**common, **extra, "owner": f"tests/purpose/{key}"})
                profiles[key] = p.id
            port = graph.inst.proxy_address[1]
            url = f"https://{EXT}:{port}/certsrv/mscep/mscep.dll"

            class C:  # what _wait_for_endpoint reads
                pass
            c = C()
            c.url = url
            _wait_for_endpoint(c)
            enroll.register_connector(NDES1, graph.url, state_dir=sim.state_dir)
            yield {"url": url, "graph": graph, "profiles": profiles, "oids": oids}
            enroll.unregister_connector(NDES1, graph.url, state_dir=sim.state_dir)
        finally:
            for fn in reversed(cleanup):
                fn()


def test_one_certificate_of_each_type_from_the_template_its_key_usage_maps_to(two_purposes, tmp_path):
    t = two_purposes
    device = {"upn": UPN, "deviceName": "LAB-PC-01", "aadDeviceId": AAD_DEVICE_ID}
    got = {}
    for key in ("user", "device"):
        ch = enroll.challenge(t["graph"].url, t["profiles"][key], device)
        got[key] = enroll.scepclient(t["url"], ch, tmp_path / key).certificate
    user, dev = got["user"], got["device"]
    assert user.subject.rfc4514_string() == f"CN={UPN}"
    [upn] = user.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert upn.type_id.dotted_string == enroll.UPN_OID and upn.value[2:].decode() == UPN
    assert dev.subject.rfc4514_string() == f"CN={AAD_DEVICE_ID}"
    assert dev.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(
        x509.DNSName) == ["LAB-PC-01"]
    tmpl = {k: c.extensions.get_extension_for_class(x509.MSCertificateTemplate).value.template_id.dotted_string
            for k, c in got.items()}
    assert tmpl == {"user": t["oids"]["GeneralPurposeTemplate"], "device": t["oids"]["SignatureTemplate"]}
    ku = dev.extensions.get_extension_for_class(x509.KeyUsage).value
    assert ku.digital_signature and not ku.key_encipherment  # the signature template's key usage
    assert all(c.issuer == ca.issuing_ca()[0].subject for c in got.values())
