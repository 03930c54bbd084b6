"""RegistryValues.ps1: a list of HKLM values; set converges them (or removes them with ensure=absent) and,
with markRebootPending, records that the change needs a restart during this boot. Every request is validated
against the contract (ndes/windows/contracts/registry_values.py)."""
from __future__ import annotations

from ndes.windows.contracts.registry_values import RegistryValuesParams

from .. import hostmodel as hm
from . import HostContext, ScriptError, handler, result, validated
from ._registry import check_path, read, same, to_data, write


@handler("RegistryValues")
def registry_values(ctx: HostContext, raw: dict) -> dict:
    params = validated(RegistryValuesParams, raw).wire()
    mode = params["mode"]
    values = params["values"]
    ensure = params["ensure"]
    mark, owner = params["mark"], params["owner"]
    st = ctx.state
    changed = reboot = False
    for v in values:
        path, name = v["path"], v["name"]
        check_path(path)
        if mode != "set":
            continue
        current = read(st, path, name)
        if ensure == "absent":
            if current["exists"]:
                hm.delete_value(st, path, name)
                changed = True
            continue
        kind = str(v.get("type"))
        if kind not in hm.REG_TYPES:
            raise ScriptError(f"registry type '{kind}' of {path}\\{name} is not one of {', '.join(hm.REG_TYPES)}",
                              "OperationStopped")
        data = to_data(kind, v.get("value"))
        if not same(current, kind, data):
            write(st, path, name, kind, data)
            changed = True
    if mode == "set":
        if changed and ensure != "absent" and params.get("markRebootPending"):
            hm.mark_reboot_pending(st)
            reboot = True
        if mark:
            if ensure == "absent":
                hm.clear_owner_mark(st, mark)
            elif owner:
                hm.set_owner_mark(st, mark, owner)
    state = {"values": [read(st, str(v["path"]), str(v["name"])) for v in values],
             "owner": hm.owner_mark(st, mark) if mark else None}
    return result(state, changed=changed, reboot_required=reboot)
