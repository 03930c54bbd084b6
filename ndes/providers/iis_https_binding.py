"""IisHttpsBinding: Default Web Site's https binding on 443 with an EMPTY host name and the SSL certificate.

A reader of the guide: the IIS dialog fills the host name with the machine name, and NDES then fails behind
App Proxy; so the host name is part of the desired state ("" by default) and a name set by hand reads back as
`hostName: "<that name>"`, shows in `pulumi refresh`/`preview --diff` and is put back by `pulumi up`.
A renewed certificate on a binding that has one is swapped IN PLACE (HttpSslCertUpdate.ps1: netsh http update
sslcert, atomic), never removed and added again (a moment without a binding, when TLS handshakes fail), with the
record's other settings (DS mapper, client certificate negotiation, Disable Legacy TLS, ...) read first and passed
again, since the update replaces the whole record; a netsh without `http update` (Windows Server 2012 R2) falls
back to IIS's remove-then-add.
Delete removes the binding only while it still carries this resource's certificate, by its exact element
(Remove-WebBinding -BindingInformation): another https binding on the port (a host name of someone else's) stays.
On a host without IIS (_iis.py) the binding reads as gone and delete has nothing to remove.
"""
from __future__ import annotations

from typing import Any, ClassVar

from pydantic import field_validator

from ..windows import ScriptFailed
from ..model import thumbprints
from ..model.field_rules import as_recorded
from ..windows.contracts import call
from ..windows.contracts import http_ssl_cert_update as H
from ..windows.contracts import iis_https_binding as C
from ._iis import needs_iis, none_without_iis
from ._windows import host_of, WindowsInputs, WindowsProvider
from .base import Existing

SCRIPT = "IisHttpsBinding"


class IisHttpsBindingInputs(WindowsInputs):
    site_name: str = "Default Web Site"
    port: int = 443
    ip_address: str = "*"
    host_name: str = ""
    thumbprint: str
    ssl_flags: int = 0

    @field_validator("thumbprint")
    @classmethod
    def _thumb(cls, v: str) -> str:
        t = thumbprints.normalized(v)
        if t is None:
            raise ValueError(f"'{v}' is not a certificate thumbprint (40 hex digits)")
        return t

    # read: a binding whose certificate was removed by hand (netsh http delete sslcert) reports thumbprint ""
    _recorded_binding = as_recorded("thumbprint")


class IisHttpsBindingProvider(WindowsProvider):
    Inputs = IisHttpsBindingInputs
    replace_on: ClassVar[frozenset[str]] = frozenset({"siteName", "port"})

    def _run(self, inp: IisHttpsBindingInputs, mode: str, actions: list[C.BindingAction] | None = None,
             owner_action: str = "") -> C.IisHttpsBindingState:
        params = C.IisHttpsBindingParams(mode=mode, site_name=inp.site_name, port=inp.port, thumbprint=inp.thumbprint,
                                         actions=actions or [], owner=inp.owner, owner_action=owner_action)
        return call(host_of(inp), C.SCRIPT, params, C.IisHttpsBindingState).state

    def _id(self, inp: IisHttpsBindingInputs) -> str:
        return f"{inp.site_name}/https/{inp.port}"

    @none_without_iis
    def find(self, inp: IisHttpsBindingInputs) -> Existing | None:
        st = self._run(inp, "get")
        if C.target(st) is None:
            return None
        return Existing(self._id(inp), st.owner or None)

    @staticmethod
    def _live(b: C.Binding, port: int) -> dict[str, Any]:
        return {"ipAddress": b.ip_address, "port": port, "hostName": b.host_name, "thumbprint": b.thumbprint,
                "sslFlags": b.ssl_flags, "bindingInformation": b.binding_information}

    @needs_iis
    def apply(self, inp: IisHttpsBindingInputs, existing: Existing | None) -> tuple[str, dict[str, Any]]:
        st = self._run(inp, "get")
        where = f"{inp.config_key or 'ndes:sslCertificate'}"
        if not st.site_exists:
            raise ScriptFailed(C.SCRIPT, inp.endpoint.host, f"the IIS site {inp.site_name} does not exist ({where})",
                               "ObjectNotFound")
        if not st.certificate_present:
            raise ScriptFailed(C.SCRIPT, inp.endpoint.host, f"the certificate {inp.thumbprint} is not in "
                               f"LocalMachine\\My ({where})", "ObjectNotFound")
        actions = C.plan(st, inp.ip_address, inp.port, inp.host_name, inp.ssl_flags, inp.thumbprint)
        if self._swap_in_place(inp, st, actions):
            actions = []
        st = self._run(inp, "set", actions, owner_action="set")
        cur = C.target(st)
        if cur is None:
            raise ScriptFailed(C.SCRIPT, inp.endpoint.host, f"no https binding on port {inp.port} after the change",
                               "NotSpecified")
        return self._id(inp), self._live(cur, inp.port)

    @staticmethod
    def _swap_in_place(inp: IisHttpsBindingInputs, st: C.IisHttpsBindingState,
                       actions: list[C.BindingAction]) -> bool:
        """Only a new certificate for a binding that has one: netsh http update sslcert. True when done."""
        cur = C.target(st)
        if [a.kind for a in actions] != ["certificate"] or cur is None or not cur.thumbprint:
            return False
        ipport = H.ipport_of(cur.binding_information)
        if ipport is None:
            return False
        host = host_of(inp)
        shown = call(host, H.SCRIPT, H.HttpSslCertUpdateParams(mode="read", ipport=ipport), H.HttpSslCertUpdateState)
        if shown.state.exit_code != 0:  # a binding with a certificate has its record: unread, its settings would go
            raise ScriptFailed(H.SCRIPT, inp.endpoint.host, f"could not read the HTTP.sys record of {ipport} "
                               f"({' '.join(x.strip() for x in shown.state.output if x.strip()) or 'no output'}): "
                               "the certificate is not swapped, so its other settings are not lost; run again "
                               f"({inp.config_key or 'ndes:sslCertificate'})", "NotSpecified")
        try:  # the update replaces the whole record: its other settings are passed again
            keep = H.update_settings(shown.state.output)
        except H.UnknownSetting as e:
            raise ScriptFailed(H.SCRIPT, inp.endpoint.host, f"the HTTP.sys record of {ipport} has a setting a "
                               f"certificate swap would drop ({e}): swap the certificate by hand keeping it, or clear it, "
                               f"then run again ({inp.config_key or 'ndes:sslCertificate'})", "NotSpecified")
        res = call(host, H.SCRIPT, H.HttpSslCertUpdateParams(ipport=ipport, certhash=inp.thumbprint, settings=keep),
                   H.HttpSslCertUpdateState).state
        outcome = H.outcome(res)
        if outcome == "failed":
            said = " ".join(line.strip() for line in res.output if line.strip())
            raise ScriptFailed(H.SCRIPT, inp.endpoint.host, f"netsh http update sslcert ipport={ipport} failed "
                               f"(exit {res.exit_code}): {said} ({inp.config_key or 'ndes:sslCertificate'})",
                               "NotSpecified")
        return outcome == "updated"

    @none_without_iis
    def get(self, id_: str, inp: IisHttpsBindingInputs) -> dict[str, Any] | None:
        cur = C.target(self._run(inp, "get"))
        return self._live(cur, inp.port) if cur is not None else None

    @none_without_iis
    def remove(self, id_: str, inp: IisHttpsBindingInputs) -> None:
        # only the binding that still carries this resource's certificate, by its exact element
        st = self._run(inp, "get")
        mine = [b for b in st.bindings if b.thumbprint.upper() == inp.thumbprint.upper()]
        mine.sort(key=lambda b: b.host_name != "")
        actions = [C.BindingAction(kind="remove", binding_information=mine[0].binding_information)] if mine else []
        self._run(inp, "set", actions, owner_action="clear")
