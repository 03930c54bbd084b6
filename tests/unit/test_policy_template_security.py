"""The template-security policies: extra grants found by read, and a logon EKU on the SSL template (ESC1/ESC4)."""
from policies.ndes_policies import template_security as ts

from .test_policies import client_template_props, rargs, res, run, sargs


def test_extra_grants_warn_naming_them_and_the_switch():
    clean = res("CertificateTemplate", "client", client_template_props(extraGrants=[]))
    assert run(ts.validate_extra_grants, sargs(clean)) == []
    bad = res("CertificateTemplate", "client", client_template_props(
        extraGrants=["Authenticated Users (S-1-5-11): Enroll"]))
    [(msg, urn)] = run(ts.validate_extra_grants, sargs(clean, bad))
    assert "Authenticated Users (S-1-5-11): Enroll" in msg and "ndes:templates.client.removeExtraGrants" in msg
    assert urn == bad.urn


def test_ssl_template_with_client_auth_warns():
    ssl = client_template_props(kind="ssl", name="NDES-SSL", configKey="ndes:templates.ssl",
                                extendedKeyUsage=["serverAuth"])
    assert run(ts.validate_ssl_eku, rargs("CertificateTemplate", ssl)) == []
    [(msg, _)] = run(ts.validate_ssl_eku, rargs("CertificateTemplate", {**ssl, "extendedKeyUsage":
                                                                          ["serverAuth", "clientAuth"]}))
    assert "ndes:templates.ssl.extendedKeyUsage" in msg and "[serverAuth]" in msg and "ESC1" in msg
    # the client template needs clientAuth: no warning there
    assert run(ts.validate_ssl_eku, rargs("CertificateTemplate", client_template_props())) == []
