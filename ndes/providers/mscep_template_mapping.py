"""MscepTemplateMapping: which certificate template NDES hands to Intune's SCEP requests, in the MSCEP
registry values (SignatureTemplate / EncryptionTemplate / GeneralPurposeTemplate).

Inputs are the SCEP profile's key usage and the client template's name; the value to write is derived with
ndes.model.keyusage.mscep_mapping (never typed by hand). `read` maps the live registry back: the template found
in the derived value, or, when the template sits in another value, the key usage that value stands for, so
a wrong value written behind Pulumi's back shows as drift in the admin's words. Delete puts the values this
resource set back to the NDES default (IPSECIntermediateOffline). NDES reads the values when the SCEP
application pool starts, so after any change the SCEP pool is recycled (Restart-WebAppPool): without it NDES
keeps issuing from the template it loaded (IPSECIntermediateOffline after the install) until the next restart.
Only the recycle needs IIS (_iis.py): a delete on a host without IIS puts the values back and has no pool to
recycle; a create or update there stops, naming what to install.
"""
from __future__ import annotations

from typing import Any, ClassVar

from pydantic import field_validator

from ..model.field_rules import as_recorded
from ..model.keyusage import MSCEP_VALUES, check_mscep_values, mscep_mapping, mscep_value_for
from ..model.scep_fields import ScepKeyUsage
from ..model.template_fields import template_name as _template_name
from ..windows.contracts import Result, call
from ..windows.contracts import mscep_template_mapping as C
from ._iis import needs_iis, none_without_iis
from ._windows import host_of, unless_gone, WindowsInputs, WindowsProvider
from .base import Existing

SCRIPT = "MscepTemplateMapping"
DEFAULT = "IPSECIntermediateOffline"
_USAGE_OF = {"SignatureTemplate": ["digitalSignature"], "EncryptionTemplate": ["keyEncipherment"],
             "GeneralPurposeTemplate": ["digitalSignature", "keyEncipherment"]}


class MscepTemplateMappingInputs(WindowsInputs):
    key_usage: ScepKeyUsage
    """The SCEP profile's key usage: digitalSignature, keyEncipherment or both (the SCEP profile's own type)."""
    template_name: str
    """The client template's name (cn), e.g. NDES-Intune."""
    additional: dict[str, str] = {}
    """More MSCEP values -> template names (the other purposes' client templates, templates.moreClients)."""

    _name = field_validator("template_name")(_template_name)  # the rule of ndes:templates.*.name

    @field_validator("additional")
    @classmethod
    def _additional(cls, v: dict[str, str]) -> dict[str, str]:
        check_mscep_values(v)
        for name in v.values():
            _template_name(name)
        return v

    # read: an MSCEP value deleted (None) or emptied by hand, or naming any template, as the registry holds it
    _recorded_mapping = as_recorded("template_name", "additional")

    @field_validator("additional")
    @classmethod
    def _value_names(cls, v: Any) -> Any:
        """After as_recorded, so state keeps it too: read reports the declared value names, only their templates."""
        if isinstance(v, dict):
            check_mscep_values(v)
        return v


class MscepTemplateMappingProvider(WindowsProvider):
    Inputs = MscepTemplateMappingInputs

    @staticmethod
    def _id(inp: MscepTemplateMappingInputs) -> str:
        return f"{inp.endpoint.host}/mscep"

    def _call(self, inp: MscepTemplateMappingInputs, mode: str, templates: dict[str, str] | None = None,
              ensure: str = "present", recycle: bool = False) -> Result[C.MscepTemplateMappingState]:
        return call(host_of(inp), C.SCRIPT, C.MscepTemplateMappingParams(
            mode=mode, templates=templates or {}, ensure=ensure, owner=inp.owner, recycle=recycle),
            C.MscepTemplateMappingState)

    def _run(self, inp: MscepTemplateMappingInputs, mode: str, templates: dict[str, str] | None = None,
             **extra: Any) -> dict[str, Any]:
        return self._call(inp, mode, templates, **extra).state.wire()

    @staticmethod
    def _live(inp: MscepTemplateMappingInputs, st: dict[str, Any]) -> dict[str, Any]:
        values = st["values"]
        derived = mscep_value_for(inp.key_usage)
        key_usage, template = inp.key_usage, values.get(derived)
        if template != inp.template_name:
            holders = [n for n in MSCEP_VALUES if values.get(n) == inp.template_name]
            if holders:  # our template is in another value: the registry serves another key usage
                key_usage, template = _USAGE_OF[holders[0]], inp.template_name
        return {"keyUsage": key_usage, "templateName": template, "mscepValues": values,
                "registryValue": derived, "additional": {k: values.get(k) for k in inp.additional}}

    def find(self, inp: MscepTemplateMappingInputs) -> Existing | None:
        st = self._run(inp, "get")
        if not st["exists"]:
            return None
        if st.get("owner"):
            return Existing(self._id(inp), st["owner"])
        if st["values"].get(mscep_value_for(inp.key_usage)) == inp.template_name:
            return Existing(self._id(inp), None)  # mapped by hand already
        return None

    @needs_iis
    def apply(self, inp: MscepTemplateMappingInputs, existing: Existing | None) -> tuple[str, dict[str, Any]]:
        current = self._run(inp, "get")
        templates = {**inp.additional, **mscep_mapping(inp.key_usage, inp.template_name)}
        # the other purposes' templates the last run mapped: one dropped from templates.moreClients goes back to default
        earlier = {str(v) for v in (self.previous.get("additional") or {}).values() if v}
        ours = {inp.template_name, *inp.additional.values(), *earlier}
        for name in MSCEP_VALUES:  # our template left in a value of an earlier key usage goes back to default
            if name not in templates and current["values"].get(name) in ours:
                templates[name] = DEFAULT
        res = self._call(inp, "set", templates)
        st = res.state.wire()
        if res.changed:  # NDES reads the values at the SCEP pool's start: recycle it so they apply now
            st = self._run(inp, "set", {}, ensure="present", recycle=True)
        return self._id(inp), self._live(inp, st)


    def get(self, id_: str, inp: MscepTemplateMappingInputs) -> dict[str, Any] | None:
        st = self._run(inp, "get")
        return self._live(inp, st) if st["exists"] else None

    @none_without_iis  # no IIS: no SCEP pool to recycle
    def remove(self, id_: str, inp: MscepTemplateMappingInputs) -> None:
        with unless_gone("ObjectNotFound"):
            st = self._run(inp, "get")
            mine = {n for n in (inp.template_name, *inp.additional.values()) if n}  # a value read as gone: not ours
            ours = {n: DEFAULT for n in MSCEP_VALUES if st["values"].get(n) in mine}
            if st["exists"]:
                res = self._call(inp, "set", ours, ensure="absent")
                if res.changed:  # recycle; ensure absent again, so the owner mark stays cleared
                    self._run(inp, "set", {}, ensure="absent", recycle=True)
