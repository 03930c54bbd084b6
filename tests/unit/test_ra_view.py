"""The RA renewal's decisions (ndes/windows/ra_view.py) on real certificates: days left by the HOST's clock, the
newest certificate per template is the current one, what is due, a CA-capped certificate is not renewed again
(it would end on the same day: a renewal on every run), the requests keep subject, CSP and key length."""
from __future__ import annotations

import base64
import datetime as dt

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID, ObjectIdentifier

from ndes.windows.contracts import ndes_ra_renewal as C
from ndes.windows.ra_view import plan_words, requests_for, view_of

NOW = dt.datetime(2027, 6, 1, tzinfo=dt.timezone.utc)
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
SUBJECT = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "US"),
                     x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Contoso, Ltd"),
                     x509.NameAttribute(NameOID.COMMON_NAME, "NDES1-MSCEP-RA")])


def ra(template: str, issued_days_ago: int, valid_days: int) -> dict:
    raw = template.encode("utf-16-be")
    start = NOW - dt.timedelta(days=issued_days_ago)
    cert = (x509.CertificateBuilder().subject_name(SUBJECT).issuer_name(SUBJECT).public_key(KEY.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(start)
            .not_valid_after(start + dt.timedelta(days=valid_days))
            .add_extension(x509.UnrecognizedExtension(ObjectIdentifier("1.3.6.1.4.1.311.20.2"),
                                                      b"\x1e" + bytes([len(raw)]) + raw), critical=False)
            .sign(KEY, hashes.SHA256()))
    der = cert.public_bytes(Encoding.DER)
    return {"thumbprint": cert.fingerprint(hashes.SHA1()).hex().upper(), "derBase64": base64.b64encode(der).decode(),
            "subject": "CN=NDES1-MSCEP-RA", "issuer": "CN=NDES1-MSCEP-RA", "hasPrivateKey": True,
            "provider": "Microsoft Enhanced Cryptographic Provider v1.0"}


def state(*certs: dict, served: tuple[dict, ...] = ()) -> C.NdesRaRenewalState:
    return C.NdesRaRenewalState.model_validate({"now": NOW.strftime("%Y-%m-%dT%H:%M:%SZ"), "raCertificates": certs,
                                                "served": [c["derBase64"] for c in served]})


def test_days_left_by_the_hosts_clock_and_what_is_due():
    sign, enc = ra("EnrollmentAgentOffline", 700, 730), ra("CEPEncryption", 100, 730)
    v = view_of(state(sign, enc, served=(sign, enc)))
    assert v.days_left("EnrollmentAgentOffline") == 30 and v.days_left("CEPEncryption") == 630
    assert v.due(60) == ["EnrollmentAgentOffline"] and v.due(29) == []
    assert v.in_use() and not v.older
    words = " ".join(plan_words("ndes1", v, 60))
    assert "30 days left" in words and "NDES is not reinstalled" in words


def test_the_newest_per_template_is_current_and_the_rest_are_leftovers():
    old, new = ra("CEPEncryption", 700, 730), ra("CEPEncryption", 1, 730)
    sign = ra("EnrollmentAgentOffline", 1, 730)
    v = view_of(state(old, new, sign, served=(old, sign)))
    assert v.current["CEPEncryption"][0].thumbprint == new["thumbprint"]
    assert [c.thumbprint for c in v.older] == [old["thumbprint"]]
    assert not v.in_use()  # NDES still serves the old one: the pool must restart before it is deleted
    assert v.due(60) == [] and "remain after a renewal" in " ".join(plan_words("ndes1", v, 60))


def test_a_certificate_the_ca_capped_is_not_renewed_again():
    capped = ra("EnrollmentAgentOffline", 5, 40)  # issued 5 days ago, ends with the CA in 35 days
    v = view_of(state(capped, ra("CEPEncryption", 5, 40)))
    assert v.due(60) == []
    assert "cannot outlive" in " ".join(plan_words("ndes1", v, 60))


def test_requests_keep_subject_csp_key_length_and_key_spec():
    v = view_of(state(ra("EnrollmentAgentOffline", 700, 730), ra("CEPEncryption", 700, 730)))
    reqs = {r.template: r for r in requests_for(v)}
    assert base64.b64decode(reqs["CEPEncryption"].subject_der_base64) == SUBJECT.public_bytes()
    assert reqs["CEPEncryption"].provider == "Microsoft Enhanced Cryptographic Provider v1.0"
    assert reqs["CEPEncryption"].key_length == 2048
    assert reqs["EnrollmentAgentOffline"].key_spec == 2 and reqs["CEPEncryption"].key_spec == 1


def test_the_connector_certificate_warning_gives_the_renewal_step():
    from ndes.providers.connector_watch import certificate_warning
    assert certificate_warning("ndes1", 200, "2028-01-01T00:00:00Z") is None
    soon = certificate_warning("ndes1", 12, "2027-06-13T00:00:00Z")
    assert "12 days left" in soon and "PFXCertificateConnectorUI.exe" in soon and "sign in" in soon
    gone = certificate_warning("ndes1", -1, "2027-05-31T00:00:00Z")
    assert "403.17" in gone and "expired" in gone
