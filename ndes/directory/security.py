"""SIDs, GUIDs and self-relative security descriptors (MS-DTYP 2.4.2, 2.4.4, 2.4.5, 2.4.6), parsed and written here.

Only what the templates need is modelled: ACCESS_ALLOWED_ACE (0x00) and ACCESS_ALLOWED_OBJECT_ACE (0x05);
every other ACE type is kept as its raw bytes and written back unchanged, so a read-modify-write of a DACL
never loses what it does not understand. The SACL, owner and group are kept raw too (with the SD-flags
control asking for the DACL only, the DC returns neither).
"""
from __future__ import annotations

import re
import struct
import uuid
from dataclasses import dataclass, field
from typing import Iterable

__all__ = ["sid_to_str", "sid_from_str", "guid_to_str", "Ace", "Acl", "SecurityDescriptor",
           "ACCESS_ALLOWED", "ACCESS_ALLOWED_OBJECT", "INHERITED_ACE", "ADS_RIGHT_DS_CONTROL_ACCESS",
           "GENERIC_READ_DS", "ENROLL_GUID", "AUTOENROLL_GUID", "SE_DACL_PRESENT", "SE_SELF_RELATIVE"]

ACCESS_ALLOWED = 0x00
ACCESS_DENIED = 0x01
ACCESS_ALLOWED_OBJECT = 0x05
ACCESS_DENIED_OBJECT = 0x06
INHERITED_ACE = 0x10
ACE_OBJECT_TYPE_PRESENT = 0x1
ACE_INHERITED_OBJECT_TYPE_PRESENT = 0x2

# DS access rights (MS-ADTS 5.1.3.2)
ADS_RIGHT_DS_CONTROL_ACCESS = 0x100   # CR
ADS_RIGHT_DS_LIST_OBJECT = 0x80       # LO
ADS_RIGHT_DS_READ_PROPERTY = 0x10     # RP
ADS_RIGHT_ACTRL_DS_LIST = 0x4         # LC
READ_CONTROL = 0x20000                # RC
GENERIC_READ_DS = READ_CONTROL | ADS_RIGHT_DS_LIST_OBJECT | ADS_RIGHT_DS_READ_PROPERTY | ADS_RIGHT_ACTRL_DS_LIST  # 0x20094

ENROLL_GUID = "0e10c968-78fb-11d2-90d4-00c04f79dc55"
AUTOENROLL_GUID = "a05b8cc2-17bc-4802-a710-e7c15ab866a2"

SE_DACL_PRESENT = 0x0004
SE_SACL_PRESENT = 0x0010
SE_SELF_RELATIVE = 0x8000

_SID = re.compile(r"^S-1-(\d+)((?:-\d+)*)$", re.IGNORECASE)


def sid_to_str(raw: bytes) -> str:
    """Binary SID -> 'S-1-5-21-...'."""
    raw = bytes(raw)
    if len(raw) < 8:
        raise ValueError("a SID has at least 8 bytes")
    rev, count = raw[0], raw[1]
    if len(raw) < 8 + 4 * count:
        raise ValueError("truncated SID")
    auth = int.from_bytes(raw[2:8], "big")
    subs = struct.unpack(f"<{count}I", raw[8:8 + 4 * count])
    return f"S-{rev}-{auth}" + "".join(f"-{s}" for s in subs)


def sid_from_str(text: str) -> bytes:
    """'S-1-5-21-...' -> binary SID. Raises ValueError on anything else."""
    m = _SID.match(text.strip())
    if not m:
        raise ValueError(f"'{text}' is not a SID (S-1-5-...)")
    auth = int(m.group(1))
    subs = [int(s) for s in m.group(2).split("-")[1:]]
    if len(subs) > 15 or auth >= 1 << 48 or any(s >= 1 << 32 for s in subs):
        raise ValueError(f"'{text}' is not a valid SID")
    return bytes([1, len(subs)]) + auth.to_bytes(6, "big") + struct.pack(f"<{len(subs)}I", *subs)


def _sid_len(raw: bytes, off: int) -> int:
    return 8 + 4 * raw[off + 1]


def guid_to_str(raw: bytes) -> str:
    """objectGUID bytes (little-endian fields, as AD stores them) -> '0e10c968-78fb-11d2-...'."""
    return str(uuid.UUID(bytes_le=bytes(raw)))


@dataclass(frozen=True)
class Ace:
    """One ACE. For types other than ACCESS_ALLOWED(_OBJECT), `raw` holds the whole ACE and is written back."""

    type: int
    flags: int
    mask: int = 0
    sid: str = ""
    object_type: str | None = None
    inherited_object_type: str | None = None
    raw: bytes | None = None

    @property
    def inherited(self) -> bool:
        return bool(self.flags & INHERITED_ACE)

    @classmethod
    def parse(cls, data: bytes, off: int) -> tuple["Ace", int]:
        atype, aflags, size = struct.unpack_from("<BBH", data, off)
        if size < 4 or off + size > len(data):
            raise ValueError("malformed ACE size")
        body = data[off + 4:off + size]
        if atype == ACCESS_ALLOWED:
            (mask,) = struct.unpack_from("<I", body, 0)
            return cls(atype, aflags, mask, sid_to_str(body[4:4 + _sid_len(body, 4)])), size
        if atype == ACCESS_ALLOWED_OBJECT:
            mask, oflags = struct.unpack_from("<II", body, 0)
            p = 8
            ot = iot = None
            if oflags & ACE_OBJECT_TYPE_PRESENT:
                ot, p = guid_to_str(body[p:p + 16]), p + 16
            if oflags & ACE_INHERITED_OBJECT_TYPE_PRESENT:
                iot, p = guid_to_str(body[p:p + 16]), p + 16
            return cls(atype, aflags, mask, sid_to_str(body[p:p + _sid_len(body, p)]), ot, iot), size
        return cls(atype, aflags, raw=bytes(data[off:off + size])), size

    def to_bytes(self) -> bytes:
        if self.raw is not None:
            return self.raw
        sid = sid_from_str(self.sid)
        if self.type == ACCESS_ALLOWED:
            body = struct.pack("<I", self.mask) + sid
        elif self.type == ACCESS_ALLOWED_OBJECT:
            oflags = (ACE_OBJECT_TYPE_PRESENT if self.object_type else 0) | \
                     (ACE_INHERITED_OBJECT_TYPE_PRESENT if self.inherited_object_type else 0)
            body = struct.pack("<II", self.mask, oflags)
            if self.object_type:
                body += uuid.UUID(self.object_type).bytes_le
            if self.inherited_object_type:
                body += uuid.UUID(self.inherited_object_type).bytes_le
            body += sid
        else:
            raise ValueError(f"cannot build an ACE of type {self.type} without its raw bytes")
        return struct.pack("<BBH", self.type, self.flags, 4 + len(body)) + body

    def same_grant(self, other: "Ace") -> bool:
        """Same type, SID, mask and object types (flags aside): the same permission."""
        return (self.raw is None and other.raw is None and self.type == other.type and self.mask == other.mask
                and self.sid.upper() == other.sid.upper()
                and (self.object_type or "").lower() == (other.object_type or "").lower()
                and (self.inherited_object_type or "").lower() == (other.inherited_object_type or "").lower())


@dataclass
class Acl:
    revision: int = 4
    aces: list[Ace] = field(default_factory=list)

    @classmethod
    def parse(cls, data: bytes, off: int) -> "Acl":
        rev, _sbz1, size, count, _sbz2 = struct.unpack_from("<BBHHH", data, off)
        if off + size > len(data):
            raise ValueError("malformed ACL size")
        aces, p = [], off + 8
        for _ in range(count):
            ace, n = Ace.parse(data, p)
            aces.append(ace)
            p += n
        return cls(rev, aces)

    def to_bytes(self) -> bytes:
        body = b"".join(a.to_bytes() for a in self.aces)
        # revision 4 (ACL_REVISION_DS) is required as soon as an object ACE is present
        rev = 4 if any(a.type in (ACCESS_ALLOWED_OBJECT, ACCESS_DENIED_OBJECT) for a in self.aces) else self.revision
        return struct.pack("<BBHHH", rev, 0, 8 + len(body), len(self.aces), 0) + body

    def has(self, ace: Ace) -> bool:
        return any(a.same_grant(ace) for a in self.aces)

    def add(self, ace: Ace) -> bool:
        """Add an explicit ACE once, in canonical order (after the explicit ACEs, before the inherited ones).
        Returns False when an equal explicit grant is there already."""
        if any(a.same_grant(ace) and not a.inherited for a in self.aces):
            return False
        pos = next((i for i, a in enumerate(self.aces) if a.inherited), len(self.aces))
        self.aces.insert(pos, ace)
        return True

    def remove(self, ace: Ace) -> int:
        """Remove every explicit ACE granting exactly this; returns how many went."""
        keep = [a for a in self.aces if a.inherited or not a.same_grant(ace)]
        n = len(self.aces) - len(keep)
        self.aces = keep
        return n


@dataclass
class SecurityDescriptor:
    control: int = SE_SELF_RELATIVE | SE_DACL_PRESENT
    owner: bytes | None = None
    group: bytes | None = None
    sacl: bytes | None = None
    dacl: Acl | None = None

    @classmethod
    def parse(cls, data: bytes) -> "SecurityDescriptor":
        data = bytes(data)
        if len(data) < 20:
            raise ValueError("a security descriptor has at least 20 bytes")
        rev, _sbz, control, o_own, o_grp, o_sacl, o_dacl = struct.unpack_from("<BBHIIII", data, 0)
        if rev != 1 or not control & SE_SELF_RELATIVE:
            raise ValueError("not a self-relative security descriptor")
        owner = data[o_own:o_own + _sid_len(data, o_own)] if o_own else None
        group = data[o_grp:o_grp + _sid_len(data, o_grp)] if o_grp else None
        sacl = None
        if o_sacl and control & SE_SACL_PRESENT:
            size = struct.unpack_from("<H", data, o_sacl + 2)[0]
            sacl = data[o_sacl:o_sacl + size]
        dacl = Acl.parse(data, o_dacl) if o_dacl and control & SE_DACL_PRESENT else None
        return cls(control, owner, group, sacl, dacl)

    def to_bytes(self) -> bytes:
        control = self.control | SE_SELF_RELATIVE
        parts: list[bytes] = []
        off = 20
        offsets = []
        for blob in (self.owner, self.group, self.sacl, self.dacl.to_bytes() if self.dacl else None):
            if blob:
                offsets.append(off)
                parts.append(blob)
                off += len(blob)
            else:
                offsets.append(0)
        if self.dacl is not None:
            control |= SE_DACL_PRESENT
        if self.sacl is None:
            control &= ~SE_SACL_PRESENT  # a DACL-only write must not claim a (NULL) SACL
        header = struct.pack("<BBHIIII", 1, 0, control, offsets[0], offsets[1], offsets[2], offsets[3])
        return header + b"".join(parts)


def read_ace(sid: str) -> Ace:
    """Read: (A;;LCRPLORC;;;SID)."""
    return Ace(ACCESS_ALLOWED, 0, GENERIC_READ_DS, sid)


def enroll_ace(sid: str) -> Ace:
    """Enroll: (OA;;CR;0e10c968-78fb-11d2-90d4-00c04f79dc55;;SID)."""
    return Ace(ACCESS_ALLOWED_OBJECT, 0, ADS_RIGHT_DS_CONTROL_ACCESS, sid, ENROLL_GUID)


# ---- audit: who else can enroll or change the template (ESC1/ESC4, SpecterOps "Certified Pre-Owned") ------------
ADS_RIGHT_DS_WRITE_PROP = 0x20        # WP
ADS_RIGHT_DS_SELF = 0x8               # SW (validated write)
WRITE_DAC = 0x40000                   # WD
WRITE_OWNER = 0x80000                 # WO
GENERIC_ALL = 0x10000000              # GA
GENERIC_WRITE = 0x40000000            # GW
FULL_CONTROL_DS = 0xF01FF             # every DS right and the standard ones: what the console shows as Full Control
ADMIN_SIDS = {"S-1-5-18", "S-1-5-32-544", "S-1-5-9"}
"""SYSTEM, BUILTIN\\Administrators, Enterprise Domain Controllers; with the domain RIDs below: the built-in admins."""
ADMIN_RIDS = {"500", "512", "516", "518", "519"}
"""Administrator, Domain Admins, Domain Controllers, Schema Admins, Enterprise Admins (of any domain of the forest)."""
WELL_KNOWN = {"S-1-1-0": "Everyone", "S-1-5-11": "Authenticated Users", "S-1-5-7": "Anonymous",
              "S-1-5-32-545": "BUILTIN\\Users", "S-1-3-0": "CREATOR OWNER"}
WELL_KNOWN_RIDS = {"513": "Domain Users", "515": "Domain Computers", "514": "Domain Guests", "501": "Guest"}


def is_admin(sid: str) -> bool:
    return sid.upper() in ADMIN_SIDS or (sid.upper().startswith("S-1-5-21-") and sid.rsplit("-", 1)[1] in ADMIN_RIDS)


def sid_label(sid: str) -> str:
    """A readable name for the well-known SIDs an audit usually finds; the SID itself otherwise."""
    if sid.upper() in WELL_KNOWN:
        return f"{WELL_KNOWN[sid.upper()]} ({sid})"
    if sid.upper().startswith("S-1-5-21-") and sid.rsplit("-", 1)[1] in WELL_KNOWN_RIDS:
        return f"{WELL_KNOWN_RIDS[sid.rsplit('-', 1)[1]]} ({sid})"
    return sid


def dangerous_rights(ace: Ace) -> list[str]:
    """The rights of an allow ACE that let its holder enroll or change the template."""
    if ace.raw is not None or ace.type not in (ACCESS_ALLOWED, ACCESS_ALLOWED_OBJECT):
        return []
    out = []
    m = ace.mask
    if m & GENERIC_ALL or m & FULL_CONTROL_DS == FULL_CONTROL_DS:
        return ["FullControl"]
    ot = (ace.object_type or "").lower()
    if m & ADS_RIGHT_DS_CONTROL_ACCESS:  # an extended right: Enroll, AutoEnroll, or all of them (no object type)
        if ot in ("", ENROLL_GUID):
            out.append("Enroll")
        if ot in ("", AUTOENROLL_GUID):
            out.append("AutoEnroll")
    if m & (ADS_RIGHT_DS_WRITE_PROP | GENERIC_WRITE | ADS_RIGHT_DS_SELF):
        out.append("Write")
    if m & WRITE_DAC:
        out.append("WriteDACL")
    if m & WRITE_OWNER:
        out.append("WriteOwner")
    return out


@dataclass(frozen=True)
class ExtraGrant:
    sid: str
    rights: tuple[str, ...]
    inherited: bool

    def __str__(self) -> str:
        return f"{sid_label(self.sid)}: {'+'.join(self.rights)}" + (" (inherited)" if self.inherited else "")


def extra_grants(dacl: Acl | None, intended: list[str], deployer: Iterable[str] = ()) -> list[ExtraGrant]:
    """Every principal other than the built-in admins holding Enroll, AutoEnroll, write, WriteDACL, WriteOwner or
    full control; the `intended` SIDs (the enroll principals) may hold Enroll, nothing more.

    `deployer`: the SID of the account the stack binds as (ndes:domain.bindUser). A least-privilege bind account
    holds full control of the templates by delegation (docs/identities.md, "AD bind account": inherited from
    CN=Certificate Templates), as it must to write them; it is the stack's own identity, like the admins, not an
    extra grant. Any other account holding the same delegation is still reported."""
    if dacl is None:
        return []
    allowed = {s.upper() for s in intended}
    trusted = {s.upper() for s in deployer}
    found: dict[tuple[str, bool], list[str]] = {}
    for ace in dacl.aces:
        if is_admin(ace.sid) or ace.sid.upper() in trusted:
            continue
        rights = [r for r in dangerous_rights(ace) if not (r == "Enroll" and ace.sid.upper() in allowed)]
        if rights:
            have = found.setdefault((ace.sid, ace.inherited), [])
            have.extend(r for r in rights if r not in have)
    return [ExtraGrant(sid, tuple(r), inh) for (sid, inh), r in sorted(found.items())]


def remove_extra_grants(dacl: Acl, intended: list[str], deployer: Iterable[str] = ()) -> int:
    """Remove the explicit ACEs behind extra_grants (inherited ones can only change on the container); returns how
    many went. An intended principal's plain Read + Enroll ACEs stay, and so do the deployer's (see extra_grants)."""
    allowed = {s.upper() for s in intended}
    trusted = {s.upper() for s in deployer}
    keep, gone = [], 0
    for ace in dacl.aces:
        rights = [] if ace.inherited or is_admin(ace.sid) or ace.sid.upper() in trusted else \
            [r for r in dangerous_rights(ace) if not (r == "Enroll" and ace.sid.upper() in allowed)]
        if rights:
            gone += 1
        else:
            keep.append(ace)
    dacl.aces = keep
    return gone
