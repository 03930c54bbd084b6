"""WindowsFeatures.ps1: Get-WindowsFeature / Install-WindowsFeature / Uninstall-WindowsFeature against the
host's feature list (features_catalog: unknown names are refused, parents and required features come along,
removing a feature removes what depends on it, payload-removed features need -Source), plus the record of
what this owner installed. Every request is validated against the contract
(ndes/windows/contracts/windows_features.py)."""
from __future__ import annotations

from ndes.windows.contracts.windows_features import WindowsFeaturesParams

from .. import hostmodel as hm
from ..features_catalog import CATALOG, canonical, closure_of, dependents_of
from . import HostContext, ScriptError, handler, result, validated

RECORD_KEY = r"HKLM:\SOFTWARE\Pulumi\NDES\InstalledFeatures"


def _record(st: dict, owner: str) -> list[str]:
    v = hm.get_value(st, RECORD_KEY, owner)
    return list(v["value"]) if v else []


def _set_record(st: dict, owner: str, names: list[str]) -> None:
    if names:
        hm.ensure_key(st, RECORD_KEY)
        hm.set_value(st, RECORD_KEY, owner, "MultiString", names)
    else:
        hm.delete_value(st, RECORD_KEY, owner)


def _read(st: dict, names: list[str]) -> tuple[list[dict], list[str]]:
    installed = set(st["features"]["installed"])
    out, unknown = [], []
    for n in names:
        c = canonical(n)
        if c is None:
            unknown.append(n)
            continue
        info = CATALOG[c]
        state = "Installed" if c in installed else ("Removed" if info["payloadRemoved"] else "Available")
        out.append({"name": c, "displayName": info["displayName"], "installed": c in installed,
                    "installState": state})
    return out, unknown


def install(st: dict, names: list[str]) -> bool:
    """Install-WindowsFeature: returns whether a restart is needed. Refuses payload-removed features."""
    todo = closure_of(names) - set(st["features"]["installed"])
    removed = sorted(n for n in todo if CATALOG[n]["payloadRemoved"])
    if removed:
        raise ScriptError("Installation of one or more roles, role services, or features failed.\r\nThe source "
                          "files could not be found. Use the \"Source\" option to specify the location of the "
                          "files that are required to install the feature. Error: 0x800f081f ("
                          + ", ".join(removed) + ")", "InvalidOperation")
    st["features"]["installed"] = sorted(set(st["features"]["installed"]) | todo)
    if "Web-WebServer" in todo:
        hm.ensure_iis(st)
    return False


def uninstall(st: dict, names: list[str]) -> bool:
    """Uninstall-WindowsFeature: removes the features and what depends on them; returns restart needed."""
    gone = dependents_of(names, st["features"]["installed"])
    st["features"]["installed"] = sorted(set(st["features"]["installed"]) - gone)
    if "Web-WebServer" in gone:
        st["iis"] = None
    restart = any(CATALOG[n]["restartOnUninstall"] for n in gone)
    if restart:
        hm.ensure_key(st, hm.CBS_REBOOT_PENDING)
    return restart


@handler("WindowsFeatures")
def windows_features(ctx: HostContext, raw: dict) -> dict:
    params = validated(WindowsFeaturesParams, raw).wire()
    mode = params["mode"]
    names = list(params["features"])
    owner = params["owner"] or "(no owner)"
    ensure = params["ensure"]
    st = ctx.state
    feats, unknown = _read(st, names)
    changed = reboot = False
    if mode == "set":
        record = _record(st, owner)
        if ensure == "absent":
            remove = [f["name"] for f in feats if f["installed"] and f["name"] in record]
            if remove:
                reboot = uninstall(st, remove)
                changed = True
            _set_record(st, owner, [n for n in record if n not in remove])
        else:
            if unknown:
                raise ScriptError("ArgumentNotValid: The role, role service, or feature name is not valid: "
                                  + ", ".join(unknown) + ". The name was not found.", "InvalidArgument")
            missing = [f["name"] for f in feats if not f["installed"]]
            if missing:
                reboot = install(st, missing)
                changed = True
                _set_record(st, owner, list(dict.fromkeys(record + missing)))
        if changed:
            feats, unknown = _read(st, names)
        if reboot:  # WindowsFeatures.ps1 records the restart it asks for (Set-RebootMark)
            hm.mark_reboot_pending(st)
    return result({"features": feats, "unknown": unknown, "installedByOwner": _record(st, owner),
                   "owner": str(params.get("owner") or "")}, changed=changed, reboot_required=reboot)
