"""Helpers for tests that take one right of the lab's least-privilege bind account away (lab.samba_delegation)."""
from __future__ import annotations

import contextlib
import uuid

from lab import samba_delegation as lsd
from ndes.directory import DirectoryClient, DirectorySettings
from ndes.directory import accounts as acc
from ndes.directory.security import SecurityDescriptor

__all__ = ["admin", "without_right", "schema_guid", "right_guid"]


def admin(dc) -> DirectoryClient:
    return DirectoryClient.connect(DirectorySettings(dc.ldap_url, dc.bind_user, dc.bind_password,
                                                     ca_bundle=dc.ca_bundle))


@contextlib.contextmanager
def without_right(dc, target: str, object_type: str):
    """Take the delegated ACEs (pulumi-ndes, this object type) off `target` for the block; put them back after."""
    with admin(dc) as c:
        sid = acc.find_principal(c, lsd.BIND_ACCOUNT).sid
        sd = SecurityDescriptor.parse(c.read_dacl_sd(target))
        taken = [a for a in sd.dacl.aces if not a.inherited and a.sid == sid
                 and (a.object_type or "").lower() == object_type]
        assert taken, f"the lab delegation has no ACE for {object_type} on {target}"
        sd.dacl.aces = [a for a in sd.dacl.aces if a not in taken]
        c.write_dacl_sd(target, sd.to_bytes())
    try:
        yield
    finally:
        with admin(dc) as c:
            sd = SecurityDescriptor.parse(c.read_dacl_sd(target))
            for a in taken:
                sd.dacl.add(a)
            c.write_dacl_sd(target, sd.to_bytes())


def schema_guid(dc, name: str) -> str:
    with admin(dc) as c:
        [e] = c.search(f"CN=Schema,{dc.config_dn}", f"(lDAPDisplayName={name})", "one", ["schemaIDGUID"])
        return str(uuid.UUID(bytes_le=bytes(e["raw"]["schemaIDGUID"][0])))


def right_guid(dc, cn: str) -> str:
    with admin(dc) as c:
        [e] = c.search(f"CN=Extended-Rights,{dc.config_dn}", f"(cn={cn})", "one", ["rightsGuid"])
        v = e["attributes"]["rightsGuid"]
        return str(v[0] if isinstance(v, list) else v).lower()
