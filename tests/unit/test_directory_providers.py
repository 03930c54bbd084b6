"""Directory-plane providers without a DC: check (validation, normalisation, error keys), diff (what replaces),
secrets kept out of messages; the DirectoryPlane component under Pulumi mocks."""
from __future__ import annotations

import pulumi
import pytest

from ndes.directory import DirectoryClient
from ndes.model import load_config
from ndes.providers.base import UNKNOWN
from ndes.providers.certificate_template import CertificateTemplateProvider
from ndes.providers.service_account import ServiceAccountProvider
from ndes.providers.template_issuance import TemplateIssuanceProvider

from .sample_config import sample

CONN = {"ldapUrl": "ldaps://dc01.contoso.com", "bindUser": "pulumi@contoso.com", "bindPassword": "Bind-Pa55!"}
SA = {**CONN, "name": "svc-ndes", "upn": "svc-ndes@contoso.com", "password": "Svc-Pa55!word",
      "spnHosts": ["NDES01.contoso.com."], "configKey": "ndes:serviceAccount"}
TPL = {**CONN, "kind": "client", "name": "NDES-Intune", "displayName": "NDES Intune", "validity": "1 year",
       "renewalPeriod": "14 days", "keyUsage": ["keyEncipherment", "digitalSignature"],
       "extendedKeyUsage": ["1.3.6.1.5.5.7.3.2"], "enrollPrincipals": ["svc-ndes", "svc-ndes"],
       "configKey": "ndes:templates.client"}


def test_service_account_check_normalises():
    res = ServiceAccountProvider().check({}, SA)
    assert res.failures == []
    assert res.inputs["spnHosts"] == ["ndes01.contoso.com"]
    assert res.inputs["enabled"] is True and res.inputs["passwordNeverExpires"] is True  # a service account: NDES stops when it expires


@pytest.mark.parametrize("name", ["x*)(cn=*", "a,b", "a\x00b", " svc", "svc ", "a" * 21, "svc.",
                                  "svc-nd\u0435s", "svc\u200bndes"])  # the config's rule: look-alikes too
def test_service_account_check_refuses_hostile_names_naming_the_input(name):
    res = ServiceAccountProvider().check({}, {**SA, "name": name})
    assert [f.property for f in res.failures] == ["name"]
    assert res.failures[0].reason.startswith("ndes:serviceAccount: ")
    assert "Svc-Pa55!word" not in res.failures[0].reason and "Bind-Pa55!" not in res.failures[0].reason


def test_service_account_diff_replaces_on_name_only_and_deletes_first():
    p = ServiceAccountProvider()
    olds = p.check({}, SA).inputs
    d = p.diff("id", olds, {**olds, "name": "svc-ndes2"})
    assert d.changes and d.replaces == ["name"] and d.delete_before_replace
    d = p.diff("id", olds, {**olds, "password": "Another-Pa55!", "description": "x"})
    assert d.changes and d.replaces == []
    assert not p.diff("id", {**olds, "dn": "CN=svc-ndes,..."}, olds).changes  # outputs are not inputs


def test_unknown_inputs_are_not_validated_at_preview():
    res = CertificateTemplateProvider().check({}, {**TPL, "enrollPrincipals": [UNKNOWN]})
    assert res.failures == []
    d = CertificateTemplateProvider().diff("id", CertificateTemplateProvider().check({}, TPL).inputs,
                                           {**TPL, "name": UNKNOWN})
    assert "name" in d.replaces


def test_template_check_words_are_normalised_as_read_reports_them():
    res = CertificateTemplateProvider().check({}, TPL)
    assert res.failures == []
    i = res.inputs
    assert i["renewalPeriod"] == "2 weeks" and i["validity"] == "1 year"
    assert i["keyUsage"] == ["digitalSignature", "keyEncipherment"]
    assert i["extendedKeyUsage"] == ["clientAuth"]
    assert i["enrollPrincipals"] == ["svc-ndes"]


@pytest.mark.parametrize("field,value,msg", [
    ("name", "a\x00b", "control characters"), ("name", " lead", "spaces"), ("name", "x" * 65, "limit is 64"),
    ("validity", "3 months", "months are not accepted"), ("minimumKeySize", 1000, "not an RSA key size"),
    ("keyUsage", ["bogus"], "not a key usage"), ("kind", "web", "ssl"),
])
def test_template_check_refuses_with_reasons(field, value, msg):
    res = CertificateTemplateProvider().check({}, {**TPL, field: value})
    assert [f.property for f in res.failures] == [field]
    assert msg in res.failures[0].reason


def test_template_state_with_a_short_minimum_key_read_back_loads_while_declaring_it_is_refused():
    """read reports a template's msPKI-Minimal-Key-Size as it is (a hand-lowered 1024 is drift): that state loads
    for refresh, update and delete; declaring 1024 is refused with ndes:templates' message (TemplateFields)."""
    p = CertificateTemplateProvider()
    assert p.parse({**TPL, "minimumKeySize": 1024}).minimum_key_size == 1024
    refused = p.check({}, {**TPL, "minimumKeySize": 1024}).failures
    assert [f.property for f in refused] == ["minimumKeySize"] and "not an RSA key size" in refused[0].reason


def test_template_diff_replaces_on_name_updates_otherwise():
    p = CertificateTemplateProvider()
    olds = p.check({}, TPL).inputs
    assert p.diff("id", olds, {**olds, "name": "Other"}).replaces == ["name"]
    d = p.diff("id", olds, {**olds, "exportable": True, "enrollPrincipals": ["svc-ndes", "NDES01$"]})
    assert d.changes and d.replaces == []


def test_issuance_replaces_on_ca_or_template():
    p = TemplateIssuanceProvider()
    olds = p.check({}, {**CONN, "caCommonName": "Contoso Issuing CA", "templateName": "NDES-SSL"}).inputs
    assert olds["issued"] is True
    assert p.diff("id", olds, {**olds, "templateName": "X"}).replaces == ["templateName"]
    assert p.diff("id", olds, {**olds, "issued": False}).replaces == []


def test_plain_ldap_without_starttls_is_refused_before_connecting():
    from ndes.directory import DirectoryError, DirectorySettings
    with pytest.raises(DirectoryError, match="plain ldap://"):
        DirectoryClient.connect(DirectorySettings("ldap://dc01.contoso.com", "u", "p"))


def test_settings_repr_hides_the_password():
    from ndes.directory import DirectorySettings
    assert "Bind-Pa55!" not in repr(DirectorySettings("ldaps://dc", "u", "Bind-Pa55!"))


class Mocks(pulumi.runtime.Mocks):
    def __init__(self):
        self.resources: list[pulumi.runtime.MockResourceArgs] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        self.resources.append(args)
        outs = dict(args.inputs)
        if args.typ.endswith(":ServiceAccount"):
            outs.update(dn=f"CN={args.inputs['name']},CN=Users,DC=contoso,DC=com", sid="S-1-5-21-1-2-3-1105")
        if args.typ.endswith(":CertificateTemplate"):
            outs.update(dn=f"CN={args.inputs['name']},CN=Certificate Templates", oid="1.3.6.1.4.1.311.21.8.1.2")
        return f"{args.name}-id", outs

    def call(self, args: pulumi.runtime.MockCallArgs):
        return {}


@pulumi.runtime.test
def test_directory_plane_builds_the_seed_steps():
    mocks = Mocks()
    pulumi.runtime.set_mocks(mocks, project="ndes", stack="unit", preview=False)
    from ndes.components.directory import DirectoryPlane
    cfg = load_config(sample(**{"serviceAccount.spnShortName": True}))
    plane = DirectoryPlane("directory", cfg, {})

    def check(_):
        by_type = {}
        for r in mocks.resources:
            by_type.setdefault(r.typ, []).append(r)
        [sa] = by_type["pulumi-python:dynamic/ndes:ServiceAccount"]
        assert sa.inputs["name"] == "svc-ndes" and sa.inputs["upn"] == "svc-ndes@contoso.com"
        assert sa.inputs["spnHosts"] == ["ndes01.contoso.com"] and sa.inputs["spnShortName"] is True
        assert sa.inputs["owner"] == "ndes/unit/directory-service-account"
        assert sa.inputs["configKey"] == "ndes:serviceAccount"
        tpls = {r.inputs["kind"]: r.inputs for r in by_type["pulumi-python:dynamic/ndes:CertificateTemplate"]}
        assert tpls["ssl"]["name"] == "NDES-SSL" and tpls["ssl"]["enrollPrincipals"] == ["NDES01$"]
        assert tpls["ssl"]["extendedKeyUsage"] == ["serverAuth"]  # the current connector needs no clientAuth (ESC1)
        assert tpls["client"]["enrollPrincipals"] == ["svc-ndes"] and tpls["client"]["exportable"] is False
        iss = sorted(r.inputs["templateName"] for r in by_type["pulumi-python:dynamic/ndes:TemplateIssuance"])
        assert iss == ["NDES-Intune", "NDES-SSL"]
        assert all(r.inputs["caCommonName"] == "Contoso Issuing CA"
                   for r in by_type["pulumi-python:dynamic/ndes:TemplateIssuance"])
        assert "ndes:index:DirectoryPlane" in by_type
    def names(values):
        account, ssl_name, client_name = values
        assert (account, ssl_name, client_name) == ("CONTOSO\\svc-ndes", "NDES-SSL", "NDES-Intune")

    named = pulumi.Output.all(plane.service_account_name, plane.ssl_template_name, plane.client_template_name)
    return pulumi.Output.all(plane.service_account_dn, plane.client_issuance.urn, named.apply(names)).apply(check)


def test_ca_bundle_is_read_from_the_named_file(tmp_path, monkeypatch):
    from ndes.providers.connections import ConnectionError_, read_text
    monkeypatch.chdir(tmp_path)  # relative paths from the project directory, where program and provider run
    (tmp_path / "ca.pem").write_text("-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n")
    assert read_text("ca.pem", "ndes:domain.caBundle").startswith("-----BEGIN")
    assert read_text(None, "ndes:domain.caBundle") is None
    with pytest.raises(ConnectionError_, match="ndes:domain.caBundle"):
        read_text("missing.pem", "ndes:domain.caBundle")


def test_providers_pickle_small_and_without_connections():
    import dill
    for cls in (ServiceAccountProvider, CertificateTemplateProvider, TemplateIssuanceProvider):
        blob = dill.dumps(cls(), protocol=dill.HIGHEST_PROTOCOL, recurse=True)
        assert len(blob) < 2000, (cls.__name__, len(blob))  # by reference to the installed package
        assert type(dill.loads(blob)) is cls
        assert vars(cls()) == {}


@pytest.mark.parametrize("field,value,msg", [("ou", "Service Accounts", "not a DN"), ("ou", "OU=a\x00,DC=x", "control"),
                                             ("upn", "svc-ndes", "not a user principal name"),
                                             ("spnHosts", ["ndes 01.contoso.com"], "not a host name")])
def test_service_account_check_refuses_bad_ou_upn_hosts(field, value, msg):
    res = ServiceAccountProvider().check({}, {**SA, field: value})
    assert [f.property for f in res.failures] == [field] and msg in res.failures[0].reason


@pulumi.runtime.test
def test_a_template_change_previews_no_unknown_issuance_name_or_principal():
    """At preview every output of a changing template or account is unknown: the issuance's templateName (a
    replace_on field) and the client template's principals must not be derived from them."""

    class Previewing(Mocks):
        def new_resource(self, args):  # no outputs yet: dn, sid, oid are unknown, as in a preview
            self.resources.append(args)
            return f"{args.name}-id", {}

    mocks = Previewing()
    pulumi.runtime.set_mocks(mocks, project="ndes", stack="unit", preview=True)
    from ndes.components.directory import DirectoryPlane
    from ndes.providers.base import contains_unknown
    plane = DirectoryPlane("directory", load_config(sample()), {})

    def check(_):
        issuances = [r for r in mocks.resources if r.typ.endswith(":TemplateIssuance")]
        assert sorted(r.inputs["templateName"] for r in issuances) == ["NDES-Intune", "NDES-SSL"]
        [client] = [r.inputs for r in mocks.resources
                    if r.typ.endswith(":CertificateTemplate") and r.inputs["kind"] == "client"]
        assert client["enrollPrincipals"] == ["svc-ndes"] and not contains_unknown(client)
    return plane.client_issuance.urn.apply(check)
