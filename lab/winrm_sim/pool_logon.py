"""Whether an IIS application pool's worker can log its identity on (the SCEP pool runs as NDES's account).

IIS keeps the password it was given for a SpecificUser pool and logs the account on each time a worker starts
(a batch logon on the domain controller). After the password is reset in AD, the stored one no longer works: the
start fails (WAS events 5021 / 5057) and the pool stops. The running worker is unaffected until then.

The lab's Samba accepts the previous password for an hour after a reset ("old password allowed period", 60
minutes by default, smb.conf(5)); Windows accepts it only for NTLM network logons (KB 906305, "New setting
modifies NTLM network authentication behavior"), not for the batch logon of a pool. So a bind alone cannot tell:
the model records the account's pwdLastSet when IIS is given a password that works; after a later reset (a newer
pwdLastSet) the stored password logs on only if it is the account's current one (a reset to the same password, as
an adoption does, keeps the pool working on Windows): the lab compares its NT hash with the unicodePwd the lab
DC holds, read from the DC's own sam.ldb with ldbsearch (lab tooling: ldb-tools).
"""
from __future__ import annotations

from typing import Any


def _pwd_last_set(view: Any, sam: str) -> int | None:
    from ldap3.utils.conv import escape_filter_chars

    conn = view.connect()
    try:
        conn.search(view._get("domain_dn"), f"(sAMAccountName={escape_filter_chars(sam)})", attributes=["pwdLastSet"])
        if not conn.entries:
            return None
        raw = conn.entries[0]["pwdLastSet"].raw_values
        return int(raw[0]) if raw else 0
    finally:
        conn.unbind()


def _sam(pool: dict[str, Any]) -> str | None:
    user = str(pool.get("userName") or "")
    return user.split("\\", 1)[1] if "\\" in user else None


def given(pool: dict[str, Any]) -> None:
    """IIS was just given `pool["password"]`: record the account's pwdLastSet when that password works."""
    sam = _sam(pool)
    if sam is None:
        return
    try:
        from .ca import SambaView
        view = SambaView()
        pool["pwdLastSet"] = _pwd_last_set(view, sam) if view.check_password(sam, str(pool.get("password") or "")) \
            else -1
    except Exception:  # noqa: BLE001 - no lab DC (a model without one): nothing recorded, the logon is not judged
        pool.pop("pwdLastSet", None)


def works(pool: dict[str, Any]) -> bool:
    """Whether a worker starting now can log the pool's identity on with the stored password."""
    sam = _sam(pool)
    if sam is None or "pwdLastSet" not in pool:
        return True
    if pool["pwdLastSet"] == -1:
        return False  # the password IIS was given never worked
    try:
        from .ca import SambaView
        now = _pwd_last_set(SambaView(), sam)
    except Exception:  # noqa: BLE001
        return True
    if now is None:
        return False  # the account is gone
    if now <= int(pool["pwdLastSet"]):
        return True
    current = _current_nt_hash(sam)  # reset since: only the current password logs a batch logon on
    if current is None:
        return False
    from spnego._ntlm_raw.crypto import ntowfv1
    return ntowfv1(str(pool.get("password") or "")) == current


def _current_nt_hash(sam: str) -> bytes | None:
    """The account's current NT hash (unicodePwd) as the lab DC stores it, or None when it cannot be read."""
    import base64
    import subprocess

    from ldap3.utils.conv import escape_filter_chars

    from lab.samba_layout import samba_dir
    try:
        out = subprocess.run(["ldbsearch", "-H", str(samba_dir() / "private" / "sam.ldb"),
                              f"(sAMAccountName={escape_filter_chars(sam)})", "unicodePwd"],
                             capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    for line in out.splitlines():
        if line.startswith("unicodePwd:: "):
            return base64.b64decode(line.split(":: ", 1)[1])
    return None
