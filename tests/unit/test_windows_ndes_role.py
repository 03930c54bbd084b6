"""NdesRole reads the installed configuration as Windows holds it and compares it as Windows does: the app pool
identity in another case, an RA subject whose values hold commas (quoted in Windows' subject text), or a CSP
name in another case are the same settings, so a spelling difference never plans a replace of NDES."""
from __future__ import annotations

import base64

from cryptography.hazmat.primitives.serialization import Encoding

from lab.winrm_sim import ca
from ndes.providers import ndes_role as mod
from ndes.providers.ndes_role import NdesRoleProvider

RA = {"name": "NDES1-MSCEP-RA", "company": "Contoso, Inc.", "department": "PKI \"Ops\"", "city": "Zürich",
      "country": "CH"}


def ra_facts(provider: str = "microsoft strong cryptographic provider", bits: int = 2048) -> list[dict]:
    out = []
    for template in ca.RA_TEMPLATES:
        cert, _ = ca.issue_ra(template, RA, bits)
        out.append({"thumbprint": ca.thumbprint(cert), "derBase64": base64.b64encode(
            cert.public_bytes(Encoding.DER)).decode(), "subject": ca.windows_subject(cert.subject),
            "issuer": ca.windows_subject(cert.issuer), "friendlyName": "", "hasPrivateKey": True,
            "provider": provider})
    return out


class FakeHost:
    def __init__(self, state: dict) -> None:
        self.state = state
        self.calls: list[dict] = []

    def run_script(self, name, params, *, timeout=None):
        assert name == "NdesRole"
        self.calls.append(params)
        return {"changed": False, "state": dict(self.state), "rebootRequired": False, "warnings": []}


def inputs(**over) -> dict:
    res = NdesRoleProvider().check({}, {
        "endpoint": {"host": "ndes1", "url": "https://ndes1:5986/wsman", "username": "u", "password": "p"},
        "serviceAccount": "CONTOSO\\svc-ndes", "serviceAccountPassword": "pw",
        "caConfig": "ca1.contoso.com\\Contoso Issuing CA", "raName": RA["name"], "raCompany": RA["company"],
        "raDepartment": RA["department"], "raCity": RA["city"], "raCountry": RA["country"], **over})
    assert not res.failures, res.failures
    return res.inputs


def read_from(monkeypatch, live: dict) -> tuple[NdesRoleProvider, dict, object]:
    """The provider over an installed NDES (`live` over the configured one), the checked default inputs, and
    what read reports."""
    host = FakeHost({"mscepKey": True, "appPool": True, "application": True, "serviceAccount": "CONTOSO\\svc-ndes",
                     "caConfig": None, "raCertificates": ra_facts(), "owner": "", **live})
    monkeypatch.setattr(mod, "host_of", lambda _inp: host)
    p = NdesRoleProvider()
    news = inputs()
    return p, news, p.read("ndes1/NDES", news)


def test_windows_spellings_read_back_as_the_configuration(monkeypatch):
    p, news, read = read_from(monkeypatch, {"serviceAccount": "contoso\\SVC-NDES",
                                            "caConfig": "CA1.contoso.com\\contoso issuing ca"})
    for key in ("serviceAccount", "caConfig", "raName", "raCompany", "raDepartment", "raCity", "raCountry",
                "signingProvider", "encryptionProvider", "signingKeyLength"):
        assert read.inputs[key] == news[key], key
    diff = p.diff("ndes1/NDES", read.outs, news)
    assert not diff.changes and not diff.replaces


def test_a_case_only_change_of_the_configuration_is_no_replace():
    p = NdesRoleProvider()
    olds = inputs()
    news = inputs(serviceAccount="contoso\\SVC-NDES", signingProvider="MICROSOFT STRONG CRYPTOGRAPHIC PROVIDER")
    assert not p.diff("ndes1/NDES", olds, news).replaces
    assert mod.replace_warning("NdesRole", olds, news) is None
    assert p.diff("ndes1/NDES", olds, inputs(serviceAccount="CONTOSO\\other")).replaces == ["serviceAccount"]


def test_another_account_or_ra_detail_is_still_a_replace(monkeypatch):
    host = FakeHost({"mscepKey": True, "appPool": True, "application": True, "serviceAccount": "CONTOSO\\other", "caConfig": None,
                     "raCertificates": ra_facts(), "owner": ""})
    monkeypatch.setattr(mod, "host_of", lambda _inp: host)
    p = NdesRoleProvider()
    news = inputs(raCompany="Contoso Ltd")
    read = p.read("ndes1/NDES", news)
    assert read.inputs["serviceAccount"] == "CONTOSO\\other" and read.inputs["raCompany"] == "Contoso, Inc."
    assert set(p.diff("ndes1/NDES", read.outs, news).replaces) == {"serviceAccount", "raCompany"}


def test_a_short_ra_key_read_from_the_host_is_drift_and_its_state_still_loads(monkeypatch):
    """The key lengths are the config's RsaKeySize (one declaration, host_fields.RaSettings): a declared 1024
    is refused as ndes:ndesRole refuses it, while the 1024-bit keys read from an adopted NDES load from state for
    the replace (and its delete) that fixes them."""
    p, news, read = read_from(monkeypatch, {"raCertificates": ra_facts(bits=1024)})
    assert read.outs["signingKeyLength"] == 1024 and read.outs["encryptionKeyLength"] == 1024
    assert {"signingKeyLength", "encryptionKeyLength"} <= set(p.diff("ndes1/NDES", read.outs, news).replaces)
    assert p.parse(read.outs).signing_key_length == 1024 and p.read("ndes1/NDES", read.outs).id == "ndes1/NDES"
    refused = p.check({}, {**news, "signingKeyLength": 1024}).failures
    assert [f.property for f in refused] == ["signingKeyLength"] and "not an RSA key size" in refused[0].reason


def test_delete_names_the_ra_certificates_it_read(monkeypatch):
    facts = ra_facts()
    host = FakeHost({"mscepKey": True, "appPool": True, "application": True, "serviceAccount": "CONTOSO\\svc-ndes", "caConfig": None,
                     "raCertificates": facts, "owner": ""})
    monkeypatch.setattr(mod, "host_of", lambda _inp: host)
    NdesRoleProvider().delete("ndes1/NDES", inputs())
    last = host.calls[-1]
    assert last["mode"] == "set" and last["ensure"] == "absent"
    assert sorted(last["removeThumbprints"]) == sorted(f["thumbprint"] for f in facts)


def test_a_half_finished_install_is_repaired_not_taken_for_ndes(monkeypatch):
    """The MSCEP key alone (also written by other tools, and left by a failed install) is not NDES: read reports
    it gone, and the next up uninstalls and installs again, saying why."""
    host = FakeHost({"mscepKey": True, "appPool": False, "application": False, "serviceAccount": "",
                     "caConfig": None, "raCertificates": [], "owner": "p/s/role"})
    monkeypatch.setattr(mod, "host_of", lambda _inp: host)
    p = NdesRoleProvider()
    news = inputs(owner="p/s/role")
    assert p.read("ndes1/NDES", news).id is None
    created = p.create(news)  # our own half-finished install (owner mark): taken back and repaired
    sets = [c for c in host.calls if c["mode"] == "set"]
    assert sets and sets[0]["repair"] is True and sets[0]["install"] is True
    assert any("half-configured" in n and "the SCEP application pool" in n for n in created.outs["notes"])
