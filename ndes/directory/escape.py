"""The one place LDAP values are escaped: DN attribute values (RFC 4514) and filter values (RFC 4515).

Every DN the client builds from a name goes through `rdn()` / `dn_value()`, every filter value through
`filter_value()` (or `eq()`); nothing else in the code joins a user value into a DN or a filter.
`check_name()` refuses what no escaping makes safe (NUL and other control characters, leading or trailing
spaces, over-long names) with a readable reason, before anything reaches the DC.
"""
from __future__ import annotations

import re

from ..model.field_rules import plain_name

__all__ = ["dn_value", "rdn", "child_dn", "filter_value", "eq", "check_name", "split_dn", "parent_dn",
           "rdn_value", "same_dn", "unescape_dn_value"]

_DN_SPECIAL = set(',+"\\<>;=')


def dn_value(value: str) -> str:
    """Escape an attribute value for use in a DN (RFC 4514 section 2.4; AD also wants '=' escaped).

    ',' '+' '"' '\\' '<' '>' ';' '=' get a backslash; a leading '#' or space and a trailing space are escaped;
    NUL, CR, LF and other control characters become \\XX hex pairs. Non-ASCII characters are kept as they are
    (ldap3 sends the DN as UTF-8).
    """
    out = []
    for i, ch in enumerate(value):
        if ch in _DN_SPECIAL:
            out.append("\\" + ch)
        elif ord(ch) < 0x20 or ch == "\x7f":
            out.append("".join(f"\\{b:02X}" for b in ch.encode("utf-8")))
        elif (i == 0 and ch in " #") or (i == len(value) - 1 and ch == " "):
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "".join(out)


def rdn(attr: str, value: str) -> str:
    """One RDN, e.g. rdn("CN", "a,b") == "CN=a\\,b"."""
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9-]*", attr):
        raise ValueError(f"'{attr}' is not an attribute type name")
    return f"{attr}={dn_value(value)}"


def child_dn(parent: str, value: str, attr: str = "CN") -> str:
    """The DN of the child named `value` under `parent` (which is already a DN)."""
    return f"{rdn(attr, value)},{parent}"


_FILTER = {"\\": r"\5c", "*": r"\2a", "(": r"\28", ")": r"\29", "\x00": r"\00"}


def filter_value(value: str) -> str:
    """Escape a value for an LDAP filter (RFC 4515): \\ * ( ) NUL become \\5c \\2a \\28 \\29 \\00."""
    return "".join(_FILTER.get(ch, ch) for ch in value)


def eq(attr: str, value: str) -> str:
    """An equality filter `(attr=value)` with the value escaped."""
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9-]*", attr):
        raise ValueError(f"'{attr}' is not an attribute type name")
    return f"({attr}={filter_value(value)})"


def check_name(value: str, what: str, max_len: int = 64) -> str:
    """Refuse names no escaping can carry safely (ndes.model.field_rules.plain_name: the one rule)."""
    return plain_name(value, what, max_len)


def split_dn(dn: str) -> list[str]:
    """The RDNs of a DN, still escaped, honouring backslash escapes (e.g. 'CN=a\\,b,DC=x' -> 2 parts).
    Unescaped spaces around an RDN are dropped; escaped ones ('\\ ') are kept."""
    parts: list[str] = []
    cur: list[str] = []

    def flush() -> None:
        while cur and cur[0] == " ":
            cur.pop(0)
        while cur and cur[-1] == " ":
            cur.pop()
        parts.append("".join(cur))
        cur.clear()

    i = 0
    while i < len(dn):
        ch = dn[i]
        if ch == "\\" and i + 1 < len(dn):
            cur.append(dn[i:i + 2])
            i += 2
            continue
        if ch == ",":
            flush()
        else:
            cur.append(ch)
        i += 1
    if cur or parts:
        flush()
    return parts


def parent_dn(dn: str) -> str:
    return ",".join(split_dn(dn)[1:])


def unescape_dn_value(value: str) -> str:
    """The inverse of `dn_value` (also reads \\XX hex pairs, as servers return them)."""
    out, i, pending = bytearray(), 0, value
    while i < len(pending):
        ch = pending[i]
        if ch == "\\" and i + 2 < len(pending) + 1 and re.fullmatch(r"[0-9A-Fa-f]{2}", pending[i + 1:i + 3] or ""):
            out.append(int(pending[i + 1:i + 3], 16))
            i += 3
        elif ch == "\\" and i + 1 < len(pending):
            out += pending[i + 1].encode("utf-8")
            i += 2
        else:
            out += ch.encode("utf-8")
            i += 1
    return out.decode("utf-8", errors="replace")


def rdn_value(dn: str) -> str:
    """The unescaped value of a DN's first RDN ('CN=a\\,b,DC=x' -> 'a,b')."""
    first = split_dn(dn)[0]
    return unescape_dn_value(first.split("=", 1)[1]) if "=" in first else first


def _norm(dn: str) -> list[tuple[str, str]]:
    out = []
    for part in split_dn(dn):
        attr, _, val = part.partition("=")
        out.append((attr.strip().lower(), unescape_dn_value(val).lower()))
    return out


def same_dn(a: str, b: str) -> bool:
    """DN equality as AD compares them: attribute names and values without case, escapes resolved."""
    return _norm(a) == _norm(b)
