"""The lab stack's least-privilege bind account: `pulumi-ndes`, a plain domain user (no admin group) holding only
the delegation docs/identities.md ("## AD bind account") lists, so the lab deploys the way a real forest would
let a dedicated account deploy, and a missing right shows as it would there.

The rights are granted as an administrator grants them, with Samba's own `samba-tool dsacl set` (SDDL, the
format `dsacls` and the Delegation of Control wizard write), not with the product's security-descriptor code.
Object classes, attributes and extended rights are looked up by name in the lab forest's schema and
Extended-Rights container, so no GUID here can be wrong.

Python API: `ensure(dc, echo)` (idempotent: the account's description records the delegation's version),
`DELEGATION` (what is granted where), `sddl(dn_key, sid, guids)`; constants for the account.
"""

from __future__ import annotations

import os
import subprocess
from typing import Callable

from lab.samba_layout import DNS_DOMAIN, DOMAIN_DN, ENROLLMENT_SERVICE_DN, PKS_DN, DcError, DcInfo, _noop, connect

__all__ = ["BIND_ACCOUNT", "BIND_UPN", "SERVICE_OU", "DELEGATION", "ensure", "targets", "sddl", "password"]

BIND_ACCOUNT = "pulumi-ndes"
BIND_UPN = f"{BIND_ACCOUNT}@{DNS_DOMAIN}"
SERVICE_OU = f"OU=Service Accounts,{DOMAIN_DN}"
VERSION = "lab least-privilege bind account, delegation v1 (docs/identities.md)"
FULL = "CCDCLCSWRPWPDTLOCRSDRCWDWO"  # every DS right on the object: what "Full control" writes

# (where, [(ACE type, flags, rights, object type name, inherited object type name)])
# names are lDAPDisplayNames of classes/attributes, or cn of an extended right (prefix "right:")
DELEGATION: list[tuple[str, list[tuple[str, str, str, str, str]]]] = [
    ("templates", [  # create and delete templates; full control of the templates (attributes, Enroll ACEs)
        ("OA", "", "CCDC", "pKICertificateTemplate", ""),
        ("OA", "CIIO", FULL, "", "pKICertificateTemplate"),
    ]),
    ("oid", [  # create the templates' OID objects and the forest base OID; manage the OID objects
        ("OA", "", "CCDC", "msPKI-Enterprise-Oid", ""),
        ("OA", "", "WP", "msPKI-Cert-Template-OID", ""),
        ("OA", "CIIO", FULL, "", "msPKI-Enterprise-Oid"),
    ]),
    ("ca", [  # issue / stop issuing templates on the Enterprise CA
        ("OA", "", "WP", "certificateTemplates", ""),
    ]),
    ("ou", [  # the NDES service account: create, delete, reset password, SPNs, flags, names
        ("OA", "", "CCDC", "user", ""),
        ("OA", "CIIO", "CR", "right:User-Force-Change-Password", "user"),
        ("OA", "CIIO", "WP", "servicePrincipalName", "user"),
        ("OA", "CIIO", "WP", "userAccountControl", "user"),
        ("OA", "CIIO", "WP", "pwdLastSet", "user"),
        ("OA", "CIIO", "WP", "userPrincipalName", "user"),
        ("OA", "CIIO", "WP", "description", "user"),
        ("OA", "CIIO", "WP", "adminDescription", "user"),
    ]),
    ("domain", [  # a reset that does not leave "must change password at next logon" (MS-SAMR 3.1.1.8.7)
        ("OA", "", "CR", "right:Unexpire-Password", ""),
    ]),
]


def targets() -> dict[str, str]:
    return {"templates": f"CN=Certificate Templates,{PKS_DN}", "oid": f"CN=OID,{PKS_DN}",
            "ca": ENROLLMENT_SERVICE_DN, "ou": SERVICE_OU, "domain": DOMAIN_DN}


def password() -> str:
    from lab.secrets import lab_secret

    return lab_secret("directory-bind-password")


def _guids(conn, names: set[str]) -> dict[str, str]:
    """lDAPDisplayName -> schemaIDGUID, "right:<cn>" -> rightsGuid, read from the lab forest."""
    import uuid

    import ldap3

    from lab.samba_layout import CONFIG_DN

    out: dict[str, str] = {}
    for name in names:
        if name.startswith("right:"):
            conn.search(f"CN=Extended-Rights,{CONFIG_DN}", f"(cn={name[6:]})", ldap3.LEVEL, attributes=["rightsGuid"])
            if conn.entries:
                out[name] = str(conn.entries[0].rightsGuid.value).lower()
        else:
            conn.search(f"CN=Schema,{CONFIG_DN}", f"(lDAPDisplayName={name})", ldap3.LEVEL,
                        attributes=["schemaIDGUID"])
            if conn.entries:
                out[name] = str(uuid.UUID(bytes_le=bytes(conn.entries[0].schemaIDGUID.raw_values[0])))
        if name not in out:
            raise DcError(f"the lab forest has no {name!r} in its schema or Extended-Rights")
    return out


def sddl(key: str, sid: str, guids: dict[str, str]) -> str:
    """The ACEs DELEGATION grants on target `key`, in SDDL."""
    aces = dict(DELEGATION)[key]
    return "".join(f"({t};{f};{r};{guids.get(o, '')};{guids.get(i, '')};{sid})" for t, f, r, o, i in aces)


def all_names() -> set[str]:
    return {n for _, aces in DELEGATION for *_, o, i in aces for n in (o, i) if n}


def ensure(dc: DcInfo, echo: Callable[[str], None] = _noop) -> None:
    """Create the OU, the account and its delegation when missing (or when the delegation's version changed)."""
    import ldap3

    conn = connect(dc)
    try:
        conn.search(SERVICE_OU, "(objectClass=*)", ldap3.BASE)
        if conn.result["result"] == 32:
            if not conn.add(SERVICE_OU, ["top", "organizationalUnit"], {"ou": "Service Accounts"}):
                raise DcError(f"creating {SERVICE_OU}: {conn.result}")
            echo(f"created {SERVICE_OU}")
        dn = f"CN={BIND_ACCOUNT},CN=Users,{DOMAIN_DN}"
        conn.search(dn, "(objectClass=user)", ldap3.BASE, attributes=["description", "objectSid"])
        if conn.result["result"] == 32:
            ok = conn.add(dn, ["top", "person", "organizationalPerson", "user"], {
                "sAMAccountName": BIND_ACCOUNT, "userPrincipalName": BIND_UPN, "userAccountControl": "66048",
                "unicodePwd": f'"{password()}"'.encode("utf-16-le")})  # 66048: enabled, password never expires
            if not ok:
                raise DcError(f"creating the lab bind account {BIND_ACCOUNT}: {conn.result}")
            echo(f"created the least-privilege bind account {BIND_UPN}")
            conn.search(dn, "(objectClass=user)", ldap3.BASE, attributes=["description", "objectSid"])
        entry = conn.entries[0]
        if str(entry.description.value or "") == VERSION:
            return
        from ndes.directory.security import sid_to_str

        sid = sid_to_str(entry.objectSid.raw_values[0])
        guids = _guids(conn, all_names())
    finally:
        conn.unbind()
    for key, target in targets().items():
        _dsacl_set(target, sddl(key, sid, guids))
    conn = connect(dc)
    try:
        conn.modify(dn, {"description": [(ldap3.MODIFY_REPLACE, [VERSION])]})
    finally:
        conn.unbind()
    echo(f"delegated to {BIND_ACCOUNT}: " + ", ".join(targets()))


def _dsacl_set(dn: str, aces: str) -> None:
    """`samba-tool dsacl set` on the DC's own database (as an administrator on the DC would run it)."""
    from lab.samba_layout import samba_dir, smb_conf_path
    from lab.samba_setup import _which

    cmd = [_which("samba-tool") or "samba-tool", "dsacl", "set", "-s", str(smb_conf_path()),
           "-H", str(samba_dir() / "private" / "sam.ldb"), f"--objectdn={dn}", f"--sddl={aces}"]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=dict(os.environ), timeout=120)
    if proc.returncode != 0:
        raise DcError(f"samba-tool dsacl set on {dn} --sddl={aces} failed ({proc.returncode}): "
                      f"{proc.stderr.strip()[-800:]}")
