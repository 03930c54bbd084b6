"""Read-only preflight of the bind account's rights, before anything is written.

AD computes what the bound account may do on an object in constructed attributes (MS-ADTS 3.1.1.4.5.3/.4/.5):
`allowedChildClassesEffective` (classes it may create below), `allowedAttributesEffective` (attributes it may
write) and `sDRightsEffective` (which parts of the security descriptor it may write). Extended rights such as
Unexpire-Password show in none of them; those are read from the object's DACL (allow ACEs for the right, or for
every extended right, whose SID is in the account's token; deny ACEs are not evaluated, so a deny is reported
by the write itself).

Each check returns `Missing` items that say what is missing, where, and the `dsacls` command that grants it
(docs/identities.md, "AD bind account", lists the whole delegation). Nothing here writes.
"""
from __future__ import annotations

from dataclasses import dataclass

from .accounts import bound_account, find_principal, token_sids
from .client import DirectoryClient
from .errors import DirectoryError, NotFound
from .escape import eq, parent_dn
from .security import ACCESS_ALLOWED, ACCESS_ALLOWED_OBJECT, ADS_RIGHT_DS_CONTROL_ACCESS, SecurityDescriptor

__all__ = ["Missing", "service_account_rights", "template_rights", "issuance_rights", "DACL_SECURITY_INFORMATION",
           "UNEXPIRE_PASSWORD", "RESET_PASSWORD"]

DACL_SECURITY_INFORMATION = 0x4
UNEXPIRE_PASSWORD = "ccc2dc7d-a6ad-4a7a-8846-c04e3cc53501"
RESET_PASSWORD = "00299570-246d-11d0-a768-00aa006e0529"
INHERIT_ONLY = 0x08
DOC = 'docs/identities.md, "AD bind account"'


@dataclass(frozen=True)
class Missing:
    what: str
    """The right in words, e.g. "create pKICertificateTemplate objects"."""
    dn: str
    grant: str
    """The dsacls arguments that grant it, e.g. '/G "LAB\\pulumi-ndes:CC;pKICertificateTemplate"'."""

    def message(self, bind_user: str) -> str:
        return (f"ndes:domain.bindUser '{bind_user}' may not {self.what} on {self.dn}: grant it with "
                f"dsacls \"{self.dn}\" {self.grant}, or bind as an Enterprise Admin ({DOC})")


class _Me:
    """The bound account: its DOMAIN\\name for dsacls and its token's SIDs (read once)."""

    def __init__(self, c: DirectoryClient):
        self.c = c
        p = bound_account(c)
        self.sids = set(token_sids(c, p.dn)) if p else set()
        netbios = ""
        try:
            found = c.search(f"CN=Partitions,{c.config_dn}", eq("nCName", c.domain_dn), "one", ["nETBIOSName"],
                             kind="partition")
            netbios = str(_first(found[0]["attributes"].get("nETBIOSName")) or "") if found else ""
        except DirectoryError:
            pass
        self.name = f"{netbios or '<DOMAIN>'}\\{p.sam if p else c.settings.bind_user}"


def _first(v):
    return v[0] if isinstance(v, list) and v else v


def _values(c: DirectoryClient, dn: str, attr: str) -> list[str] | None:
    entry = c.get(dn, [attr], kind="object")
    if entry is None:
        return None
    v = entry["attributes"].get(attr)
    return [str(x) for x in (v if isinstance(v, list) else [] if v is None else [v])]


def _can_create(me: _Me, parent: str, cls: str, out: list[Missing]) -> None:
    have = _values(me.c, parent, "allowedChildClassesEffective")
    if have is not None and cls.lower() not in {h.lower() for h in have}:
        out.append(Missing(f"create {cls} objects", parent, f'/G "{me.name}:CCDC;{cls}"'))


def _can_write(me: _Me, dn: str, attrs: list[str], out: list[Missing]) -> None:
    have = _values(me.c, dn, "allowedAttributesEffective")
    if have is None:
        return
    low = {h.lower() for h in have}
    for a in attrs:
        if a.lower() not in low:
            out.append(Missing(f"write {a}", dn, f'/G "{me.name}:WP;{a}"'))


def _can_write_dacl(me: _Me, dn: str, out: list[Missing]) -> None:
    have = _values(me.c, dn, "sDRightsEffective")
    if have is not None and not int(have[0] if have else 0) & DACL_SECURITY_INFORMATION:
        out.append(Missing("change permissions (Enroll ACEs)", dn, f'/G "{me.name}:WD"'))


def _has_right(me: _Me, dn: str, right: str, object_class: str | None = None) -> bool | None:
    """An allow ACE granting the extended right (or all of them) on `dn` to a SID of the token; with
    `object_class`, an inheritable ACE on `dn` that objects of that class below inherit. None: DACL unreadable."""
    try:
        sd = SecurityDescriptor.parse(me.c.read_dacl_sd(dn))
    except (DirectoryError, ValueError):
        return None
    for a in (sd.dacl.aces if sd.dacl else []):
        if a.raw is not None or a.type not in (ACCESS_ALLOWED, ACCESS_ALLOWED_OBJECT) or a.sid not in me.sids:
            continue
        if not a.mask & ADS_RIGHT_DS_CONTROL_ACCESS or (a.object_type and a.object_type.lower() != right):
            continue
        if object_class is None and not a.flags & INHERIT_ONLY:
            return True
        if object_class is not None and a.flags & 0x02:  # CONTAINER_INHERIT
            return True
    return False


def service_account_rights(c: DirectoryClient, parent: str, sam: str) -> list[Missing]:
    """Create the account in `parent`, reset its password, write its flags and SPNs, unexpire its password."""
    me, out = _Me(c), []
    existing = find_principal(c, sam)
    attrs = ["userAccountControl", "servicePrincipalName", "userPrincipalName", "pwdLastSet"]
    if existing is None:
        _can_create(me, parent, "user", out)
        if _has_right(me, parent, RESET_PASSWORD, "user") is False:
            out.append(Missing("reset the passwords of user objects", parent,
                               f'/I:S /G "{me.name}:CA;Reset Password;user"'))
    else:
        _can_write(me, existing.dn, attrs, out)
        if _has_right(me, existing.dn, RESET_PASSWORD) is False:
            out.append(Missing("reset the password", existing.dn, f'/G "{me.name}:CA;Reset Password"'))
    if _has_right(me, c.domain_dn, UNEXPIRE_PASSWORD) is False:
        out.append(Missing("unexpire passwords (a reset otherwise leaves 'must change password at next logon')",
                           c.domain_dn, f'/G "{me.name}:CA;Unexpire Password"'))
    return out


def template_rights(c: DirectoryClient, template_dn: str, base_oid_missing: bool) -> list[Missing]:
    """Create (or edit) the template and its OID object, set its Enroll ACEs, create the forest base OID."""
    me, out = _Me(c), []
    oid_dn = f"CN=OID,{c.pks_dn}"
    if c.get(template_dn, ["cn"], kind="certificate template") is None:
        _can_create(me, parent_dn(template_dn), "pKICertificateTemplate", out)
        _can_create(me, oid_dn, "msPKI-Enterprise-Oid", out)
    else:
        _can_write(me, template_dn, ["msPKI-Template-Minor-Revision", "pKIExpirationPeriod"], out)
        _can_write_dacl(me, template_dn, out)
    if base_oid_missing:
        _can_write(me, oid_dn, ["msPKI-Cert-Template-OID"], out)
    return out


def issuance_rights(c: DirectoryClient, enrollment_service_dn: str) -> list[Missing]:
    """Write certificateTemplates on the CA's enrollment-service object."""
    me, out = _Me(c), []
    try:
        _can_write(me, enrollment_service_dn, ["certificateTemplates"], out)
    except NotFound:
        pass
    return out
