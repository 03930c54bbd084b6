"""Who may enroll, as a Windows Enterprise CA decides it: the access rights and well-known SIDs, a security
descriptor's DACL parsed from its binary form, and the Enroll check against a requester's token (the template's
DACL in Samba, the CA's own security descriptor on the CA host). CaRefused: what a refusal raises. Used by lab/winrm_sim/ca.py.
"""
from __future__ import annotations

import struct
import uuid
from dataclasses import dataclass
from typing import Any, Iterable



ENROLL_GUID = uuid.UUID("0e10c968-78fb-11d2-90d4-00c04f79dc55")


CA_ENROLL = 0x200


CA_READ = 0x100


ADS_RIGHT_DS_CONTROL_ACCESS = 0x100


GENERIC_ALL = 0x10000000


EVERYONE = "S-1-1-0"


AUTHENTICATED_USERS = "S-1-5-11"


ADMINISTRATORS = "S-1-5-32-544"


class CaRefused(Exception):
    """The CA refused the request; `message` is what certreq / Get-Certificate would print."""

    def __init__(self, message: str, category: str = "PermissionDenied"):
        super().__init__(message)
        self.message = message
        self.category = category


# ---------------------------------------------------------------------------------------- security descriptors
@dataclass(frozen=True)
class Ace:
    type: int          # 0 allow, 1 deny, 5 allow-object, 6 deny-object
    flags: int
    mask: int
    sid: str
    object_type: uuid.UUID | None = None


def sid_from_bytes(raw: bytes, offset: int = 0) -> tuple[str, int]:
    rev, count = raw[offset], raw[offset + 1]
    auth = int.from_bytes(raw[offset + 2:offset + 8], "big")
    subs = struct.unpack_from(f"<{count}I", raw, offset + 8)
    return f"S-{rev}-{auth}" + "".join(f"-{s}" for s in subs), 8 + 4 * count


def parse_dacl(sd: bytes) -> list[Ace]:
    """The DACL entries of a self-relative security descriptor (MS-DTYP 2.4.6)."""
    if len(sd) < 20:
        return []
    dacl_off = struct.unpack_from("<I", sd, 16)[0]
    if not dacl_off:
        return []
    count = struct.unpack_from("<H", sd, dacl_off + 4)[0]
    pos, aces = dacl_off + 8, []
    for _ in range(count):
        a_type, a_flags, a_size = struct.unpack_from("<BBH", sd, pos)
        body = pos + 4
        mask = struct.unpack_from("<I", sd, body)[0]
        obj = None
        if a_type in (5, 6):
            oflags = struct.unpack_from("<I", sd, body + 4)[0]
            p = body + 8
            if oflags & 1:
                obj = uuid.UUID(bytes_le=bytes(sd[p:p + 16]))
                p += 16
            if oflags & 2:
                p += 16
            sid, _ = sid_from_bytes(sd, p)
        elif a_type in (0, 1):
            sid, _ = sid_from_bytes(sd, body + 4)
        else:
            pos += a_size
            continue
        aces.append(Ace(a_type, a_flags, mask, sid, obj))
        pos += a_size
    return aces


def may_enroll(aces: Iterable[Ace], token: set[str]) -> bool | None:
    """True/False from the first ACE that decides the Enroll extended right for `token`; None when none does."""
    for ace in aces:
        if ace.flags & 0x08 or ace.sid not in token:  # INHERIT_ONLY ACEs do not apply to the object itself
            continue
        if ace.type in (0, 1):
            hit = bool(ace.mask & (ADS_RIGHT_DS_CONTROL_ACCESS | GENERIC_ALL))
        else:
            hit = bool(ace.mask & ADS_RIGHT_DS_CONTROL_ACCESS) and ace.object_type in (None, ENROLL_GUID)
        if hit:
            return ace.type in (0, 5)
    return None


def ca_security_allows(ca_state: dict[str, Any], token: set[str]) -> bool:
    """The CA's own security descriptor (the simulated CertSvc\\Configuration\\<CA>\\Security value)."""
    allowed = False
    for ace in ca_state.get("security", []):
        if ace["sid"] in token and ace["mask"] & CA_ENROLL:
            if ace["type"] == "deny":
                return False
            allowed = True
    return allowed
