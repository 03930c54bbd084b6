"""lab.samba_dc without a running DC: smb.conf editing, the password, the env exports (fast)."""

from __future__ import annotations

import os
import shlex
import stat

import pytest

from lab import pki, samba_dc


@pytest.fixture
def lab(tmp_path, monkeypatch):
    monkeypatch.setenv("NDES_LAB_DIR", str(tmp_path / "lab"))
    conf = samba_dc.smb_conf_path()
    conf.parent.mkdir(parents=True)
    conf.write_text(
        "# Global parameters\n[global]\n\tnetbios name = DC1\n\ttls certfile = tls/cert.pem\n"
        "\tTLS  KeyFile = tls/key.pem\n\trealm = LAB.CONTOSO.TEST\n\n[sysvol]\n\tpath = /x\n\tread only = No\n"
    )
    return conf


def test_smb_conf_points_tls_at_the_lab_ca_and_is_idempotent(lab):
    cert, key, ca = samba_dc._configure_conf()
    text = lab.read_text()
    glob, rest = text.split("[sysvol]")
    assert f"\ttls certfile = {cert}" in glob
    assert f"\ttls keyfile = {key}" in glob
    assert f"\ttls cafile = {ca}" in glob
    assert "tls/cert.pem" not in text and "tls/key.pem" not in text  # the old values are replaced
    assert "tls enabled = yes" in glob
    assert "realm = LAB.CONTOSO.TEST" in glob and "path = /x" in rest
    assert ca == pki.ca_bundle_path()
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o600  # Samba refuses anything else
    samba_dc._configure_conf()
    assert lab.read_text() == text


def test_the_dc_certificate_names_the_dc_localhost_and_loopback(lab):
    from cryptography import x509

    cert_path, _, _ = samba_dc._configure_conf()
    san = x509.load_pem_x509_certificate(cert_path.read_bytes()).extensions.get_extension_for_class(
        x509.SubjectAlternativeName
    ).value
    assert set(san.get_values_for_type(x509.DNSName)) == {"dc1.lab.contoso.test", "localhost"}
    assert "127.0.0.1" in {str(ip) for ip in san.get_values_for_type(x509.IPAddress)}


def test_password_is_generated_once_private_and_complex(lab):
    with pytest.raises(samba_dc.DcError, match="samba_dc up"):
        samba_dc.admin_password()
    pw = samba_dc.admin_password(create=True)
    assert samba_dc.admin_password() == pw == samba_dc.admin_password(create=True)
    assert stat.S_IMODE(os.stat(samba_dc.password_path()).st_mode) == 0o600
    assert len(pw) >= 16
    assert any(c.islower() for c in pw) and any(c.isupper() for c in pw) and any(c.isdigit() for c in pw)
    assert any(not c.isalnum() for c in pw)
    assert pw not in repr(samba_dc.info())  # never in a repr


def test_env_exports_round_trip_through_a_shell(lab):
    samba_dc.admin_password(create=True)
    dc = samba_dc.info()
    values = {}
    for line in samba_dc.env_exports(dc).splitlines():
        assert line.startswith("export ")
        [assignment] = shlex.split(line[len("export "):])
        key, _, value = assignment.partition("=")
        values[key] = value
    assert values["NDES_LAB_LDAP_URL"] == "ldaps://127.0.0.1:636"
    assert values["NDES_LAB_CA_BUNDLE"] == str(pki.ca_bundle_path())
    assert values["NDES_LAB_BIND_USER"] == "Administrator@lab.contoso.test"
    assert values["NDES_LAB_BIND_PASSWORD"] == dc.bind_password
    assert values["NDES_LAB_DOMAIN_DN"] == "DC=lab,DC=contoso,DC=test"
    assert values["NDES_LAB_CONFIG_DN"] == "CN=Configuration,DC=lab,DC=contoso,DC=test"
    assert values["NDES_LAB_CA_NAME"] == "Lab Issuing CA"


def test_a_foreign_pid_is_not_taken_for_the_dc(lab):
    samba_dc.pid_path().write_text(f"{os.getpid()}\n")
    assert not samba_dc._is_our_samba(os.getpid())
    assert samba_dc.status()["running"] is False
