"""SIDs and self-relative security descriptors: parsing, writing, adding an ACE once, removing exactly it."""
import struct
import uuid

import pytest

from ndes.directory.security import (ACCESS_ALLOWED, ACCESS_ALLOWED_OBJECT, ENROLL_GUID, GENERIC_READ_DS,
                                     INHERITED_ACE, Ace, Acl, SecurityDescriptor, enroll_ace, read_ace, sid_from_str,
                                     sid_to_str)

SID = "S-1-5-21-2239228039-820068840-3486536023-1105"


def test_sid_round_trip_and_known_encoding():
    assert sid_to_str(sid_from_str(SID)) == SID
    # S-1-5-18 (LocalSystem): revision 1, 1 sub-authority, authority 5 big-endian, 18 little-endian
    assert sid_from_str("S-1-5-18") == bytes([1, 1, 0, 0, 0, 0, 0, 5, 18, 0, 0, 0])
    for bad in ("S-1", "s-1-5-x", "1-5-18", "S-1-5-" + "-".join(["1"] * 16)):
        with pytest.raises(ValueError):
            sid_from_str(bad)


def test_enroll_ace_bytes_follow_ms_dtyp():
    raw = enroll_ace(SID).to_bytes()
    atype, flags, size = struct.unpack_from("<BBH", raw)
    mask, oflags = struct.unpack_from("<II", raw, 4)
    assert (atype, flags, size, mask, oflags) == (ACCESS_ALLOWED_OBJECT, 0, len(raw), 0x100, 1)
    assert raw[12:28] == uuid.UUID(ENROLL_GUID).bytes_le
    assert raw[28:] == sid_from_str(SID)
    assert read_ace(SID).mask == GENERIC_READ_DS == 0x20094


def _sd_with(aces: list[Ace], unknown: bytes = b"") -> bytes:
    body = b"".join(a.to_bytes() for a in aces) + unknown
    count = len(aces) + (1 if unknown else 0)
    acl = struct.pack("<BBHHH", 4, 0, 8 + len(body), count, 0) + body
    return struct.pack("<BBHIIII", 1, 0, 0x8004, 0, 0, 0, 20) + acl


def test_parse_write_round_trip_keeps_unknown_aces_byte_for_byte():
    # an ACCESS_DENIED_OBJECT ACE (type 6) the module does not model: kept raw
    denied = struct.pack("<BBHII", 6, 0, 12 + 16 + 12, 0x100, 1) + uuid.UUID(ENROLL_GUID).bytes_le + sid_from_str("S-1-5-18")
    raw = _sd_with([Ace(ACCESS_ALLOWED, 0, 0xF01FF, "S-1-5-18"), enroll_ace(SID)], denied)
    sd = SecurityDescriptor.parse(raw)
    assert [a.type for a in sd.dacl.aces] == [0, 5, 6]
    assert sd.dacl.aces[2].raw == denied
    assert sd.to_bytes() == raw


def test_add_once_in_canonical_position_and_remove_exactly():
    inherited = Ace(ACCESS_ALLOWED, INHERITED_ACE | 0x2, 0xF01FF, "S-1-5-18")
    acl = Acl(4, [Ace(ACCESS_ALLOWED, 0, 0xF01FF, "S-1-5-32-544"), inherited])
    assert acl.add(read_ace(SID)) and acl.add(enroll_ace(SID))
    assert not acl.add(enroll_ace(SID.lower()))          # once
    assert acl.aces[-1] == inherited                     # explicit ACEs stay before inherited ones
    assert acl.has(read_ace(SID)) and acl.has(enroll_ace(SID))
    other = Ace(ACCESS_ALLOWED_OBJECT, 0, 0x100, SID, "a05b8cc2-17bc-4802-a710-e7c15ab866a2")  # AutoEnroll
    acl.add(other)
    assert acl.remove(enroll_ace(SID)) == 1
    assert acl.has(other) and acl.has(read_ace(SID)) and not acl.has(enroll_ace(SID))
    # an inherited ACE equal to ours is never removed
    acl2 = Acl(4, [Ace(ACCESS_ALLOWED, INHERITED_ACE, GENERIC_READ_DS, SID)])
    assert acl2.remove(read_ace(SID)) == 0 and len(acl2.aces) == 1


def test_dacl_only_sd_written_without_owner_group_sacl():
    sd = SecurityDescriptor(dacl=Acl(4, [read_ace(SID)]))
    raw = sd.to_bytes()
    rev, _, control, o_own, o_grp, o_sacl, o_dacl = struct.unpack_from("<BBHIIII", raw)
    assert (rev, control & 0x8004, o_own, o_grp, o_sacl, o_dacl) == (1, 0x8004, 0, 0, 0, 20)
    assert SecurityDescriptor.parse(raw).dacl.aces == [read_ace(SID)]
