"""Issuing a template on an Enterprise CA: the template's name in `certificateTemplates` of the CA's
pKIEnrollmentService object under CN=Enrollment Services,CN=Public Key Services,...

The object's cn is the CA name *sanitized* (MS-WCCE 3.1.1.4.1.1): characters AD names may not hold become
`!xxxx`, and a name longer than 51 characters is cut to 51 plus `-` and a 5-digit hash of what was cut.
Its `displayName` carries the raw name. `enrollment_service_dn` therefore finds the object by either, one
level under Enrollment Services, rather than building the DN from the raw name.

`add` and `remove` touch only the one value (MODIFY_ADD / MODIFY_DELETE of that value), so names other people
issued stay; both are idempotent.
"""
from __future__ import annotations

import ldap3

from .client import DirectoryClient
from .errors import Conflict, InvalidValue, NotFound
from .escape import eq

__all__ = ["sanitized_name", "enrollment_service_dn", "issued_templates", "is_issued", "add", "remove"]

# MS-WCCE 3.1.1.4.1.1.2 Disallowed Characters (and every character < 0x20 or >= 0x7F)
_DISALLOWED = set('!"#%&\'()*+,/:;<=>?[\\]^`{|}')
_SHORT = 51


def sanitized_name(name: str) -> str:
    """The CA's sanitized short name (MS-WCCE 3.1.1.4.1.1; hash per 3.1.1.4.1.1.1)."""
    full = "".join(f"!{ord(ch):04x}" if ch in _DISALLOWED or ord(ch) < 0x20 or ord(ch) >= 0x7F else ch
                   for ch in name)
    if len(full) <= _SHORT:
        return full
    base = full[:_SHORT]
    bang = base.rfind("!")
    if bang != -1 and len(base) - bang < 5:  # an incomplete !xxxx at the end is cut completely
        base = base[:bang]
    excess = full[len(base):]
    h = 0
    for ch in excess:
        low = 1 if h & 0x8000 else 0
        h = (((h << 1) | low) + ord(ch)) & 0xFFFF
    return f"{base}-{h:05d}"


def enrollment_service_dn(client: DirectoryClient, ca_common_name: str) -> str:
    """The DN of the CA's pKIEnrollmentService object: cn = the sanitized name, or displayName = the raw name."""
    base = f"CN=Enrollment Services,{client.pks_dn}"
    flt = (f"(&(objectClass=pKIEnrollmentService)(|{eq('cn', sanitized_name(ca_common_name))}"
           f"{eq('displayName', ca_common_name)}))")
    try:
        found = client.search(base, flt, "one", ["cn"], kind="enrollment service")
    except NotFound:
        found = []
    if len(found) > 1:
        exact = [e for e in found if str(_first(e["attributes"].get("cn"))) == sanitized_name(ca_common_name)]
        found = exact or found
    if not found:
        raise NotFound(f"failed to find enrollment service '{ca_common_name}' on {client.target}: no "
                       f"pKIEnrollmentService under {base} has cn '{sanitized_name(ca_common_name)}' (the sanitized "
                       f"name) or displayName '{ca_common_name}' (is ndes:ca.commonName the CA's name, and is the "
                       f"Enterprise CA installed?)")
    return found[0]["dn"]


def _first(v):
    return v[0] if isinstance(v, list) and v else v


def issued_templates(client: DirectoryClient, ca_common_name: str) -> list[str]:
    dn = enrollment_service_dn(client, ca_common_name)
    entry = client.get(dn, ["certificateTemplates"], kind="enrollment service")
    if entry is None:
        raise NotFound(f"failed to read enrollment service '{ca_common_name}' on {client.target}: {dn} is gone")
    vals = entry["attributes"].get("certificateTemplates") or []
    return [str(v) for v in (vals if isinstance(vals, list) else [vals])]


def is_issued(client: DirectoryClient, ca_common_name: str, template: str) -> bool:
    return any(t.lower() == template.lower() for t in issued_templates(client, ca_common_name))


def add(client: DirectoryClient, ca_common_name: str, template: str) -> bool:
    """Issue the template; False when it was issued already."""
    if is_issued(client, ca_common_name, template):
        return False
    try:
        client.modify(enrollment_service_dn(client, ca_common_name),
                      {"certificateTemplates": [(ldap3.MODIFY_ADD, [template])]}, kind="enrollment service")
    except Conflict:
        return False
    return True


def remove(client: DirectoryClient, ca_common_name: str, template: str) -> bool:
    """Stop issuing the template; False when it was not issued (or the CA object is gone)."""
    try:
        names = [t for t in issued_templates(client, ca_common_name) if t.lower() == template.lower()]
    except NotFound:
        return False
    if not names:
        return False
    try:
        client.modify(enrollment_service_dn(client, ca_common_name),
                      {"certificateTemplates": [(ldap3.MODIFY_DELETE, names)]}, kind="enrollment service")
    except InvalidValue as exc:
        if exc.code == 16:  # noSuchAttribute: someone removed it meanwhile
            return False
        raise
    return True
