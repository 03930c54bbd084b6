"""The directory client's one exception tree, and the mapping from ldap3 results to it.

    DirectoryError
      NotFound       the object (or its parent) does not exist          (noSuchObject)
      Unavailable    the DC did not answer, TLS failed, busy/unavailable (socket errors, busy, unavailable, ...)
      AccessDenied   the bind was refused or the bound account lacks rights (invalidCredentials, insufficientAccessRights)
      Conflict       the object or value exists already (entryAlreadyExists, attributeOrValueExists)
      InvalidValue   the DC refused a value (constraintViolation, invalid syntax, naming/object class violation,
                     unwillingToPerform); `reason` carries the DC's own words (the extended error text)

A constraintViolation whose extended error is 000021C7 (ERROR_DS_SPN_VALUE_NOT_UNIQUE_IN_FOREST) or 000021C8
(ERROR_DS_UPN_VALUE_NOT_UNIQUE_IN_FOREST) is a Conflict: the forest already holds the value, or (KB5008382) an
alias of the SPN such as HOST/<host> for http/<host> on another account. `bind_failure` names the cause of a
refused bind from AD's "data <code>" (52e wrong password, 52f account restriction: Protected Users, ...).

Messages read "failed to <verb> <kind> '<id>' on <target>: <cause>". They never carry a secret: the caller
passes the secrets it holds in `secrets`, and any occurrence is masked before the message is built.
"""
from __future__ import annotations

import re
from typing import Any, Iterable

__all__ = ["DirectoryError", "NotFound", "Unavailable", "AccessDenied", "Conflict", "InvalidValue",
           "error_for_result", "mask", "bind_failure", "WIN32_SPN_NOT_UNIQUE", "WIN32_UPN_NOT_UNIQUE"]

# Win32 codes AD puts first in the extended error text ("000021C7: AtrErr: DSID-...")
WIN32_SPN_NOT_UNIQUE = 0x21C7   # ERROR_DS_SPN_VALUE_NOT_UNIQUE_IN_FOREST (8647)
WIN32_UPN_NOT_UNIQUE = 0x21C8   # ERROR_DS_UPN_VALUE_NOT_UNIQUE_IN_FOREST (8648)
_UNIQUENESS = {
    WIN32_SPN_NOT_UNIQUE: "the SPN, or an alias of it (KB5008382: http/<host> is an alias of HOST/<host> through "
                          "sPNMappings, and only an administrator may add it while another account holds "
                          "HOST/<host>), is already registered in the forest (0x21C7)",
    WIN32_UPN_NOT_UNIQUE: "another account in the forest already carries this userPrincipalName (0x21C8)",
}

# AcceptSecurityContext "data <hex>" sub-codes of a refused LDAP bind (invalidCredentials, 49)
_BIND_DATA = {
    "525": "the account does not exist",
    "52e": "the password is wrong (check ndes:domain.bindUser and ndes:domain.bindPassword)",
    "52f": "the account is restricted: a member of Protected Users cannot use a simple (NTLM-style) bind; use an "
           "account outside Protected Users for ndes:domain.bindUser (or remove it from the group)",
    "530": "the account may not log on at this time (logon hours)",
    "531": "the account may not log on from this workstation",
    "532": "the password has expired: set a new one, then update ndes:domain.bindPassword",
    "533": "the account is disabled",
    "701": "the account has expired",
    "773": "the password must be changed before the first logon: set a new one, then update ndes:domain.bindPassword",
    "775": "the account is locked out",
}


class DirectoryError(Exception):
    """Base of every error the directory client raises."""

    def __init__(self, message: str, *, reason: str = "", code: int | None = None):
        super().__init__(message)
        self.reason = reason
        self.code = code


class NotFound(DirectoryError):
    pass


class Unavailable(DirectoryError):
    pass


class AccessDenied(DirectoryError):
    pass


class Conflict(DirectoryError):
    pass


class InvalidValue(DirectoryError):
    pass


# LDAP result codes (RFC 4511) -> exception class
_BY_CODE: dict[int, type[DirectoryError]] = {
    32: NotFound,        # noSuchObject
    49: AccessDenied,    # invalidCredentials
    50: AccessDenied,    # insufficientAccessRights
    8: AccessDenied,     # strongerAuthRequired
    13: AccessDenied,    # confidentialityRequired
    48: AccessDenied,    # inappropriateAuthentication
    68: Conflict,        # entryAlreadyExists
    20: Conflict,        # attributeOrValueExists
    19: InvalidValue,    # constraintViolation (password policy, single-valued attribute, ...)
    16: InvalidValue,    # noSuchAttribute
    17: InvalidValue,    # undefinedAttributeType
    18: InvalidValue,    # inappropriateMatching
    21: InvalidValue,    # invalidAttributeSyntax
    34: InvalidValue,    # invalidDNSyntax
    53: InvalidValue,    # unwillingToPerform
    64: InvalidValue,    # namingViolation
    65: InvalidValue,    # objectClassViolation
    66: InvalidValue,    # notAllowedOnNonLeaf
    67: InvalidValue,    # notAllowedOnRDN
    69: InvalidValue,    # objectClassModsProhibited
    51: Unavailable,     # busy
    52: Unavailable,     # unavailable
    3: Unavailable,      # timeLimitExceeded
    11: Unavailable,     # adminLimitExceeded
    80: Unavailable,     # other (Samba uses it for internal errors)
}


def mask(text: str, secrets: Iterable[str | None] = ()) -> str:
    """`text` with every non-empty secret replaced by '***'."""
    for s in secrets:
        if s:
            text = text.replace(s, "***")
    return text


def error_for_result(verb: str, kind: str, ident: str, target: str, result: dict[str, Any] | None,
                     secrets: Iterable[str | None] = ()) -> DirectoryError:
    """The exception for a failed ldap3 operation result (`conn.result`)."""
    result = result or {}
    code = result.get("result")
    desc = result.get("description") or "error"
    detail = (result.get("message") or "").strip().rstrip("\x00").strip()
    reason = mask(f"{desc}: {detail}" if detail else str(desc), secrets)
    cls = _BY_CODE.get(code if isinstance(code, int) else -1, DirectoryError)
    win32 = extended_code(detail)
    if code == 19 and win32 in _UNIQUENESS:
        return Conflict(f"failed to {verb} {kind} '{ident}' on {target}: {_UNIQUENESS[win32]} ({reason})",
                        reason=reason, code=code)
    return cls(f"failed to {verb} {kind} '{ident}' on {target}: {reason}", reason=reason, code=code)


def extended_code(detail: str) -> int | None:
    """The Win32 code that opens AD's extended error text ("000021C7: AtrErr: ..."), if any."""
    m = re.match(r"\s*([0-9A-Fa-f]{8}):", detail or "")
    return int(m.group(1), 16) if m else None


def bind_failure(message: str) -> str | None:
    """What AD's "data <code>" of a refused bind means, or None when the text carries no known code."""
    m = re.search(r"\bdata ([0-9a-fA-F]{3,8})\b", message or "")
    return _BIND_DATA.get(m.group(1).lower().lstrip("0") or "0") if m else None
