"""`ndes init`: discovery from what AD and Graph answer (fakes at the client boundary), and the answers."""
from __future__ import annotations

import pytest

from ndes.init import answers as A
from ndes.init import discover


class FakeDirectory:
    domain_dn = "DC=corp,DC=contoso,DC=com"
    config_dn = "CN=Configuration,DC=contoso,DC=com"

    def __init__(self, cas=(("Contoso Issuing CA", "CA1.corp.contoso.com"),)):
        self.cas = cas
        self.searches: list[tuple] = []

    def search(self, base, flt, scope="subtree", attributes=None, kind="object"):
        self.searches.append((base, flt, scope))
        if base.startswith("CN=Partitions,"):
            assert "(nCName=DC=corp,DC=contoso,DC=com)" in flt
            return [{"dn": "CN=CORP,CN=Partitions,...", "attributes": {"nETBIOSName": "corp", "dnsRoot": ["x"]}}]
        if base.startswith("CN=Enrollment Services,"):
            return [{"dn": f"CN={cn},{base}", "attributes": {"cn": cn, "dNSHostName": host}} for cn, host in self.cas]
        raise AssertionError(base)


def test_the_domain_comes_from_the_naming_contexts_and_the_crossref():
    d = discover.domain(FakeDirectory())
    assert (d.dns_name, d.netbios_name) == ("corp.contoso.com", "CORP")


def test_the_enterprise_cas_come_from_their_enrollment_service_objects():
    fake = FakeDirectory(cas=(("B CA", "b.contoso.com"), ("A CA", "A.contoso.com")))
    cas = discover.enterprise_cas(fake)
    assert [(c.common_name, c.host) for c in cas] == [("A CA", "a.contoso.com"), ("B CA", "b.contoso.com")]
    assert fake.searches[-1][0] == ("CN=Enrollment Services,CN=Public Key Services,CN=Services,"
                                    "CN=Configuration,DC=contoso,DC=com")


def test_the_external_url_is_on_the_tenants_app_proxy_domain():
    assert discover.external_url("NDES1.corp.contoso.com", "contoso.onmicrosoft.com") == \
        "https://ndes1-contoso.msappproxy.net/"
    assert discover.dns_name_of("DC=lab,DC=contoso,DC=test") == "lab.contoso.test"


def test_unattended_missing_answers_are_named_by_key():
    with pytest.raises(A.MissingAnswers) as exc:
        A.complete({"domain": {"ldapUrl": "ldaps://dc1:636"}}, interactive=False)
    assert "ndes:domain.bindUser" in str(exc.value) and "ndes:domain.ldapUrl" not in str(exc.value)
    assert "ndes:domain.spnAdminPassword" not in str(exc.value)  # only asked with its user


def test_env_answers_are_read_now_and_defaults_fill_in(monkeypatch):
    monkeypatch.setenv("T_BIND", "s3cret")
    ans = {"domain": {"ldapUrl": "x", "bindUser": "u", "bindPassword": {"env": "T_BIND"}}, "ndesHosts": ["n.c.com"],
           "winrm": {"username": "w", "password": "p"}, "ca": {"winrm": {"username": "c", "password": "p"}},
           "ndesRole": {"installCredential": {"username": "i", "password": "p"}},
           "graph": {"tenantId": "t", "clientId": "c", "clientSecret": "s"}}
    out = A.complete(ans, interactive=False)
    assert out["domain"]["bindPassword"] == "s3cret"
    assert out["serviceAccount"]["name"] == "svc-ndes" and out["graph"]["credential"] == "clientSecret"
    pw = out["serviceAccount"]["password"]
    assert len(pw) == 32 and any(c.isupper() for c in pw) and any(c.isdigit() for c in pw)
    monkeypatch.delenv("T_BIND")
    with pytest.raises(ValueError, match="T_BIND"):
        A.resolve({"env": "T_BIND"}, "domain.bindPassword")


def test_a_tenant_that_refuses_the_organization_read_asks_for_the_domain(monkeypatch):
    from ndes.init import command

    def refuse(_settings):
        raise PermissionError("403 Authorization_RequestDenied")
    monkeypatch.setattr("ndes.graph.client_for", refuse)
    ans = {"ndesHosts": [{"fqdn": "ndes1.corp.contoso.com"}],
           "graph": {"tenantId": "t", "clientId": "c", "credential": "clientSecret", "clientSecret": "s"}}
    with pytest.raises(command.InitError, match="tenantInitialDomain"):
        command.discover_tenant(ans, lambda _m: None)
    ans["tenantInitialDomain"] = "contoso.onmicrosoft.com"
    command.discover_tenant(ans, lambda _m: None)
    assert ans["ndesHosts"][0]["externalUrl"] == "https://ndes1-contoso.msappproxy.net/"
    assert "tenantInitialDomain" not in ans  # not an ndes: key: never written to the stack


def test_several_cas_need_a_choice(monkeypatch):
    from ndes.init import command

    fake = FakeDirectory(cas=(("A CA", "a.contoso.com"), ("B CA", "b.contoso.com")))
    fake.close = lambda: None
    monkeypatch.setattr("ndes.directory.DirectoryClient.connect", classmethod(lambda cls, s: fake))
    ans = {"domain": {"ldapUrl": "ldaps://dc1:636", "bindUser": "u", "bindPassword": "p"}}
    with pytest.raises(command.InitError, match="'A CA' on a.contoso.com, 'B CA' on b.contoso.com"):
        command.discover_directory(ans, lambda _m: None)
    ans["ca"] = {"commonName": "b ca"}
    command.discover_directory(ans, lambda _m: None)
    assert ans["ca"] == {"commonName": "b ca", "host": "b.contoso.com"}
    assert ans["domain"]["dnsName"] == "corp.contoso.com" and ans["domain"]["netbiosName"] == "CORP"


def test_interactive_prompts_ask_only_what_is_missing(monkeypatch, capsys):
    asked = []
    replies = iter(["ldaps://dc1:636", "", "u@contoso.com", "", "ndes1.c.com,ndes2.c.com", "C\\w", "C\\ca",
                    "C\\i", "", "", "tenant", "client", "", "", "", ""])

    def fake_input():
        return next(replies)
    monkeypatch.setattr("builtins.input", fake_input)
    monkeypatch.setattr("getpass.getpass", lambda _p="": asked.append("secret") or "pw")
    out = A.complete({}, interactive=True)
    assert out["ndesHosts"] == ["ndes1.c.com", "ndes2.c.com"] and out["serviceAccount"]["name"] == "svc-ndes"
    assert out["domain"]["bindPassword"] == "pw" and out["graph"]["clientSecret"] == "pw"
    assert "domain.spnAdminPassword" not in capsys.readouterr().err  # no SPN admin user: its password not asked


def test_discovery_reads_a_from_env_answer_as_the_program_would(monkeypatch):
    monkeypatch.setenv("NDES_TEST_INIT_PW", "Bind-Pa55!")
    monkeypatch.delenv("NDES_TEST_INIT_UNSET", raising=False)
    assert A.live({"fromEnv": "NDES_TEST_INIT_PW"}) == "Bind-Pa55!"
    assert A.live({"fromEnv": "NDES_TEST_INIT_UNSET"}) is None  # the validation that follows names the key
    assert A.live("ldaps://dc1.contoso.com") == "ldaps://dc1.contoso.com"
