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
- `check_spns_free` also checks SPN aliases (KB5008382, MS-ADTS 3.1.1.5.1.3): `http/<host>` is an alias of
  `HOST/<host>` through sPNMappings, and a DC lets only an administrator add it while another account (the NDES
  computer) holds `HOST/<host>`; for any other bind account it fails before writing, naming the `setspn -s`
  command an administrator runs.
- `clear_must_change`: a reset by an account without the Unexpire-Password right leaves pwdLastSet=0 ("must
  change at next logon", MS-SAMR 3.1.1.8.7); it writes pwdLastSet=-1 or names the missing right.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import ldap3

from .client import DirectoryClient
from .errors import AccessDenied, Conflict, DirectoryError, NotFound
from .escape import child_dn, eq, filter_value, same_dn
from .security import guid_to_str, sid_to_str

__all__ = ["USER_ATTRS", "UF_ACCOUNTDISABLE", "UF_NORMAL_ACCOUNT", "UF_DONT_EXPIRE_PASSWD", "Principal",
           "find_principal", "resolve_sid", "create_user", "set_password", "spn_holders", "OWNER_PREFIX",
           "owner_of", "bound_account", "is_admin", "spn_mappings", "check_spns_free", "clear_must_change"]

UF_ACCOUNTDISABLE = 0x2
UF_NORMAL_ACCOUNT = 0x200
UF_DONT_EXPIRE_PASSWD = 0x10000
USER_ATTRS = ["sAMAccountName", "userPrincipalName", "description", "userAccountControl", "objectSid",
              "objectGUID", "servicePrincipalName", "pwdLastSet", "adminDescription", "cn", "objectClass"]
OWNER_PREFIX = "managed-by-pulumi:"
SYSTEM_FLAG_CR_NTDS_DOMAIN = 0x2
# RIDs / SIDs whose members KB5008382 treats as administrators (exempt from the SPN alias check)
ADMIN_RIDS = (512, 519)          # Domain Admins, Enterprise Admins
BUILTIN_ADMINISTRATORS = "S-1-5-32-544"
UNEXPIRE_PASSWORD_RIGHT = "ccc2dc7d-a6ad-4a7a-8846-c04e3cc53501"


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


def bound_account(client: DirectoryClient) -> Principal | None:
    """The account the connection is bound as (by UPN, DOMAIN\\name or DN as given in bindUser)."""
    return bind_principal(client, client.settings.bind_user)


def bind_principal(client: DirectoryClient, user: str) -> Principal | None:
    """The account a bindUser value names (UPN, DOMAIN\\name, DN or sAMAccountName), or None."""
    if "=" in user and "," in user:
        entry = client.get(user, USER_ATTRS + ["tokenGroups"], kind="bind account")
        return _principal(entry) if entry else None
    if "\\" in user:
        return find_principal(client, user.split("\\", 1)[1])
    if "@" in user:
        found = client.search(client.domain_dn, eq("userPrincipalName", user), "subtree", USER_ATTRS,
                              kind="bind account")
        if len(found) == 1:
            return _principal(found[0])
        return find_principal(client, user.split("@", 1)[0])  # the implicit UPN <sAMAccountName>@<dns domain>
    return find_principal(client, user)


def token_sids(client: DirectoryClient, dn: str) -> list[str]:
    """The account's own SID and its transitive group SIDs (the constructed tokenGroups attribute)."""
    entry = client.get(dn, ["objectSid", "tokenGroups"], kind="account token")
    if entry is None:
        return []
    raw = entry["raw"]
    return [sid_to_str(v) for v in (raw.get("objectSid") or []) + (raw.get("tokenGroups") or [])]


def is_admin(client: DirectoryClient) -> bool:
    """Is the bound account a Domain Admin, Enterprise Admin or member of BUILTIN\\Administrators?"""
    me = bound_account(client)
    if me is None:
        return False
    for sid in token_sids(client, me.dn):
        if sid == BUILTIN_ADMINISTRATORS or (sid.startswith("S-1-5-21-") and int(sid.rsplit("-", 1)[1]) in ADMIN_RIDS):
            return True
    return False


def spn_mappings(client: DirectoryClient) -> dict[str, str]:
    """sPNMappings of the forest ("host=alerter,http,..."): alias service class -> the class it maps to."""
    dn = f"CN=Directory Service,CN=Windows NT,CN=Services,{client.config_dn}"
    entry = client.get(dn, ["sPNMappings"], kind="directory service settings")
    out: dict[str, str] = {}
    for value in as_list(entry["attributes"].get("sPNMappings") if entry else None):
        target, _, aliases = str(value).partition("=")
        for alias in aliases.split(","):
            if alias.strip():
                out.setdefault(alias.strip().lower(), target.strip())
    return out


def check_spns_free(client: DirectoryClient, spns: list[str], owner_dn: str | None, owner_label: str,
                    account: str = "<account>", writer: DirectoryClient | None = None,
                    admin_hint: str = "") -> list[str]:
    """Raise Conflict when an SPN is on another account (naming both), or when an alias of it (HOST/<host> for
    http/<host>) is on another account and the bound account is no administrator (KB5008382); returns notes on
    unchecked partitions. `writer` is the connection that will write the SPNs (`client` when None): its account's
    administrator status decides the alias case."""
    notes: list[str] = []
    admin: bool | None = None
    mappings: dict[str, str] | None = None
    for spn in spns:
        res = spn_holders(client, spn)
        others = [h for h in res.holders if not (owner_dn and same_dn(h, owner_dn))]
        if others:
            raise Conflict(f"failed to register SPN '{spn}' for {owner_label} on {client.target}: it is already "
                           f"registered on {', '.join(others)} (a duplicate SPN breaks Kerberos; remove it there "
                           f"with setspn -D {spn} <account>, or stop managing it here)")
        unchecked = list(res.unchecked)
        service, _, rest = spn.partition("/")
        if mappings is None:
            mappings = spn_mappings(client)
        target = mappings.get(service.lower())
        if target and rest:
            alias = f"{target}/{rest}"
            ares = spn_holders(client, alias)
            unchecked += ares.unchecked
            holders = [h for h in ares.holders if not (owner_dn and same_dn(h, owner_dn))]
            if holders:
                if admin is None:
                    admin = is_admin(writer or client)
                if not admin:
                    raise Conflict(
                        f"failed to register SPN '{spn}' for {owner_label} on {client.target}: '{alias}' is held by "
                        f"{', '.join(holders)}, and '{service}' is an alias of '{target}' in the forest's sPNMappings. "
                        f"Since KB5008382 a domain controller lets only an administrator add an SPN whose alias "
                        f"another account holds (constraintViolation 0x21C7), and the bind account "
                        f"'{(writer or client).settings.bind_user}' is not one. An administrator runs"
                        f"{'' if owner_dn else ' (once the account exists)'}: setspn -S {spn} {account}"
                        + (f" ({admin_hint})" if admin_hint else ""))
        for nc in unchecked:
            note = f"SPN duplicates not checked in {nc} (held by another DC)"
            if note not in notes:
                notes.append(note)
    return notes


def clear_must_change(client: DirectoryClient, dn: str, label: str) -> str | None:
    """After a reset: when the domain left pwdLastSet=0 ("must change password at next logon", which it does when
    the resetting account lacks Unexpire-Password, MS-SAMR 3.1.1.8.7), write pwdLastSet=-1 (now). Without the
    right: fail naming it, or, when the password never expires (the flag is then ignored, MS-SAMR 3.1.5.14.4),
    return a note."""
    entry = client.get(dn, ["pwdLastSet", "userAccountControl"], kind="account")
    if entry is None or as_int(entry["attributes"].get("pwdLastSet"), -1) != 0:
        return None
    try:
        client.modify(dn, {"pwdLastSet": [(ldap3.MODIFY_REPLACE, ["-1"])]}, kind="account password age")
        return None
    except AccessDenied as exc:
        grant = (f"grant '{client.settings.bind_user}' the 'Unexpire Password' extended right "
                 f"({UNEXPIRE_PASSWORD_RIGHT}) on the domain head {client.domain_dn} "
                 f"(dsacls \"{client.domain_dn}\" /G \"<DOMAIN>\\<bind account>:CA;Unexpire Password\") and "
                 f"Write pwdLastSet on the account (docs/identities.md, \"AD bind account\")")
        if as_int(entry["attributes"].get("userAccountControl")) & UF_DONT_EXPIRE_PASSWD:
            return (f"the password of {label} is marked 'must change at next logon' (pwdLastSet=0); it never "
                    f"expires, so logons work, but {grant}")
        raise AccessDenied(f"failed to clear 'must change password at next logon' on {label} on {client.target}: "
                           f"the password was set, but the domain marked it expired (pwdLastSet=0) and the bind "
                           f"account may not unexpire it ({exc.reason}); the NDES application pool could not log "
                           f"on. Fix: {grant}, or bind as a Domain Admin", reason=exc.reason, code=exc.code) from None


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
