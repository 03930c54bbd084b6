"""Issuing a template on an Enterprise CA: the template's name in `certificateTemplates` of the CA's
pKIEnrollmentService object (CN=<CA CN>,CN=Enrollment Services,CN=Public Key Services,...).

`add` and `remove` touch only the one value (MODIFY_ADD / MODIFY_DELETE of that value), so names other people
issued stay; both are idempotent.
"""
from __future__ import annotations

import ldap3

from .client import DirectoryClient
from .errors import Conflict, InvalidValue, NotFound
from .escape import child_dn

__all__ = ["enrollment_service_dn", "issued_templates", "is_issued", "add", "remove"]


def enrollment_service_dn(client: DirectoryClient, ca_common_name: str) -> str:
    return child_dn(f"CN=Enrollment Services,{client.pks_dn}", ca_common_name)


def issued_templates(client: DirectoryClient, ca_common_name: str) -> list[str]:
    dn = enrollment_service_dn(client, ca_common_name)
    entry = client.get(dn, ["certificateTemplates"], kind="enrollment service")
    if entry is None:
        raise NotFound(f"failed to read enrollment service '{ca_common_name}' on {client.target}: there is no "
                       f"{dn} (is ca.commonName the CA's name, and is the Enterprise CA installed?)")
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
