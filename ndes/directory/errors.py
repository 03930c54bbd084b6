"""The directory client's one exception tree, and the mapping from ldap3 results to it.

    DirectoryError
      NotFound       the object (or its parent) does not exist          (noSuchObject)
      Unavailable    the DC did not answer, TLS failed, busy/unavailable (socket errors, busy, unavailable, ...)
      AccessDenied   the bind was refused or the bound account lacks rights (invalidCredentials, insufficientAccessRights)
      Conflict       the object or value exists already (entryAlreadyExists, attributeOrValueExists)
      InvalidValue   the DC refused a value (constraintViolation, invalid syntax, naming/object class violation,
                     unwillingToPerform); `reason` carries the DC's own words (the extended error text)

Messages read "failed to <verb> <kind> '<id>' on <target>: <cause>". They never carry a secret: the caller
passes the secrets it holds in `secrets`, and any occurrence is masked before the message is built.
"""
from __future__ import annotations

from typing import Any, Iterable

__all__ = ["DirectoryError", "NotFound", "Unavailable", "AccessDenied", "Conflict", "InvalidValue",
           "error_for_result", "mask"]


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
    return cls(f"failed to {verb} {kind} '{ident}' on {target}: {reason}", reason=reason, code=code)
