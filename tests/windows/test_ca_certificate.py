"""CaCertificate against the simulator's CA host: exports the lab's issuing CA and its root."""
from __future__ import annotations

import base64
import hashlib

import pytest
from cryptography import x509

from lab import pki
from ndes.providers.ca_certificate import CaCertificateProvider

from .conftest import CA1
from .part2_lab import endpoint_props
from .provider_helpers import three_pass

pytestmark = pytest.mark.slow
P = CaCertificateProvider()


def test_exports_issuing_and_root_and_changes_nothing(sim, samba_dc):
    inp = P.check({}, {"endpoint": endpoint_props(sim, CA1), "caName": samba_dc.enterprise_ca_name})
    before = sim.read_state(CA1)
    created = three_pass(P, inp.inputs, sim, CA1)
    out = created.outs
    issuing = x509.load_pem_x509_certificate(pki.ensure_enterprise_ca()[0].read_bytes())
    root = x509.load_pem_x509_certificate(pki.ensure_ca()[0].read_bytes())
    der = base64.b64decode(out["issuingDerBase64"])
    assert x509.load_der_x509_certificate(der) == issuing
    assert x509.load_pem_x509_certificate(out["rootPem"].encode()) == root
    assert out["issuingThumbprint"] == hashlib.sha1(der).hexdigest().upper()
    assert out["issuingSubject"].startswith("CN=Lab Issuing CA") and out["rootSubject"].startswith("CN=Lab Root CA")
    assert out["rootIsIssuing"] is False and out["issuingNotAfter"].endswith("Z")
    assert created.id == f"{samba_dc.enterprise_ca_name}/{out['issuingThumbprint']}"
    read = P.read(created.id, out)
    assert read.outs["rootThumbprint"] == out["rootThumbprint"]
    P.delete(created.id, out)
    after = sim.read_state(CA1)
    assert after.get("certStores") == before.get("certStores") or before.get("certsvc") is None


def test_a_wrong_ca_name_is_a_clear_error(sim):
    from ndes.windows import ScriptFailed

    inp = P.check({}, {"endpoint": endpoint_props(sim, CA1), "caName": "Not This CA", "configKey": "ndes:ca"})
    with pytest.raises(ScriptFailed, match="no certification authority named 'Not This CA'.*ndes:ca.commonName"):
        P.create(inp.inputs)


def test_a_renewed_ca_certificate_shows_on_read(sim, samba_dc):
    """The CA renewed behind Pulumi's back (a new CACertHash entry): read reports the new certificate."""
    import datetime as dt

    from cryptography.hazmat.primitives import hashes, serialization

    from lab.winrm_sim import ca, certstore

    inp = P.check({}, {"endpoint": endpoint_props(sim, CA1), "caName": samba_dc.enterprise_ca_name}).inputs
    created = P.create(inp)
    root_cert = x509.load_pem_x509_certificate(pki.ensure_ca()[0].read_bytes())
    root_key = serialization.load_pem_private_key(pki.ensure_ca()[1].read_bytes(), password=None)
    key = ca.new_key(2048)
    now = dt.datetime.now(dt.timezone.utc)
    renewed = (x509.CertificateBuilder().subject_name(issuing_name()).issuer_name(root_cert.subject)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now).not_valid_after(now + dt.timedelta(days=400))
               .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
               .sign(root_key, hashes.SHA256()))
    with sim.edit_state(CA1) as st:
        tp = certstore.add(st, renewed, None)
        st["certsvc"]["caCertHash"].append(tp)
    read = P.read(created.id, created.outs)
    assert read.outs["issuingThumbprint"] == tp != created.outs["issuingThumbprint"]
    assert read.outs["rootThumbprint"] == created.outs["rootThumbprint"]


def issuing_name():
    return x509.load_pem_x509_certificate(pki.ensure_enterprise_ca()[0].read_bytes()).subject
