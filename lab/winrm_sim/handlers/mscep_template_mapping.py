"""MscepTemplateMapping.ps1: the three MSCEP values under HKLM\\SOFTWARE\\Microsoft\\Cryptography\\MSCEP (the
key the NDES role install creates with IPSECIntermediateOffline in each); every request is validated against the
contract (ndes/windows/contracts/mscep_template_mapping.py). recycle restarts the SCEP pool, which reads the
values again (hostmodel.start_app_pool)."""
from __future__ import annotations

from ndes.windows.contracts.mscep_template_mapping import MscepTemplateMappingParams

from .. import hostmodel as hm
from . import HostContext, ScriptError, handler, result, validated
from ._webadministration import import_webadministration

VALUES = ("SignatureTemplate", "EncryptionTemplate", "GeneralPurposeTemplate")
MARK = "MscepTemplateMapping"


def read(st: dict) -> dict:
    out = {}
    for n in VALUES:
        v = hm.get_value(st, hm.MSCEP_KEY, n)
        out[n] = None if v is None else str(v["value"]) if v["type"] in ("String", "ExpandString") else v["value"]
    return out


@handler("MscepTemplateMapping")
def mscep_template_mapping(ctx: HostContext, raw: dict) -> dict:
    p = validated(MscepTemplateMappingParams, raw)
    st = ctx.state
    exists = hm.key_exists(st, hm.MSCEP_KEY)
    changed = False
    if p.mode == "set":
        if not exists:
            raise ScriptError("the MSCEP registry key does not exist: install the NDES role "
                              "(ADCS-Device-Enrollment) first", "ObjectNotFound")
        current = read(st)
        for name, value in p.templates.items():
            want = hm.MSCEP_DEFAULT if p.ensure == "absent" else value
            if current[name] != want:
                hm.set_value(st, hm.MSCEP_KEY, name, "String", want)
                changed = True
        if p.ensure == "absent":
            hm.clear_owner_mark(st, MARK)
        elif p.owner:
            hm.set_owner_mark(st, MARK, p.owner)
    recycled = False
    if p.mode == "set" and p.recycle:  # Restart-WebAppPool SCEP: NDES reads the values again
        import_webadministration(st)
        if "SCEP" not in ((st.get("iis") or {}).get("appPools") or {}):
            raise ScriptError("Cannot find path 'IIS:\\AppPools\\SCEP' because it does not exist.", "ObjectNotFound")
        hm.start_app_pool(st, "SCEP")
        recycled = changed = True
    return result({"exists": exists, "values": read(st), "owner": hm.owner_mark(st, MARK) or "",
                   "recycled": recycled}, changed=changed)
