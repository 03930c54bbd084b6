"""`ndes verify`'s Validate-NDESConfiguration checks on the NDES host (HostDiagnostics.ps1's facts): each passes
on a healthy host and fails (or warns) with its fix on the fact that breaks it."""
from __future__ import annotations

import base64
import datetime as dt

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

from ndes.verify import host_checks as hc

from .test_verify_hosts import ctx_with, one
from .verify_fakes import CA_CERT, config


def _intermediate() -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.timezone.utc)
    c = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Issuing CA")]))
         .issuer_name(CA_CERT.subject).public_key(key.public_key()).serial_number(x509.random_serial_number())
         .not_valid_before(now).not_valid_after(now + dt.timedelta(days=30)).sign(key, hashes.SHA256()))
    return base64.b64encode(c.public_bytes(Encoding.DER)).decode()


def run(**patch):
    cfg = config()
    return hc.host_checks(cfg, ctx_with(cfg, HostDiagnostics=patch), cfg.ndes_hosts[0])


def test_a_healthy_host_passes_every_check():
    res = run()
    assert {r.status for r in res} == {"pass"}, [r for r in res if r.status != "pass"]
    assert len([r for r in res if r.check.startswith("outbound HTTPS")]) == len(hc.ENDPOINTS)


@pytest.mark.parametrize("patch,check,status,words", [
    ({"os": {"caption": "Windows Server 2012", "version": "6.2.9200", "lastBootUpTime": "2026-01-01T00:00:00Z"}},
     "OS version", "fail", "2012 R2"),
    ({"ieEscAdmin": 1}, "IE Enhanced Security Configuration", "warn", "sign-in"),
    ({"administrators": ["WinNT://CONTOSO/svc-ndes"]}, "service account not a local Administrator", "warn",
     "Administrators"),
    ({"rootStore": ["INTERMEDIATE"]}, "no intermediate CA in Root", "fail", "Issuing CA"),
    ({"features": [{"name": "Web-WMI", "installed": False}]}, "Windows features", "fail", "Web-WMI"),
    ({"bareMscep": 200}, "mscep.dll answers 403 on the host", "fail", "policy module is not loaded"),
    ({"bareMscep": 503}, "mscep.dll answers 403 on the host", "fail", "stopped"),
    ({"bareMscep": 0, "bareMscepError": "Unable to connect"}, "mscep.dll answers 403 on the host", "fail",
     "Unable to connect"),
])
def test_each_fact_fails_its_check(patch, check, status, words):
    if patch.get("rootStore") == ["INTERMEDIATE"]:
        patch = {"rootStore": [base64.b64encode(CA_CERT.public_bytes(Encoding.DER)).decode(), _intermediate()]}
    r = one(run(**patch), check)
    assert r.status == status and words in r.detail + r.fix, r


def test_outbound_behind_a_proxy_names_it_and_the_connector_error():
    res = run(outbound=[{"url": hc.ENDPOINTS[0], "reached": False, "error": "Unable to connect to the remote server"}],
              proxy="http://proxy.contoso.com:8080/")
    r = one(res, f"outbound HTTPS to {hc.ENDPOINTS[0]}")
    assert r.status == "fail" and "proxy.contoso.com" in r.detail and "0x80004003" in r.fix


def _connector_cert(ekus, self_signed=False) -> str:
    from cryptography.x509.oid import ExtendedKeyUsageOID
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.timezone.utc)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ndes01.contoso.com")])
    issuer = subject if self_signed else x509.Name([x509.NameAttribute(NameOID.COMMON_NAME,
                                                                       "Microsoft Intune ImportPFX Connector CA")])
    b = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(key.public_key())
         .serial_number(x509.random_serial_number()).not_valid_before(now).not_valid_after(now + dt.timedelta(days=9)))
    if ekus:
        b = b.add_extension(x509.ExtendedKeyUsage([getattr(ExtendedKeyUsageOID, e) for e in ekus]), critical=False)
    return base64.b64encode(b.sign(key, hashes.SHA256()).public_bytes(Encoding.DER)).decode()


def test_the_connector_certificate_needs_client_auth_and_a_real_issuer():
    assert one(run(connectorCertificate=_connector_cert(["CLIENT_AUTH"])), "Intune connector certificate EKU").status \
        == "pass"
    r = one(run(connectorCertificate=_connector_cert(["SERVER_AUTH"])), "Intune connector certificate EKU")
    assert r.status == "fail" and "Client Authentication" in r.detail
    r = one(run(connectorCertificate=_connector_cert(["CLIENT_AUTH"], self_signed=True)),
            "Intune connector certificate EKU")
    assert r.status == "fail" and "self-signed" in r.detail
    assert not [x for x in run() if x.check == "Intune connector certificate EKU"]  # not registered: its own check


def test_reboot_pending_warns_with_whose_restart_it_is():
    cfg = config()
    h = cfg.ndes_hosts[0]
    assert one(hc.reboot_pending(cfg, ctx_with(cfg), h)).status == "pass"
    boot = "2026-11-27T08:00:00.000000+00:00"
    r = one(hc.reboot_pending(cfg, ctx_with(cfg, HostBoot={"rebootMarkBoot": boot}), h))
    assert r.status == "warn" and "allowReboot" in r.fix
    r = one(hc.reboot_pending(cfg, ctx_with(cfg, HostBoot={"pendingFileRenameOperations": True}), h))
    assert r.status == "pass" and "pending file rename" in r.detail  # patching's: reported, not a problem


LINE = ("2027-06-01 10:00:0{i} 10.0.0.5 GET /certsrv/mscep/mscep.dll/pkiclient.exe operation=GetCACaps&message=x "
        "443 - 10.0.0.9 Dalvik/2.1.0 - {status} 0 0 15")


def test_event_log_errors_of_the_last_two_days_warn_with_the_newest():
    now = "2027-06-01T12:00:00Z"
    ev = [{"log": "Application", "provider": "Microsoft-Windows-NetworkDeviceEnrollmentService", "id": 29,
           "level": "Error", "timeCreated": "2027-06-01T11:00:00Z", "message": "cannot find its signing certificate"},
          {"log": "Application", "provider": "NDESConnector", "id": 1, "level": "Error",
           "timeCreated": "2027-05-20T11:00:00Z", "message": "old"}]
    r = one(run(now=now, events=ev), "NDES and connector errors (event logs)")
    assert r.status == "warn" and "1 error(s)" in r.detail and "signing certificate" in r.detail
    assert one(run(now=now, events=ev[1:]), "NDES and connector errors (event logs)").status == "pass"
    connector = {"log": "Microsoft-Intune-CertificateConnectors/Admin", "provider": "CertificateConnector",
                 "id": 1001, "level": "Error", "timeCreated": "2027-06-01T11:30:00Z", "message": "newest of all"}
    r = one(run(now=now, events=[*ev, connector]), "NDES and connector errors (event logs)")
    assert "newest of all" in r.detail and "2 error(s)" in r.detail  # the Application log comes first


def test_mscep_iis_log_lines_read_by_their_status_field():
    ok_lines = [LINE.format(i=i, status=s) for i, s in enumerate((200, 403))]
    r = one(run(mscepLog=ok_lines), "mscep.dll requests (IIS log)")
    assert r.status == "pass" and "[200, 403]" in r.detail  # the port (443) is not a status
    r = one(run(mscepLog=ok_lines + [LINE.format(i=3, status=503)]), "mscep.dll requests (IIS log)")
    assert r.status == "warn" and "503" in r.detail


def test_explicit_logon_rights_are_accepted_instead_of_iis_iusrs():
    from ndes.verify import hosts as w
    cfg = config()
    h = cfg.ndes_hosts[0]
    alone = {"memberSid": "", "members": []}
    r = one(w.iis_iusrs(cfg, ctx_with(cfg, LocalGroupMember=alone), h))
    assert r.status == "fail" and "group policy" in r.detail
    rights = {right: ["CONTOSO\\svc-ndes"] for right in w.LOGON_RIGHTS}
    r = one(w.iis_iusrs(cfg, ctx_with(cfg, LocalGroupMember=alone, HostDiagnostics={"userRights": rights}), h))
    assert r.status == "pass" and "SeBatchLogonRight" in r.detail
    from .verify_fakes import SIDS  # a GPO writes accounts as *SID (MS-GPSB 2.2.6)
    by_sid = {right: ["*" + SIDS["svc-ndes"]] for right in w.LOGON_RIGHTS}
    r = one(w.iis_iusrs(cfg, ctx_with(cfg, LocalGroupMember=alone, HostDiagnostics={"userRights": by_sid}), h))
    assert r.status == "pass" and "group policy" in r.detail
    partial = {"SeBatchLogonRight": ["CONTOSO\\svc-ndes"]}
    assert one(w.iis_iusrs(cfg, ctx_with(cfg, LocalGroupMember=alone, HostDiagnostics={"userRights": partial}),
                           h)).status == "fail"
