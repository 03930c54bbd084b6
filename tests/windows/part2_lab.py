"""Lab helpers for the part-2 Windows tests: an SSL template in the real lab Samba, issued on the lab CA, with
Read + Enroll for the NDES hosts' computer accounts (what the directory plane builds), made by the directory
plane's own providers under a unique name and removed afterwards."""
from __future__ import annotations

import contextlib
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from lab import topology
from ndes.providers.certificate_template import CertificateTemplateProvider
from ndes.providers.template_issuance import TemplateIssuanceProvider


def conn_props(dc) -> dict:
    return {"ldapUrl": dc.ldap_url, "bindUser": dc.bind_user, "bindPassword": dc.bind_password,
            "caBundle": Path(dc.ca_bundle).read_text()}


@dataclass(frozen=True)
class SslTemplate:
    name: str
    """cn: what Get-Certificate and the CA's certificateTemplates name."""
    oid: str
    """msPKI-Cert-Template-OID: what a certificate's template extension carries."""


@contextlib.contextmanager
def ssl_template(dc, *, principals: tuple[str, ...] = ("NDES1$", "NDES2$"), issue: bool = True,
                 validity: str = "2 years") -> Iterator[SslTemplate]:
    """An SSL template (from Web Server: supply in request, server + client auth) named NDES-SSL-T<uid>, whose
    display name differs from its name, as the console makes it."""
    name = f"NDES-SSL-T{uuid.uuid4().hex[:8]}"
    tp, ip = CertificateTemplateProvider(), TemplateIssuanceProvider()
    tprops = {**conn_props(dc), "kind": "ssl", "name": name, "displayName": f"NDES SSL certificate {name[-8:]}",
              "validity": validity,
              "renewalPeriod": "6 weeks", "minimumKeySize": 2048, "keyUsage": ["digitalSignature", "keyEncipherment"],
              "extendedKeyUsage": ["serverAuth", "clientAuth"], "exportable": False, "enrolleeSuppliesSubject": True,
              "publishToAd": False, "enrollPrincipals": list(principals), "owner": f"tests/part2/{name}"}
    tprops = tp.check({}, tprops).inputs
    t = tp.create(tprops)
    iprops = None
    try:
        if issue:
            iprops = ip.check({}, {**conn_props(dc), "caCommonName": dc.enterprise_ca_name, "templateName": name,
                                   "owner": f"tests/part2/{name}-issuance"}).inputs
            i = ip.create(iprops)
        yield SslTemplate(name, t.outs["oid"])
    finally:
        if iprops is not None:
            ip.delete(i.id, {**iprops, **i.outs})
        tp.delete(t.id, {**tprops, **t.outs})


# ---------------------------------------------------------------------------------------------- accounts
def _client(dc):
    from ndes.directory import DirectoryClient, DirectorySettings
    return DirectoryClient.connect(DirectorySettings(dc.ldap_url, dc.bind_user, dc.bind_password,
                                                     ca_bundle=dc.ca_bundle))


@contextlib.contextmanager
def service_account(dc) -> Iterator[tuple[str, str, str]]:
    """A fresh enabled user with a password: (DOMAIN\\name, password, SID); deleted afterwards."""
    from ndes.directory import accounts as acc

    sam = f"svct{uuid.uuid4().hex[:8]}"
    password = f"Pw-{uuid.uuid4().hex[:12]}-X9!"
    with _client(dc) as c:
        dn = acc.create_user(c, f"CN=Users,{dc.domain_dn}", sam, f"{sam}@{dc.dns_domain}", "part2 test", password,
                             acc.UF_NORMAL_ACCOUNT | acc.UF_DONT_EXPIRE_PASSWD, None)
        sid = acc.find_principal(c, sam).sid
    try:
        yield f"{dc.netbios_domain}\\{sam}", password, sid
    finally:
        with _client(dc) as c:
            c.delete(dn, kind="account")


# ---------------------------------------------------------------------------------------------- host state
def endpoint_props(sim, host: str) -> dict:
    from lab import pki, topology
    from lab.secrets import lab_secret

    return {"host": host, "url": sim.url_of(host), "username": topology.WINRM_USER,
            "password": lab_secret("winrm-password"), "caBundlePem": pki.ca_bundle_path().read_text(),
            "operationTimeout": 60}


def prepare_ndes_host(sim, host: str, account: str | None = None) -> None:
    """What the resources before NdesRole leave (behind the module's back, to test NdesRole alone): the NDES
    feature and IIS installed, the service account in IIS_IUSRS."""
    from lab.winrm_sim import hostmodel
    from lab.winrm_sim.features_catalog import closure_of

    with sim.edit_state(host) as st:
        st["features"]["installed"] = sorted(set(st["features"]["installed"])
                                             | set(closure_of(["ADCS-Device-Enrollment", "Web-Server"])))
        hostmodel.ensure_iis(st)
        if account:
            members = st["localGroups"]["IIS_IUSRS"]["members"]
            if not any(m["name"].lower() == account.lower() for m in members):
                members.append({"name": account, "objectClass": "User", "principalSource": "ActiveDirectory"})


def ndes_role_props(dc, account: str, password: str, **over) -> dict:
    props = {"serviceAccount": account, "serviceAccountPassword": password,
             "caConfig": f"{dc.enterprise_ca_host}\\{dc.enterprise_ca_name}", "raName": "NDES1-MSCEP-RA",
             "raCompany": "Contoso Lab", "raCountry": "US", "signingProvider": "Microsoft Strong Cryptographic Provider",
             "signingKeyLength": 2048, "encryptionProvider": "Microsoft Strong Cryptographic Provider",
             "encryptionKeyLength": 2048,
             # the install's -Credential: a Domain Admins member (an NTLM logon cannot reach the CA itself)
             "installCredential": {"username": f"{topology.NETBIOS}\\Administrator", "password": dc.bind_password}}
    props.update(over)
    return props


def put_certificate(sim, host: str, cn: str, dns_names: list[str]) -> str:
    """A server certificate with its key in the host's LocalMachine\\My (behind the module's back); thumbprint."""
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509.oid import NameOID

    from lab.winrm_sim import ca, certstore

    ca_cert, ca_key = ca.issuing_ca()
    key = ca.new_key(2048)
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)]))
            .issuer_name(ca_cert.subject).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(hours=1)).not_valid_after(now + dt.timedelta(days=90))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in dns_names]), critical=False)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    with sim.edit_state(host) as st:
        return certstore.add(st, cert, ca.key_pem(key))
