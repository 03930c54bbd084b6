"""IisRequestLimits: request filtering limits of the NDES site (maxUrl, maxQueryString; the guide: 65534), so
long SCEP requests from Intune are not refused with 404.14/404.15.

`read` reports the effective values; changed behind Pulumi's back they show as drift and `up` sets them
again. Delete removes the site-level values (the site inherits the server's limits again). On a host without
IIS (_iis.py) the limits read as gone and delete has nothing to remove.
"""
from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field

from ..windows.contracts import call
from ..windows.contracts import iis_request_limits as C
from ._iis import needs_iis, none_without_iis
from ._windows import host_of, unless_gone, WindowsInputs, WindowsProvider
from .base import Existing

SCRIPT = C.SCRIPT
IIS_DEFAULTS = C.IIS_DEFAULTS


class IisRequestLimitsInputs(WindowsInputs):
    site: str = "Default Web Site"
    max_url: int = Field(default=65534, ge=0, le=0xFFFFFFFF)
    max_query_string: int = Field(default=65534, ge=0, le=0xFFFFFFFF)


class IisRequestLimitsProvider(WindowsProvider):
    Inputs = IisRequestLimitsInputs
    replace_on: ClassVar[frozenset[str]] = frozenset({"site"})

    def _run(self, inp: IisRequestLimitsInputs, mode: str, ensure: str = "present") -> C.IisRequestLimitsState:
        return call(host_of(inp), C.SCRIPT, C.IisRequestLimitsParams(
            mode=mode, site=inp.site, max_url=inp.max_url, max_query_string=inp.max_query_string, ensure=ensure,
            owner=inp.owner), C.IisRequestLimitsState).state

    @staticmethod
    def _id(inp: IisRequestLimitsInputs) -> str:
        return f"{inp.endpoint.host}/{inp.site}/requestLimits"

    @none_without_iis
    def find(self, inp: IisRequestLimitsInputs) -> Existing | None:
        st = self._run(inp, "get")
        if not st.site_exists:
            return None
        if st.owner:
            return Existing(self._id(inp), st.owner)
        if not st.at_defaults():
            return Existing(self._id(inp), None)  # someone set the limits by hand already
        return None

    @needs_iis
    def apply(self, inp: IisRequestLimitsInputs, existing: Existing | None) -> tuple[str, dict[str, Any]]:
        st = self._run(inp, "set", ensure="present")
        return self._id(inp), {"maxUrl": st.max_url, "maxQueryString": st.max_query_string}

    @none_without_iis
    def get(self, id_: str, inp: IisRequestLimitsInputs) -> dict[str, Any] | None:
        st = self._run(inp, "get")
        if not st.site_exists:
            return None
        return {"maxUrl": st.max_url, "maxQueryString": st.max_query_string}

    @none_without_iis  # IIS gone: nothing left
    def remove(self, id_: str, inp: IisRequestLimitsInputs) -> None:
        with unless_gone("ObjectNotFound"):  # the site gone: nothing left
            self._run(inp, "set", ensure="absent")
