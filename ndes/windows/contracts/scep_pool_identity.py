"""ScepPoolIdentity.ps1: the SCEP application pool's identity after a service-account password rotation.

NDES runs as the service account through the SCEP app pool (processModel: identityType SpecificUser, userName,
password). IIS keeps the password it was given; a password reset in AD leaves the pool with the old one, and the
next start or recycle of the pool fails to log on (WAS event 5021/5057: the identity is invalid; the pool stops
and NDES answers 503). The running worker keeps its logon token until then, so updating the pool's password and
then recycling it (an overlapped recycle: the new worker starts before the old one stops) rotates the password
without a failed request.

get: the pool's identity facts and whether its stored password equals the given one (`passwordMatches`;
    compared on the host, the stored password never leaves it; nothing is sent to a domain controller, so a
    check never counts as a bad logon towards the account's lockout).
set: action `update`  processModel := SpecificUser, userName, password; then Restart-WebAppPool SCEP.
"""
from __future__ import annotations

from typing import Literal

from pydantic import Field

from . import Contract

SCRIPT = "ScepPoolIdentity"
POOL = "SCEP"


class ScepPoolIdentityParams(Contract):
    mode: Literal["get", "set"]
    action: Literal["", "update"] = ""
    user_name: str
    password: str = Field(repr=False)


class ScepPoolIdentityState(Contract):
    exists: bool = False
    identity_type: str = ""
    """processModel.identityType (SpecificUser for NDES's service account)."""
    user_name: str = ""
    """processModel.userName as Windows keeps it."""
    password_matches: bool = False
    state: str = ""
    """Get-WebAppPoolState: Started | Stopped | Starting | Stopping."""
