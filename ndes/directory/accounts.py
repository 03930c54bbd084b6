"""Accounts: find and resolve principals, the NDES service account (user, password, enabled, SPNs), forest-wide
SPN duplicate checks like `setspn -s`.

Contracts:
- `find_principal(client, name)` looks a sAMAccountName up in the domain (the value is filter-escaped, so
  `x*)(cn=*` matches nothing but an account really named so); `resolve_sid` also accepts 'DOMAIN\\name' and
  'S-1-5-...'.
- `create_user` leaves nothing half-created: the user is added disabled, the password set, then enabled; if
  any step fails the user added in this call is deleted again and the first error is raised.
- `spn_holders` searches the whole forest for the SPN, as `setspn -s` does: through the global catalog of the
  same DC (3269 / 3268+StartTLS), or, when it serves none, every domain partition of the forest (crossRef
  objects with the NTDS-domain flag); a partition this DC does not hold is reported in `unchecked`, not guessed.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import ldap3

from .client import DirectoryClient
from .errors import Conflict, DirectoryError, NotFound
from .escape import child_dn, eq, filter_value, same_dn
from .security import guid_to_str, sid_to_str

__all__ = ["USER_ATTRS", "UF_ACCOUNTDISABLE", "UF_NORMAL_ACCOUNT", "UF_DONT_EXPIRE_PASSWD", "Principal",
           "find_principal", "resolve_sid", "create_user", "set_password", "spn_holders", "OWNER_PREFIX",
           "owner_of"]

UF_ACCOUNTDISABLE = 0x2
UF_NORMAL_ACCOUNT = 0x200
UF_DONT_EXPIRE_PASSWD = 0x10000
USER_ATTRS = ["sAMAccountName", "userPrincipalName", "description", "userAccountControl", "objectSid",
              "objectGUID", "servicePrincipalName", "pwdLastSet", "adminDescription", "cn", "objectClass"]
OWNER_PREFIX = "managed-by-pulumi:"
SYSTEM_FLAG_CR_NTDS_DOMAIN = 0x2


@dataclass
class Principal:
    dn: str
    sam: str
    sid: str
    guid: str
    attributes: dict[str, Any] = field(default_factory=dict)


def owner_of(attrs: dict[str, Any]) -> str | None:
    """The owner mark a resource left in adminDescription, if any."""
    v = attrs.get("adminDescription")
    v = v[0] if isinstance(v, list) and v else v
    return v[len(OWNER_PREFIX):] if isinstance(v, str) and v.startswith(OWNER_PREFIX) else None


def _principal(entry: dict) -> Principal:
    a, raw = entry["attributes"], entry["raw"]
    sid = sid_to_str(raw["objectSid"][0]) if raw.get("objectSid") else ""
    guid = guid_to_str(raw["objectGUID"][0]) if raw.get("objectGUID") else ""
    sam = a.get("sAMAccountName")
    return Principal(entry["dn"], sam[0] if isinstance(sam, list) else (sam or ""), sid, guid, a)


def find_principal(client: DirectoryClient, sam: str, attributes: list[str] | None = None) -> Principal | None:
    """The account with this sAMAccountName in the domain, or None."""
    found = client.search(client.domain_dn, eq("sAMAccountName", sam), "subtree",
                          sorted(set(USER_ATTRS + (attributes or []))), kind="account")
    if len(found) > 1:
        raise Conflict(f"failed to find account '{sam}' on {client.target}: {len(found)} accounts carry it")
    return _principal(found[0]) if found else None


def resolve_sid(client: DirectoryClient, name: str) -> str:
    """'S-1-5-...' as is; 'DOMAIN\\sam', 'sam@dns' or 'sam' -> the account's SID. NotFound when absent."""
    if name.upper().startswith("S-1-"):
        return name
    sam = name.split("\\", 1)[1] if "\\" in name else name
    p = find_principal(client, sam)
    if p is None:
        raise NotFound(f"failed to find account '{name}' on {client.target}: no account has that sAMAccountName")
    return p.sid


def read_user(client: DirectoryClient, dn: str) -> Principal | None:
    entry = client.get(dn, USER_ATTRS, kind="account")
    return _principal(entry) if entry else None


def set_password(client: DirectoryClient, dn: str, password: str) -> None:
    """Set (reset) the password through unicodePwd: the quoted password in UTF-16-LE, over TLS only."""
    value = f'"{password}"'.encode("utf-16-le")
    client.modify(dn, {"unicodePwd": [(ldap3.MODIFY_REPLACE, [value])]}, kind="account password",
                  secrets=(password,))


def create_user(client: DirectoryClient, parent: str, sam: str, upn: str, description: str, password: str,
                uac: int, owner: str | None) -> str:
    """Add the user disabled, set its password, then set `uac`; on failure delete it again. Returns the DN."""
    dn = child_dn(parent, sam)
    attrs: dict[str, Any] = {"sAMAccountName": sam, "userPrincipalName": upn,
                             "userAccountControl": str(UF_NORMAL_ACCOUNT | UF_ACCOUNTDISABLE)}
    if description:
        attrs["description"] = description
    if owner:
        attrs["adminDescription"] = OWNER_PREFIX + owner
    client.add(dn, ["top", "person", "organizationalPerson", "user"], attrs, kind="account")
    try:
        set_password(client, dn, password)
        client.modify(dn, {"userAccountControl": [(ldap3.MODIFY_REPLACE, [str(uac)])]}, kind="account")
    except DirectoryError:
        try:
            client.delete(dn, kind="account")
        except DirectoryError:
            pass
        raise
    return dn


def domain_partitions(client: DirectoryClient) -> list[str]:
    """Every domain naming context of the forest (from CN=Partitions of the configuration)."""
    entries = client.search(f"CN=Partitions,{client.config_dn}", "(objectClass=crossRef)", "one",
                            ["nCName", "systemFlags"], kind="partition list")
    out = []
    for e in entries:
        flags = e["attributes"].get("systemFlags")
        flags = flags[0] if isinstance(flags, list) else flags
        if int(flags or 0) & SYSTEM_FLAG_CR_NTDS_DOMAIN:
            nc = e["attributes"].get("nCName")
            out.append(nc[0] if isinstance(nc, list) else nc)
    return out or [client.domain_dn]


@dataclass
class SpnHolders:
    holders: list[str]
    """DNs of the accounts that carry the SPN."""
    unchecked: list[str]
    """Domain partitions this DC does not hold (searched through a GC or another DC only)."""


def spn_holders(client: DirectoryClient, spn: str) -> SpnHolders:
    """Who carries `spn` in the forest: through the global catalog when the DC serves one (as setspn -s does),
    else by searching each domain partition of the forest this DC holds."""
    flt = f"(servicePrincipalName={filter_value(spn)})"
    gc = client.global_catalog()
    if gc is not None:
        with gc:
            return SpnHolders([e["dn"] for e in gc.search("", flt, "subtree", ["cn"], kind="SPN")], [])
    holders, unchecked = [], []
    for nc in domain_partitions(client):
        try:
            found = client.search(nc, flt, "subtree", ["cn"], kind="SPN")
        except NotFound:
            unchecked.append(nc)
            continue
        except DirectoryError as exc:
            if exc.code == 10:  # referral: the partition lives on another DC
                unchecked.append(nc)
                continue
            raise
        holders += [e["dn"] for e in found]
    return SpnHolders(holders, unchecked)


def check_spns_free(client: DirectoryClient, spns: list[str], owner_dn: str | None, owner_label: str) -> list[str]:
    """Raise Conflict when an SPN is on another account (naming both); returns notes on unchecked partitions."""
    notes: list[str] = []
    for spn in spns:
        res = spn_holders(client, spn)
        others = [h for h in res.holders if not (owner_dn and same_dn(h, owner_dn))]
        if others:
            raise Conflict(f"failed to register SPN '{spn}' for {owner_label} on {client.target}: it is already "
                           f"registered on {', '.join(others)} (a duplicate SPN breaks Kerberos; remove it there "
                           f"with setspn -D {spn} <account>, or stop managing it here)")
        for nc in res.unchecked:
            note = f"SPN duplicates not checked in {nc} (held by another DC)"
            if note not in notes:
                notes.append(note)
    return notes


def as_list(v: Any) -> list:
    if v is None:
        return []
    return list(v) if isinstance(v, (list, tuple)) else [v]


def as_int(v: Any, default: int = 0) -> int:
    v = v[0] if isinstance(v, (list, tuple)) and v else v
    if v is None or v == []:
        return default
    if hasattr(v, "timestamp"):  # ldap3 decodes some integer8 times as datetime
        import datetime as _dt
        if v.year <= 1601:
            return 0
        epoch = _dt.datetime(1601, 1, 1, tzinfo=v.tzinfo or _dt.timezone.utc)
        return int((v - epoch).total_seconds() * 10_000_000)
    return int(v)
