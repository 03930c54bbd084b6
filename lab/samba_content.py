"""What the rest of the lab's world leaves in AD, created when missing: the pKIEnrollmentService object an
Enterprise CA install creates, the computer accounts of the lab's domain joins, CA1$ in Cert Publishers."""

from __future__ import annotations

import secrets
from typing import Callable

from lab import pki
from lab.samba_layout import (DOMAIN_DN, ENROLLMENT_SERVICE_DN, ENROLLMENT_SERVICE_FLAGS, ENTERPRISE_CA_HOST,
                              ENTERPRISE_CA_NAME, LAB_COMPUTERS, DcError, DcInfo, _noop, connect)

# ----------------------------------------------------------------------------------------------- AD content
def _ensure_ad_content(dc: DcInfo, echo: Callable[[str], None] = _noop) -> None:
    """Create, when missing, what an Enterprise CA install and the lab's domain joins leave in AD."""
    import ldap3
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding

    conn = connect(dc)
    try:
        # --- the Enterprise CA's pKIEnrollmentService object
        cert_path, _ = pki.ensure_enterprise_ca()
        ca_cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        der = ca_cert.public_bytes(Encoding.DER)
        # Windows writes cACertificateDN most specific first with ", " separators (e.g. "CN=x, DC=y").
        ca_dn = ", ".join(rdn.rfc4514_string() for rdn in reversed(ca_cert.subject.rdns))
        conn.search(ENROLLMENT_SERVICE_DN, "(objectClass=pKIEnrollmentService)", ldap3.BASE,
                    attributes=["cACertificate", "cACertificateDN"])
        if conn.result["result"] == 32:  # noSuchObject
            ok = conn.add(
                ENROLLMENT_SERVICE_DN,
                ["top", "pKIEnrollmentService"],
                {
                    "cn": ENTERPRISE_CA_NAME,
                    "displayName": ENTERPRISE_CA_NAME,
                    "dNSHostName": ENTERPRISE_CA_HOST,
                    "cACertificate": der,
                    "cACertificateDN": ca_dn,
                    "flags": str(ENROLLMENT_SERVICE_FLAGS),
                },
            )
            if not ok:
                raise DcError(f"creating {ENROLLMENT_SERVICE_DN}: {conn.result}")
            echo(f"created pKIEnrollmentService {ENTERPRISE_CA_NAME!r} (dNSHostName {ENTERPRISE_CA_HOST})")
        elif conn.result["result"] == 0:
            entry = conn.entries[0]
            current = entry.cACertificate.raw_values
            if current != [der]:  # the lab re-issued its issuing CA: publish the new certificate
                conn.modify(ENROLLMENT_SERVICE_DN, {
                    "cACertificate": [(ldap3.MODIFY_REPLACE, [der])],
                    "cACertificateDN": [(ldap3.MODIFY_REPLACE, [ca_dn])],
                })
                if conn.result["result"] != 0:
                    raise DcError(f"updating cACertificate of {ENROLLMENT_SERVICE_DN}: {conn.result}")
                echo("updated cACertificate of the enrollment service")
        else:
            raise DcError(f"reading {ENROLLMENT_SERVICE_DN}: {conn.result}")

        # --- computer accounts a domain join leaves
        for name, fqdn in LAB_COMPUTERS:
            dn = f"CN={name},CN=Computers,{DOMAIN_DN}"
            conn.search(dn, "(objectClass=computer)", ldap3.BASE, attributes=["dNSHostName"])
            if conn.result["result"] == 0:
                continue
            if conn.result["result"] != 32:
                raise DcError(f"reading {dn}: {conn.result}")
            short = fqdn.split(".", 1)[0]
            machine_pw = secrets.token_urlsafe(48)  # as a join would: random, known to nobody here
            ok = conn.add(
                dn,
                ["top", "person", "organizationalPerson", "user", "computer"],
                {
                    "cn": name,
                    "sAMAccountName": f"{name}$",
                    "userAccountControl": "4096",  # WORKSTATION_TRUST_ACCOUNT
                    "dNSHostName": fqdn,
                    "servicePrincipalName": [
                        f"HOST/{short.upper()}",
                        f"HOST/{fqdn}",
                        f"RestrictedKrbHost/{short.upper()}",
                        f"RestrictedKrbHost/{fqdn}",
                    ],
                    "operatingSystem": "Windows Server 2022 Datacenter",
                    "operatingSystemVersion": "10.0 (20348)",
                    "unicodePwd": f'"{machine_pw}"'.encode("utf-16-le"),
                },
            )
            if not ok:
                raise DcError(f"creating computer {name}$: {conn.result}")
            echo(f"created computer account {name}$ ({fqdn})")

        # An Enterprise CA install puts the CA's computer account in "Cert Publishers".
        group = f"CN=Cert Publishers,CN=Users,{DOMAIN_DN}"
        ca_dn_computer = f"CN=CA1,CN=Computers,{DOMAIN_DN}"
        conn.search(group, f"(member={ca_dn_computer})", ldap3.BASE)
        if conn.result["result"] == 0 and not conn.entries:
            conn.modify(group, {"member": [(ldap3.MODIFY_ADD, [ca_dn_computer])]})
            if conn.result["result"] not in (0, 20):  # 20 attributeOrValueExists: a race, fine
                raise DcError(f"adding CA1$ to Cert Publishers: {conn.result}")
    finally:
        conn.unbind()

