"""Windows-host checks (the scripts' get mode through a fake host): CA right, IIS_IUSRS, IIS limits, HTTP.sys,
MSCEP against the template purpose, SSL certificate and binding, RA certificates, Intune connector."""
from __future__ import annotations

from ndes.verify import Context
from ndes.verify import hosts as w
from ndes.windows import ScriptFailed

from .verify_fakes import EXT, HOST, HTTP_SYS, FakeHost, by_check, config, healthy_states, when


def ctx_with(cfg, **changes):
    states = healthy_states(cfg)
    for script, patch in changes.items():
        if isinstance(patch, Exception):
            states[script] = patch
        else:
            states[script].update(patch)
    host = FakeHost(states)
    return Context(cfg, windows_factory=lambda name, own: host)


def one(results, check=None):
    found = by_check(results, check) if check else results
    assert len(found) == 1, found
    return found[0]


def test_ca_access():
    cfg = config()
    assert one(w.ca_access(cfg, ctx_with(cfg))).status == "pass"
    r = one(w.ca_access(cfg, ctx_with(cfg, CaAccess={"present": False})))
    assert r.status == "fail" and "Request Certificates" in r.fix
    r = one(w.ca_access(cfg, ctx_with(cfg, CaAccess={"denied": True})))
    assert r.status == "fail" and "DENIED" in r.detail
    r = one(w.ca_access(cfg, ctx_with(cfg, CaAccess={"exists": False})))
    assert r.status == "fail" and "ndes:ca.commonName" in r.fix


def test_iis_iusrs():
    cfg = config()
    h = cfg.ndes_hosts[0]
    orphan_only = {"members": [{"sid": "S-1-5-21-1-2-3-1108", "path": "WinNT://S-1-5-21-1-2-3-1108"}]}
    r = one(w.iis_iusrs(cfg, ctx_with(cfg, LocalGroupMember=orphan_only), h))
    assert r.status == "fail" and "Add-LocalGroupMember -Group IIS_IUSRS -Member CONTOSO\\svc-ndes" in r.fix


def test_request_limits_and_http_sys():
    cfg = config()
    h = cfg.ndes_hosts[0]
    r = one(w.request_limits(cfg, ctx_with(cfg, IisRequestLimits={"maxQueryString": 2048}), h))
    assert r.status == "fail" and "maxQueryString is 2048, declared 65534" in r.detail
    r = one(w.request_limits(cfg, ctx_with(cfg, IisRequestLimits={"siteExists": False}), h))
    assert r.status == "fail"
    vals = {"values": [{"path": HTTP_SYS, "name": "MaxFieldLength", "exists": False},
                       {"path": HTTP_SYS, "name": "MaxRequestBytes", "exists": True, "type": "DWord", "value": 16384}]}
    r = one(w.http_sys(cfg, ctx_with(cfg, RegistryValues=vals), h))
    assert r.status == "fail"
    assert "MaxFieldLength is not set" in r.detail and "MaxRequestBytes is 16384, declared 65534" in r.detail
    assert "restart" in r.fix


def test_mscep_wrong_value_names_the_derived_value_and_the_fix():
    cfg = config()
    h = cfg.ndes_hosts[0]
    values = {"SignatureTemplate": "IPSECIntermediateOffline", "EncryptionTemplate": "IPSECIntermediateOffline",
              "GeneralPurposeTemplate": cfg.templates.ssl.name}
    r = one(w.mscep(cfg, ctx_with(cfg, MscepTemplateMapping={"values": values}), h, ["digitalSignature",
                                                                                       "keyEncipherment"]))
    assert r.status == "fail"
    assert "GeneralPurposeTemplate is 'NDES-SSL'" in r.detail
    assert r.fix.startswith("set HKLM\\SOFTWARE\\Microsoft\\Cryptography\\MSCEP\\GeneralPurposeTemplate = NDES-Intune")


def test_mscep_ssl_template_in_another_value_fails():
    cfg = config(**{"intune.scep.keyUsage": ["digitalSignature"], "templates.client.keyUsage": ["digitalSignature"]})
    h = cfg.ndes_hosts[0]
    values = {"SignatureTemplate": cfg.templates.client.name, "EncryptionTemplate": cfg.templates.ssl.name,
              "GeneralPurposeTemplate": "IPSECIntermediateOffline"}
    r = one(w.mscep(cfg, ctx_with(cfg, MscepTemplateMapping={"values": values}), h, ["digitalSignature"]))
    assert r.status == "fail" and "EncryptionTemplate names the SSL template" in r.detail


def test_mscep_against_the_template_purpose():
    cfg = config()
    h = cfg.ndes_hosts[0]
    r = one(w.mscep(cfg, ctx_with(cfg), h, ["digitalSignature"]))
    assert r.status == "fail" and r.check == "client template purpose matches MSCEP"
    assert one(w.mscep(cfg, ctx_with(cfg), h, ["digitalSignature", "keyEncipherment"])).status == "pass"


def test_binding_host_name_and_certificate_names():
    cfg = config()
    h = cfg.ndes_hosts[0]
    ctx = ctx_with(cfg, IisHttpsBinding={"bindings": [{"bindingInformation": f"*:443:{HOST}", "thumbprint": "C" * 40}]},
                   MachineCertificate={"commonName": HOST})
    res = w.ssl_and_binding(cfg, ctx, h, {"cn=contoso issuing ca"})
    r = one(res, "https binding host name")
    assert r.status == "fail" and f"'{HOST}'" in r.detail and "clear the Host name" in r.fix
    r = one(res, "SSL certificate names")
    assert r.status == "fail" and f"CN is {HOST}, expected {EXT}" in r.detail and f"CN={EXT}" in r.fix
    assert one(res, "SSL certificate chain").status == "pass"


def test_certificate_with_internal_cn_passes_when_configured_so():
    cfg = config(**{"sslCertificate.commonName": "internal"})
    ctx = ctx_with(cfg, MachineCertificate={"commonName": HOST})
    assert one(w.ssl_and_binding(cfg, ctx, cfg.ndes_hosts[0], set()), "SSL certificate names").status == "pass"


def test_certificate_sans_chain_and_expiry():
    cfg = config()
    h = cfg.ndes_hosts[0]
    ctx = ctx_with(cfg, MachineCertificate={"dnsNames": [EXT], "issuer": "Someone Else", "daysLeft": 10})
    res = w.ssl_and_binding(cfg, ctx, h, {"cn=contoso issuing ca"})
    assert f"lack {HOST}" in one(res, "SSL certificate names").detail
    assert one(res, "SSL certificate chain").status == "fail"
    assert one(res, "SSL certificate expiry").status == "warn"
    ctx = ctx_with(cfg, MachineCertificate={"daysLeft": -2})
    assert one(w.ssl_and_binding(cfg, ctx, h, set()), "SSL certificate expiry").status == "fail"
    ctx = ctx_with(cfg, IisHttpsBinding={"bindings": []})
    assert one(w.ssl_and_binding(cfg, ctx, h, set())).status == "fail"


def test_ra_certificates_expiry():
    cfg = config()
    h = cfg.ndes_hosts[0]
    st = healthy_states(cfg)["NdesRole"]
    st["raCertificates"][0].update(daysLeft=20, notAfter=when(20))
    st["raCertificates"][1].update(daysLeft=-3, notAfter=when(-3))
    res = w.ra_certificates(cfg, ctx_with(cfg, NdesRole=st), h)
    assert one(res, "RA certificate signing (EnrollmentAgentOffline)").status == "warn"
    r = one(res, "RA certificate encryption (CEPEncryption)")
    assert r.status == "fail" and "NDES has stopped" in r.detail and "CEPEncryption" in r.fix
    gone = {"mscepKey": False, "appPool": False, "application": False, "raCertificates": []}
    r = one(w.ra_certificates(cfg, ctx_with(cfg, NdesRole=gone), h))
    assert r.status == "fail" and "not installed" in r.detail
    r = one(w.ra_certificates(cfg, ctx_with(cfg, NdesRole={"appPool": False}), h))  # the key alone is no NDES
    assert r.status == "fail" and "half-configured" in r.detail and "the SCEP application pool" in r.detail


def test_the_service_account_spelled_the_windows_way_is_the_same_account():
    cfg = config()
    res = w.ra_certificates(cfg, ctx_with(cfg, NdesRole={"serviceAccount": "contoso\\SVC-NDES"}), cfg.ndes_hosts[0])
    assert not [r for r in res if r.check == "NDES service account"]


def test_ra_certificates_run_as_another_account():
    cfg = config()
    res = w.ra_certificates(cfg, ctx_with(cfg, NdesRole={"serviceAccount": "CONTOSO\\other"}), cfg.ndes_hosts[0])
    assert one(res, "NDES service account").status == "fail"


def test_connector_states():
    cfg = config()
    h = cfg.ndes_hosts[0]
    assert one(w.connector(cfg, ctx_with(cfg, IntuneConnector={"installed": False}), h)).status == "warn"
    req = config(**{"connector.requireRegistered": True})
    assert one(w.connector(req, ctx_with(req, IntuneConnector={"installed": False}), h)).status == "fail"
    res = w.connector(cfg, ctx_with(cfg, IntuneConnector={
        "services": {"PFXCertificateConnectorSvc": "Stopped", "PkiRevokeConnectorSvc": "Stopped"}}), h)
    r = one(res, "Intune connector services")
    assert r.status == "fail" and "PFXCertificateConnectorSvc" in r.fix and "PkiRevokeConnectorSvc" not in r.fix
    both = w.connector(cfg, ctx_with(cfg, IntuneConnector={
        "services": {"PFXCertificateConnectorSvc": "Stopped", "PkiRevokeConnectorSvc": "Stopped"},
        "startTypes": {"PFXCertificateConnectorSvc": "Automatic", "PkiRevokeConnectorSvc": "Automatic"}}), h)
    assert one(both, "Intune connector services").fix == \
        "Start-Service PFXCertificateConnectorSvc, PkiRevokeConnectorSvc"  # a list PowerShell reads as written
    # a service of a feature not configured (start type Manual) is not meant to run: healthy
    assert one(w.connector(cfg, ctx_with(cfg), h), "Intune connector services").status == "pass"
    r = one(w.connector(cfg, ctx_with(cfg, IntuneConnector={"certificateDaysLeft": -1}), h),
            "Intune connector certificate")
    assert r.status == "fail" and "403.17" in r.detail
    r = one(w.connector(cfg, ctx_with(cfg, IntuneConnector={"registered": False}), h), "Intune connector registered")
    assert r.status == "warn" and "sign in" in r.fix


def test_a_script_failure_is_one_failed_step_and_the_run_goes_on():
    from ndes.verify import run
    from .verify_fakes import context
    cfg = config()
    states = healthy_states(cfg)
    states["IisRequestLimits"] = ScriptFailed("IisRequestLimits", HOST, "The specified module 'WebAdministration' "
                                              "was not loaded", "ResourceUnavailable")
    ctx, _ = context(cfg, states=states)
    results = run(ctx)
    [r] = [r for r in results if r.check == "IIS request limits"]
    assert r.status == "fail" and "WebAdministration" in r.detail and "IIS" in r.fix
    assert any(r.check == "GetCACert" and r.status == "pass" for r in results)


def test_certificate_without_private_key_or_from_another_template():
    cfg = config()
    ctx = ctx_with(cfg, MachineCertificate={"hasPrivateKey": False, "templateOid": "",
                                                     "templateName": "WebServer"})
    res = w.ssl_and_binding(cfg, ctx, cfg.ndes_hosts[0], set())
    assert one(res, "SSL certificate private key").status == "fail"
    r = one(res, "SSL certificate template")
    assert r.status == "warn" and "'WebServer'" in r.detail
    healthy = w.ssl_and_binding(cfg, ctx_with(cfg, MachineCertificate={"hasPrivateKey": True}), cfg.ndes_hosts[0],
                                set())
    assert not [r for r in healthy if r.check in ("SSL certificate private key", "SSL certificate template")]
