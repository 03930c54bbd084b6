"""The simulated Windows hosts' state: what a fresh Windows Server 2022 holds, and small accessors the
handlers share (registry, features, IIS, local groups, boot). Plain JSON data, persisted by store.py.

    {"name", "role": "ndes"|"ca", "boot": {"bootId"},
     "features": {"installed": [names]},
     "registry": {<lowercase key path>: {"path": <as created>, "values": {<lowercase name>:
                  {"name", "type": String|ExpandString|DWord|QWord|MultiString|Binary, "value"}}}},
     "localGroups": {<name>: {"name", "members": [{"name": "DOMAIN\\user", "objectClass", "principalSource"}]}},
     "iis": null | {"serverRequestLimits": {...}, "sites": {<name>: {"requestLimits": {...}, "bindings": [...]}}}}
"""
from __future__ import annotations

import datetime as _dt
from typing import Any

from lab import topology

from . import clock

from .features_catalog import CATALOG, DEFAULT_INSTALLED, closure_of

REG_TYPES = ("String", "ExpandString", "DWord", "QWord", "MultiString", "Binary")
CBS_REBOOT_PENDING = r"HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\Component Based Servicing\RebootPending"
PULUMI_KEY = r"HKLM:\SOFTWARE\Pulumi\NDES"
SESSION_MANAGER = r"HKLM:\SYSTEM\CurrentControlSet\Control\Session Manager"
PATCH_LEFTOVER = [r"\??\C:\Windows\SoftwareDistribution\Download\Install\pending.tmp", ""]
"""A PendingFileRenameOperations entry as patching leaves it (REG_MULTI_SZ pairs: source, empty = delete)."""
ORPHANED_SID = "S-1-5-21-3623811015-3361044348-30300820-1108"
"""A domain SID that no longer resolves (its account was deleted), as IIS_IUSRS often keeps one."""
IIS_SERVER_DEFAULTS = {"maxUrl": 4096, "maxQueryString": 2048, "maxAllowedContentLength": 30000000}
MSCEP_KEY = r"HKLM:\SOFTWARE\Microsoft\Cryptography\MSCEP"
MSCEP_DEFAULT = "IPSECIntermediateOffline"


def role_of(host: str) -> str:
    return "ca" if host.lower() == topology.CA["name"] else "ndes"


def short_name(host: str) -> str:
    return host.split(".")[0].upper()


def machine_sid(state: dict) -> str:
    """The host's machine SID (its local accounts are <machine SID>-<RID>), stable per host name."""
    import hashlib
    h = hashlib.sha256(state["name"].encode()).digest()
    return "S-1-5-21-" + "-".join(str(int.from_bytes(h[i:i + 4], "big")) for i in (0, 4, 8))


def new_boot_id() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="microseconds")


def initial_state(host: str) -> dict[str, Any]:
    role = role_of(host)
    installed = set(DEFAULT_INSTALLED)
    if role == "ca":
        installed |= closure_of(["ADCS-Cert-Authority", "RSAT-ADCS-Mgmt"])
    short = short_name(host)
    state: dict[str, Any] = {
        "name": host.lower(), "role": role,
        "boot": {"bootId": new_boot_id()},
        "features": {"installed": sorted(installed)},
        "registry": {},
        "localGroups": {
            "Administrators": {"name": "Administrators", "members": [
                {"name": f"{short}\\Administrator", "objectClass": "User", "principalSource": "Local"},
                {"name": f"{topology.NETBIOS}\\Domain Admins", "objectClass": "Group",
                 "principalSource": "ActiveDirectory"}]},
            # an orphaned SID: an earlier service account deleted from the domain (PowerShell issue 2996)
            "IIS_IUSRS": {"name": "IIS_IUSRS", "members": [
                {"name": "", "sid": ORPHANED_SID, "objectClass": "User", "principalSource": "Unknown"}]},
            "Users": {"name": "Users", "members": [
                {"name": "NT AUTHORITY\\INTERACTIVE", "objectClass": "Group", "principalSource": "Unknown"},
                {"name": "NT AUTHORITY\\Authenticated Users", "objectClass": "Group",
                 "principalSource": "Unknown"}]},
        },
        "localUsers": [f"{short}\\Administrator", f"{short}\\Guest"],
        "iis": None,
    }
    for key in (r"HKLM:\SYSTEM\CurrentControlSet\Services\HTTP\Parameters",
                r"HKLM:\SYSTEM\CurrentControlSet\Control\Session Manager",
                r"HKLM:\SOFTWARE\Microsoft\Cryptography"):
        ensure_key(state, key)
    set_value(state, r"HKLM:\SYSTEM\CurrentControlSet\Services\HTTP\Parameters", "EnableAggressiveMemoryUsage",
              "DWord", 0)
    patched(state)  # a server in service: the last patching left a file rename for the next restart
    return state


def patched(state: dict) -> None:
    """What Windows servicing leaves behind until the next restart: a PendingFileRenameOperations entry."""
    set_value(state, SESSION_MANAGER, "PendingFileRenameOperations", "MultiString", list(PATCH_LEFTOVER))


# ----------------------------------------------------------------------------------------------- registry
def _k(path: str) -> str:
    return path.rstrip("\\").lower()


def key_exists(state: dict, path: str) -> bool:
    return _k(path) in state["registry"]


def ensure_key(state: dict, path: str) -> dict:
    """Create the key and its parents (New-Item -Force)."""
    parts = path.rstrip("\\").split("\\")
    for i in range(2, len(parts) + 1):
        sub = "\\".join(parts[:i])
        state["registry"].setdefault(_k(sub), {"path": sub, "values": {}})
    return state["registry"][_k(path)]


def remove_key(state: dict, path: str) -> None:
    prefix = _k(path)
    for k in [k for k in state["registry"] if k == prefix or k.startswith(prefix + "\\")]:
        del state["registry"][k]


def get_value(state: dict, path: str, name: str) -> dict | None:
    key = state["registry"].get(_k(path))
    return None if key is None else key["values"].get(name.lower())


def set_value(state: dict, path: str, name: str, type_: str, value: Any) -> None:
    key = state["registry"].get(_k(path))
    if key is None:
        raise KeyError(path)
    key["values"][name.lower()] = {"name": name, "type": type_, "value": value}


def delete_value(state: dict, path: str, name: str) -> bool:
    key = state["registry"].get(_k(path))
    return key is not None and key["values"].pop(name.lower(), None) is not None


def mark_reboot_pending(state: dict) -> None:
    """What our scripts do after a change that needs a restart: remember the boot it happened in."""
    ensure_key(state, PULUMI_KEY)
    set_value(state, PULUMI_KEY, "RebootPendingBoot", "String", state["boot"]["bootId"])


def set_owner_mark(state: dict, mark: str, owner: str) -> None:
    ensure_key(state, PULUMI_KEY + r"\Owners")
    set_value(state, PULUMI_KEY + r"\Owners", mark, "String", owner)


def owner_mark(state: dict, mark: str) -> str | None:
    v = get_value(state, PULUMI_KEY + r"\Owners", mark)
    return None if v is None else v["value"]


def clear_owner_mark(state: dict, mark: str) -> None:
    delete_value(state, PULUMI_KEY + r"\Owners", mark)


# ----------------------------------------------------------------------------------------------- boot
def reboot(state: dict) -> None:
    """What a restart does to the model: a new boot; Windows' own pending-restart flags are gone."""
    state["boot"]["bootId"] = new_boot_id()
    remove_key(state, CBS_REBOOT_PENDING)
    sm = state["registry"].get(_k(r"HKLM:\SYSTEM\CurrentControlSet\Control\Session Manager"))
    if sm is not None:
        sm["values"].pop("pendingfilerenameoperations", None)
    for name in ((state.get("iis") or {}).get("appPools") or {}):
        start_app_pool(state, name)


MSCEP_VALUES = ("SignatureTemplate", "EncryptionTemplate", "GeneralPurposeTemplate")


def start_app_pool(state: dict, name: str) -> None:
    """An application pool (re)starts: the SCEP pool's NDES reads the MSCEP template values now and keeps them
    until its next start (a later registry change takes effect at the next recycle or restart)."""
    pool = ((state.get("iis") or {}).get("appPools") or {}).get(name)
    if pool is None:
        return
    pool["state"] = "Started"
    pool["starts"] = int(pool.get("starts", 0)) + 1
    from . import pool_logon
    if pool.get("password") is not None and not pool_logon.works(pool):
        pool["state"] = "Stopped"  # WAS cannot log the identity on (event 5021/5057): the pool stops, NDES 503s
        return
    # NDES loads its RA certificates when the pool starts (new ones need a restart: TechNet ff955642)
    pool["startedAt"] = clock.now().strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if name == "SCEP":
        from .handlers.ndes_role import ra_certificates
        newest: dict[str, dict] = {}
        for c in ra_certificates(state):
            if c["template"] not in newest or c["notBefore"] > newest[c["template"]]["notBefore"]:
                newest[c["template"]] = c
        pool["raLoaded"] = sorted(c["thumbprint"] for c in newest.values())
    if name == "SCEP":
        loaded = {}
        for value in MSCEP_VALUES:
            v = get_value(state, MSCEP_KEY, value)
            loaded[value] = None if v is None else str(v["value"])
        pool["mscep"] = loaded


# ----------------------------------------------------------------------------------------------- IIS
def ensure_iis(state: dict) -> None:
    """The IIS configuration an install of Web-Server leaves: Default Web Site on http/80."""
    if state.get("iis"):
        return
    state["iis"] = {
        "serverRequestLimits": dict(IIS_SERVER_DEFAULTS),
        "sites": {"Default Web Site": {"id": 1, "requestLimits": {}, "bindings": [
            {"protocol": "http", "bindingInformation": "*:80:", "certificateHash": "", "sslFlags": 0}]}},
    }


def find_site(state: dict, name: str) -> tuple[str, dict] | None:
    iis = state.get("iis") or {}
    for site_name, site in iis.get("sites", {}).items():
        if site_name.lower() == name.lower():
            return site_name, site
    return None


def iis_installed(state: dict) -> bool:
    return "Web-WebServer" in state["features"]["installed"] and bool(state.get("iis"))


# ----------------------------------------------------------------------------------------------- NDES
def install_mscep_defaults(state: dict) -> None:
    """The MSCEP key as Install-AdcsNetworkDeviceEnrollmentService leaves it (all three values set to the
    default IPSECIntermediateOffline)."""
    ensure_key(state, MSCEP_KEY)
    for name in ("EncryptionTemplate", "GeneralPurposeTemplate", "SignatureTemplate"):
        if get_value(state, MSCEP_KEY, name) is None:
            set_value(state, MSCEP_KEY, name, "String", MSCEP_DEFAULT)


def feature_info(name: str) -> dict | None:
    for key, info in CATALOG.items():
        if key.lower() == name.lower():
            return {"name": key, **info}
    return None
