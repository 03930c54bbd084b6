"""MscepTemplateMapping.ps1: the three MSCEP values under HKLM\\SOFTWARE\\Microsoft\\Cryptography\\MSCEP (the
key the NDES role install creates with IPSECIntermediateOffline in each)."""
from __future__ import annotations

from .. import hostmodel as hm
from . import HostContext, ScriptError, handler, mode_of, result

VALUES = ("SignatureTemplate", "EncryptionTemplate", "GeneralPurposeTemplate")
MARK = "MscepTemplateMapping"


def read(st: dict) -> dict:
    out = {}
    for n in VALUES:
        v = hm.get_value(st, hm.MSCEP_KEY, n)
        out[n] = None if v is None else str(v["value"]) if v["type"] in ("String", "ExpandString") else v["value"]
    return out


@handler("MscepTemplateMapping")
def mscep_template_mapping(ctx: HostContext, params: dict) -> dict:
    mode = mode_of(params)
    st = ctx.state
    owner = str(params.get("owner") or "")
    ensure = params.get("ensure") or "present"
    exists = hm.key_exists(st, hm.MSCEP_KEY)
    changed = False
    if mode == "set":
        if not exists:
            raise ScriptError("the MSCEP registry key does not exist: install the NDES role "
                              "(ADCS-Device-Enrollment) first", "ObjectNotFound")
        templates = params.get("templates") or {}
        if not isinstance(templates, dict):
            raise ScriptError("templates must be an object of value name -> template name", "InvalidArgument")
        current = read(st)
        for name, value in templates.items():
            if name not in VALUES:
                raise ScriptError(f"'{name}' is not an MSCEP template value; use {', '.join(VALUES)}",
                                  "InvalidArgument")
            want = hm.MSCEP_DEFAULT if ensure == "absent" else ("" if value is None else str(value))
            if current[name] != want:
                hm.set_value(st, hm.MSCEP_KEY, name, "String", want)
                changed = True
        if ensure == "absent":
            hm.clear_owner_mark(st, MARK)
        elif owner:
            hm.set_owner_mark(st, MARK, owner)
    recycled = False
    if mode == "set" and params.get("recycle"):  # Restart-WebAppPool SCEP: NDES reads the values again
        if not hm.iis_installed(st):
            raise ScriptError("The specified module 'WebAdministration' was not loaded because no valid module file "
                              "was found in any module directory.", "ResourceUnavailable")
        if "SCEP" not in ((st.get("iis") or {}).get("appPools") or {}):
            raise ScriptError("Cannot find path 'IIS:\\AppPools\\SCEP' because it does not exist.", "ObjectNotFound")
        hm.start_app_pool(st, "SCEP")
        recycled = changed = True
    return result({"exists": exists, "values": read(st), "owner": hm.owner_mark(st, MARK) or "",
                   "recycled": recycled}, changed=changed)
