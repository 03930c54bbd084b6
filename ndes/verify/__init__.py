"""`ndes verify`: a read-only diagnosis of a live NDES/SCEP chain through the project's own clients.

    from ndes.verify import Context, run
    results = run(Context(cfg))       # list[Result]: area, check, pass/warn/fail, detail, fix

One module per area: directory (LDAP), hosts (WinRM scripts in get mode), graph (App Proxy), external (the
SCEP URL as a device reaches it). `runner` orders them, reports progress and renders the table or JSON.
"""
from __future__ import annotations

from .context import Context
from .result import Result
from .runner import document, run, table

__all__ = ["Context", "Result", "document", "run", "table"]
