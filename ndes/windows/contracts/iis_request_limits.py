"""IisRequestLimits.ps1: requestFiltering/requestLimits maxUrl and maxQueryString of one IIS site, set at the site's
location (Set-WebConfigurationProperty -Location) over the server's defaults (4096 / 2048; the guide asks 65534
for both); ensure absent removes the site-level values (the site inherits the server's again). The state holds the
effective values as IIS applies them."""
from __future__ import annotations

from typing import Literal

from pydantic import Field

from . import Contract

SCRIPT = "IisRequestLimits"
UINT_MAX = 0xFFFFFFFF
IIS_DEFAULTS = {"maxUrl": 4096, "maxQueryString": 2048}


class IisRequestLimitsParams(Contract):
    mode: Literal["get", "set"]
    site: str = "Default Web Site"
    max_url: int = Field(default=65534, ge=0, le=UINT_MAX)
    max_query_string: int = Field(default=65534, ge=0, le=UINT_MAX)
    ensure: Literal["present", "absent"] = "present"
    owner: str = ""


class IisRequestLimitsState(Contract):
    site: str
    site_exists: bool
    max_url: int | None = None
    max_query_string: int | None = None
    owner: str = ""

    def at_defaults(self) -> bool:
        return (self.max_url, self.max_query_string) == (IIS_DEFAULTS["maxUrl"], IIS_DEFAULTS["maxQueryString"])
