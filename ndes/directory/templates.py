"""Certificate templates in the Configuration partition: the pKICertificateTemplate object, its
msPKI-Enterprise-Oid companion under CN=OID, the forest base OID, and the Read + Enroll ACEs.

Values come from `ndes.model.templates` (template_attributes / template_settings); this module only moves
them to and from LDAP. Contracts:
- `forest_base_oid` returns msPKI-Cert-Template-OID of CN=OID, creating it when missing the way the
  Certificate Templates console does (1.3.6.1.4.1.311.21.8. + six random numbers); two writers racing both end
  with the one value that won (MODIFY_ADD on the single-valued attribute, then re-read).
- `new_template_oid` hangs a fresh OID under the base; the template keeps it for life (callers reuse the live one).
- `ensure_oid_object` creates or refreshes the msPKI-Enterprise-Oid object of a template OID
  (cn '<last arc>.<32 hex>', flags 1 = template OID, displayName, msPKI-Cert-Template-OID).
- `read_template` returns the raw attribute values by name (bytes for binary attributes) or None.
- `grant` / `revoke` change only the DACL (SD-flags 0x4), adding each ACE once and removing only exact matches.
"""
from __future__ import annotations

import hashlib
import secrets
from typing import Any, Iterable

import ldap3

from .client import DirectoryClient
from .errors import Conflict, DirectoryError, InvalidValue
from .escape import child_dn, eq
from .security import ExtraGrant, SecurityDescriptor, enroll_ace, extra_grants, read_ace, remove_extra_grants

__all__ = ["TEMPLATE_ATTRS", "BINARY_ATTRS", "INT_ATTRS", "MULTI_ATTRS", "templates_dn", "oid_container_dn",
           "template_dn", "read_template", "forest_base_oid", "new_template_oid", "ensure_oid_object",
           "find_oid_objects", "grant", "revoke", "granted", "write_template", "to_ldap"]

BASE_OID_PREFIX = "1.3.6.1.4.1.311.21.8"
CERT_OID_TYPE_TEMPLATE = 1
BINARY_ATTRS = {"pKIKeyUsage", "pKIExpirationPeriod", "pKIOverlapPeriod"}
INT_ATTRS = {"flags", "revision", "msPKI-Template-Schema-Version", "msPKI-Template-Minor-Revision",
             "pKIDefaultKeySpec", "pKIMaxIssuingDepth", "msPKI-Certificate-Name-Flag", "msPKI-Enrollment-Flag",
             "msPKI-Private-Key-Flag", "msPKI-Minimal-Key-Size", "msPKI-RA-Signature"}
MULTI_ATTRS = {"pKICriticalExtensions", "pKIExtendedKeyUsage", "msPKI-Certificate-Application-Policy",
               "pKIDefaultCSPs"}
TEMPLATE_ATTRS = sorted(BINARY_ATTRS | INT_ATTRS | MULTI_ATTRS | {
    "cn", "displayName", "msPKI-Cert-Template-OID", "adminDescription", "objectGUID"})


def templates_dn(client: DirectoryClient) -> str:
    return f"CN=Certificate Templates,{client.pks_dn}"


def oid_container_dn(client: DirectoryClient) -> str:
    return f"CN=OID,{client.pks_dn}"


def template_dn(client: DirectoryClient, name: str) -> str:
    return child_dn(templates_dn(client), name)


def _decode(name: str, raw: list[bytes]) -> Any:
    if name in BINARY_ATTRS or name == "objectGUID":
        return bytes(raw[0]) if raw else b""
    text = [bytes(v).decode("utf-8") for v in raw]
    if name in INT_ATTRS:
        return int(text[0]) if text else 0
    if name in MULTI_ATTRS:
        return text
    return text[0] if text else None


def read_template(client: DirectoryClient, dn: str) -> dict[str, Any] | None:
    """The template's attributes by name (binary as bytes, integers as int, multi-valued as lists)."""
    entry = client.get(dn, TEMPLATE_ATTRS, kind="certificate template")
    if entry is None:
        return None
    raw = {k.lower(): v for k, v in entry["raw"].items()}
    out = {"dn": entry["dn"]}
    for name in TEMPLATE_ATTRS:
        vals = raw.get(name.lower())
        if vals:
            out[name] = _decode(name, vals)
        elif name in MULTI_ATTRS:
            out[name] = []
    return out


def to_ldap(name: str, value: Any) -> list:
    """A model value as the list of LDAP values ldap3 sends."""
    if isinstance(value, list):
        return [str(v) for v in value]
    if isinstance(value, bytes):
        return [value]
    return [str(value)]


def write_template(client: DirectoryClient, dn: str, desired: dict[str, Any], live: dict[str, Any] | None,
                   owner_attr: str | None) -> list[str]:
    """Create the template, or replace the attributes that differ. Returns the names that changed."""
    if live is None:
        attrs: dict[str, Any] = {k: to_ldap(k, v) for k, v in desired.items() if v != []}
        if owner_attr:
            attrs["adminDescription"] = owner_attr
        client.add(dn, ["top", "pKICertificateTemplate"], attrs, kind="certificate template")
        return sorted(desired)
    changes: dict[str, list[tuple]] = {}
    for k, v in desired.items():
        cur = live.get(k, [] if k in MULTI_ATTRS else None)
        same = (sorted(cur) == sorted(v)) if k in MULTI_ATTRS else cur == v
        if not same:
            changes[k] = [(ldap3.MODIFY_REPLACE, to_ldap(k, v) if v != [] else [])]
    if owner_attr and live.get("adminDescription") != owner_attr:
        changes["adminDescription"] = [(ldap3.MODIFY_REPLACE, [owner_attr])]
    client.modify(dn, changes, kind="certificate template")
    return sorted(changes)


# ---- OIDs -----------------------------------------------------------------------------------------------
def forest_base_oid(client: DirectoryClient) -> str:
    dn = oid_container_dn(client)
    entry = client.get(dn, ["msPKI-Cert-Template-OID"], kind="OID container")
    if entry is None:
        raise DirectoryError(f"failed to read OID container '{dn}' on {client.target}: it does not exist "
                             f"(is this forest prepared for AD CS?)")
    current = entry["attributes"].get("msPKI-Cert-Template-OID")
    current = current[0] if isinstance(current, list) and current else current
    if current:
        return str(current)
    nums = [secrets.randbelow(16_777_215) + 1 for _ in range(5)] + [secrets.randbelow(255) + 1]
    value = ".".join([BASE_OID_PREFIX, *map(str, nums)])
    try:
        client.modify(dn, {"msPKI-Cert-Template-OID": [(ldap3.MODIFY_ADD, [value])]}, kind="forest base OID")
    except (Conflict, InvalidValue):
        pass  # another writer won the race: use its value
    entry = client.get(dn, ["msPKI-Cert-Template-OID"], kind="OID container")
    got = entry["attributes"].get("msPKI-Cert-Template-OID") if entry else None
    got = got[0] if isinstance(got, list) and got else got
    if not got:
        raise DirectoryError(f"failed to create forest base OID on {client.target}: it did not stick")
    return str(got)


def new_template_oid(base: str) -> str:
    return f"{base}.{secrets.randbelow(16_777_215) + 1}.{secrets.randbelow(16_777_215) + 1}"


def oid_object_cn(oid: str) -> str:
    """'<last arc>.<32 upper-case hex>' as Windows names them; the hex is derived from the OID, so stable."""
    return f"{oid.rsplit('.', 1)[1]}.{hashlib.md5(oid.encode()).hexdigest().upper()}"


def find_oid_objects(client: DirectoryClient, oid: str) -> list[dict]:
    return client.search(oid_container_dn(client), eq("msPKI-Cert-Template-OID", oid), "one",
                         ["cn", "displayName", "flags", "msPKI-Cert-Template-OID"], kind="template OID object")


def ensure_oid_object(client: DirectoryClient, oid: str, display_name: str) -> str:
    """Create (or refresh the displayName of) the msPKI-Enterprise-Oid object of a template OID."""
    found = find_oid_objects(client, oid)
    if found:
        e = found[0]
        dn = e["dn"]
        cur = e["attributes"].get("displayName")
        cur = cur[0] if isinstance(cur, list) and cur else cur
        if cur != display_name:
            client.modify(dn, {"displayName": [(ldap3.MODIFY_REPLACE, [display_name])]}, kind="template OID object")
        return dn
    dn = child_dn(oid_container_dn(client), oid_object_cn(oid))
    client.add(dn, ["top", "msPKI-Enterprise-Oid"],
               {"flags": str(CERT_OID_TYPE_TEMPLATE), "displayName": display_name, "msPKI-Cert-Template-OID": oid},
               kind="template OID object")
    return dn


def delete_oid_objects(client: DirectoryClient, oid: str) -> None:
    for e in find_oid_objects(client, oid):
        client.delete(e["dn"], kind="template OID object")


# ---- ACEs -----------------------------------------------------------------------------------------------
def _sd(client: DirectoryClient, dn: str) -> SecurityDescriptor:
    return SecurityDescriptor.parse(client.read_dacl_sd(dn, kind="certificate template"))


def granted(client: DirectoryClient, dn: str, sids: list[str]) -> list[str]:
    """The SIDs among `sids` that hold both Read and Enroll on the object."""
    dacl = _sd(client, dn).dacl
    if dacl is None:
        return []
    return [s for s in sids if dacl.has(read_ace(s)) and dacl.has(enroll_ace(s))]


def _change(client: DirectoryClient, dn: str, add: list[str], remove: list[str]) -> bool:
    sd = _sd(client, dn)
    if sd.dacl is None:
        raise DirectoryError(f"failed to read the DACL of certificate template '{dn}' on {client.target}: "
                             f"the object has none")
    changed = False
    for sid in remove:
        changed |= sd.dacl.remove(read_ace(sid)) > 0
        changed |= sd.dacl.remove(enroll_ace(sid)) > 0
    for sid in add:
        changed |= sd.dacl.add(read_ace(sid))
        changed |= sd.dacl.add(enroll_ace(sid))
    if changed:
        sd.owner = sd.group = sd.sacl = None
        client.write_dacl_sd(dn, sd.to_bytes(), kind="certificate template")
    return changed


def grant(client: DirectoryClient, dn: str, sids: list[str]) -> bool:
    """Add Read + Enroll for each SID once. Returns True when the DACL was written."""
    return _change(client, dn, sids, [])


def revoke(client: DirectoryClient, dn: str, sids: list[str]) -> bool:
    """Remove exactly the Read + Enroll ACEs of these SIDs (explicit ones only)."""
    return _change(client, dn, [], sids)


def audit_grants(client: DirectoryClient, dn: str, intended: list[str], deployer: Iterable[str] = ()) -> list[ExtraGrant]:
    """Who else can enroll on or change the template (see security.extra_grants; `deployer`: the bind account's
    SID)."""
    return extra_grants(_sd(client, dn).dacl, intended, deployer)


def remove_grants(client: DirectoryClient, dn: str, intended: list[str], deployer: Iterable[str] = ()) -> bool:
    """Remove the explicit extra grants; True when the DACL was written."""
    sd = _sd(client, dn)
    if sd.dacl is None or not remove_extra_grants(sd.dacl, intended, deployer):
        return False
    sd.owner = sd.group = sd.sacl = None
    client.write_dacl_sd(dn, sd.to_bytes(), kind="certificate template")
    return True
