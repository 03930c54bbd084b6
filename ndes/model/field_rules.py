"""Rules the stack config's fields share (names, secrets, endpoints) and the limits and constants behind them.

Kept apart from config.py so that file stays the shape of the configuration."""
from __future__ import annotations

import re
import unicodedata
from urllib.parse import urlsplit

from typing import Any

from pydantic import SecretStr, ValidationError, ValidationInfo, ValidatorFunctionWrapHandler, field_validator

CONTROL = re.compile(r"[\x00-\x1f\x7f]")
APP_NAME_MAX = 256
"""Entra directory objects' displayName limit (256 characters). Not confirmed in the stored Graph docs: a guess
that is safe in one direction (a name this long is useless in the portal anyway)."""
PROFILE_PREFIX_MAX = 100
"""Profile names are '<prefix> <kind> - <platform>'; a 100-character prefix keeps them readable and well under the
1 MB request that a 'million-character' prefix would make. Intune documents no limit: a guess."""
SID_VARIABLE = "{{OnPremisesSecurityIdentifier}}"
"""Intune's SID variable: in a URI SAN Intune writes tag:microsoft.com,2022-09-14:sid:<the user's SID>, the strong
mapping KB5014754 asks for. Intune supports it in user certificates for iOS/iPadOS, macOS and Windows only
(Microsoft, "Create and assign SCEP certificate profiles in Intune", Subject alternative name)."""
SID_SAN_PLATFORMS = ("ios", "macos", "windows")

RECORDED = {"recorded": True}
"""The validation context of inputs a provider loads from state (its `parse`), as opposed to inputs an admin
declares (the stack config, a provider's `check`). State holds what `read` found on the live object (a hand-made
1024-bit key, template_fields.rsa_key_size). The rules on what may be DECLARED (see `declared`, and `as_recorded`
for the inputs each provider's read fills) let such values through, so the state still loads for the diff that
shows the drift, the update or replace that fixes it and the delete; what a create or update applies was checked
as declared first."""


def declared(info: ValidationInfo | None) -> bool:
    """Whether a rule on declared values applies: always, except to inputs loaded from state (RECORDED)."""
    return not (info is not None and isinstance(info.context, dict) and info.context.get("recorded"))


def as_recorded(*fields: str) -> Any:
    """The validator of the inputs `read` fills from the live object (a value set by hand on the server: a registry
    value's REG_NONE type, SHA-1 chosen in the Intune portal, an IIS binding whose certificate was removed):
    declared (a provider's check), every rule on them applies with its own message; loaded from state (RECORDED), a
    value that breaks a rule, a Literal or the type is kept as `read` recorded it, so the state loads for the diff
    that shows the drift, the update or replace that fixes it and the delete. One line per Inputs class, named
    for the class (a subclass's own name must not hide its parent's) and declared LAST in it: it wraps the
    validators of those fields declared before it (the parents' included), not the ones after it."""
    def keep(cls: type, value: Any, handler: ValidatorFunctionWrapHandler, info: ValidationInfo) -> Any:
        try:
            return handler(value)
        except ValidationError:
            if declared(info):
                raise
            return value

    return field_validator(*fields, mode="wrap")(classmethod(keep))


def plain_name(v: str, what: str, max_len: int = 64) -> str:
    """Refuse names no escaping can carry safely (LDAP, registry, command lines): empty, control characters
    (NUL included), leading or trailing spaces, longer than `max_len`. Returns the value; raises ValueError
    naming `what`. The one rule for names: the config (model), the directory client and the providers use it."""
    if not isinstance(v, str) or not v:
        raise ValueError(f"{what} must not be empty")
    if v != v.strip():
        raise ValueError(f"{what} must not start or end with spaces")
    if CONTROL.search(v):
        raise ValueError(f"{what} must not contain control characters (NUL, tab, newline, ...)")
    if len(v) > max_len:
        raise ValueError(f"{what} is {len(v)} characters long; the limit is {max_len}")
    return v


def sam_account_name(v: str) -> str:
    """A sAMAccountName (the service account's): at most 20 characters, plain ASCII, none of the characters AD
    refuses, no final dot. The one rule: ndes:serviceAccount.name and the ServiceAccount resource's inputs."""
    plain_name(v, "the account name", 20)
    if not v.isascii() or any(unicodedata.category(ch) in ("Cf", "Zs") for ch in v):
        raise ValueError(f"'{v}' holds non-ASCII, invisible or space characters: a look-alike letter "
                         "(e.g. a Cyrillic 'е') or a zero-width space names a different account; use ASCII")
    bad = set('"/\\[]:;|=,+*?<>@') & set(v)
    if bad or v.endswith("."):
        raise ValueError(f"'{v}' is not a valid sAMAccountName: remove {''.join(sorted(bad)) or 'the final dot'}")
    return v


def secret(v: SecretStr | None) -> SecretStr | None:
    if v is not None and not v.get_secret_value().strip():
        raise ValueError("must not be empty (set it with pulumi config set --secret --path ...)")
    return v


def not_blank(v: str | None) -> str | None:
    if v is not None:
        plain_name(v, "the value", 1024)
    return v


def https_endpoint(v: str | None) -> str | None:
    """An https:// URL with a host and a valid port (credentials and tokens travel over it)."""
    if v is None:
        return v
    if CONTROL.search(v) or not v.lower().startswith("https://"):
        raise ValueError(f"'{v[:80]}' must be an https:// URL: credentials and tokens are sent over it")
    parts = urlsplit(v)
    try:
        parts.port
    except ValueError:
        raise ValueError(f"'{v[:80]}' has an invalid port (a number from 1 to 65535)") from None
    if not parts.hostname:
        raise ValueError(f"'{v[:80]}' has no host name")
    return v
