"""A certificate thumbprint as Windows shows it (Get-ChildItem Cert:\\LocalMachine\\My, IIS, netsh): 40 hex digits
of the SHA-1 of the DER. One spelling for everything that compares or sends one: upper case, no spaces or colons."""
from __future__ import annotations

import re

_HEX40 = re.compile(r"[0-9A-F]{40}")


def normalized(value: str) -> str | None:
    """`value` in the one spelling (spaces and colons dropped, upper case), or None when it is not a thumbprint."""
    t = (value or "").replace(" ", "").replace(":", "").upper()
    return t if _HEX40.fullmatch(t) else None
