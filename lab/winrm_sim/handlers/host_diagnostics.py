"""HostDiagnostics on a simulated NDES host: the facts Validate-NDESConfiguration reads, from the host's state.

Defaults (a lab host as the guide prepares it) and how each is made to fail (edit the host's state:
control.Instance.edit_state, as an admin's change or a broken network would):
- os: Windows Server 2022 (10.0.20348); `state["os"]` overrides caption/version; LastBootUpTime = the boot id;
- IE ESC: the Active Setup IsInstalled values in the simulated registry (absent = 0: turned off, as the
  connector's sign-in needs); set `HKLM:\\SOFTWARE\\Microsoft\\Active Setup\\Installed Components\\{A509B1A7-...}`
  IsInstalled = 1 to turn it on;
- Administrators: the simulated local group (add the service account to fail the check);
- LocalMachine\\Root: the lab root CA unless `certStores["LocalMachine\\Root"]` holds others (put an
  intermediate there to fail the check);
- features: the installed feature set;
- bare mscep.dll: the SCEP endpoint's own answer (no binding: no connection; pool stopped: 503; the connector
  installed: 403; else 200), as scep_endpoint.py serves it;
- logon rights by policy: `state["userRights"]` (right -> accounts), none by default;
- outbound: every endpoint is reached unless `state["network"]["blocked"]` names its host (then the .NET
  error a blocked or proxy-less host sees); `state["network"]["proxy"]` is the system proxy reported.
"""
from __future__ import annotations

import base64
from typing import Any
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.serialization import Encoding

from ndes.windows.contracts.host_diagnostics import ESC_ADMIN, ESC_USER, HostDiagnosticsParams

from .. import ca, certstore, clock, hostmodel
from . import handler, validated
from .intune_connector import _live as connector_live

SETUP = r"HKLM:\SOFTWARE\Microsoft\Active Setup\Installed Components"


def _esc(state: dict[str, Any], guid: str) -> int | None:
    key = SETUP + "\\" + guid
    v = hostmodel.get_value(state, key, "IsInstalled")
    return int(v["value"]) if v is not None else 0


def _winnt(state: dict[str, Any], member: dict[str, Any]) -> str:
    name = member.get("name") or member.get("sid") or ""
    if "\\" in name:
        dom, user = name.split("\\", 1)
        return f"WinNT://{dom}/{user}"
    return f"WinNT://{name}"


def _bare_mscep(state: dict[str, Any]) -> tuple[int, str]:
    from .. import scep_endpoint
    if scep_endpoint.serving_facts(state) is None:
        return 0, "Unable to connect to the remote server"
    pool = ((state.get("iis") or {}).get("appPools") or {}).get("SCEP") or {}
    if pool.get("state", "Started") != "Started":
        return 503, ""
    return (403 if connector_live(state)["installed"] else 200), ""


def _events(state: dict[str, Any]) -> list[dict[str, Any]]:
    """The newest errors NDES and the connector wrote (the simulated NDES logs to the Application log:
    scep_pkiop._log), in EventLogReader's shape."""
    from ..scep_pkiop import CONNECTOR_SOURCE, NDES_SOURCE
    log = (state.get("eventLog") or {}).get("Application") or []
    errors = [e for e in reversed(log) if e.get("level") in ("Error", "Critical")
              and e.get("source") in (NDES_SOURCE, CONNECTOR_SOURCE, "NDESConnector")]
    return [{"log": "Application", "provider": e["source"], "id": int(e.get("id") or 0), "level": e["level"],
             "timeCreated": str(e.get("timeCreated", ""))[:19] + "Z", "message": e.get("message", "")}
            for e in errors[:20]]


def _mscep_log(state: dict[str, Any]) -> list[str]:
    """mscep.dll lines of the W3SVC1 log; the simulated IIS writes none itself (not modelled): a test puts lines
    in `state["iisLog"]` (W3C format)."""
    return [line for line in state.get("iisLog") or [] if "mscep.dll" in line][-50:]


def _connector_der(state: dict[str, Any]) -> str:
    from .intune_connector import CONNECTOR_KEY
    v = hostmodel.get_value(state, CONNECTOR_KEY, "EncryptionCertThumbprint")
    my = (state.get("certStores") or {}).get(certstore.MY) or {}
    entry = my.get(str(v["value"]).upper()) if v else None
    return base64.b64encode(certstore.load(entry).public_bytes(Encoding.DER)).decode() if entry else ""


@handler("HostDiagnostics")
def host_diagnostics(ctx: Any, raw: dict[str, Any]) -> dict[str, Any]:
    p = validated(HostDiagnosticsParams, raw)
    state = ctx.state
    os_facts = {"caption": "Microsoft Windows Server 2022 Datacenter", "version": "10.0.20348",
                "lastBootUpTime": str(state.get("boot", {}).get("bootId", ""))[:19] + "Z"}
    os_facts.update(state.get("os") or {})
    admins = [_winnt(state, m) for m in state["localGroups"].get("Administrators", {}).get("members", [])]
    roots = (state.get("certStores") or {}).get("LocalMachine\\Root") or {}  # read-only: never created here
    root_der = [base64.b64encode(certstore.load(e).public_bytes(Encoding.DER)).decode() for e in roots.values()] \
        if roots else [base64.b64encode(ca.root_ca().public_bytes(Encoding.DER)).decode()]
    installed = set(state["features"]["installed"])
    code, error = _bare_mscep(state)
    net = state.get("network") or {}
    blocked = {h.lower() for h in net.get("blocked") or []}
    outbound = []
    for url in p.endpoints:
        host = (urlsplit(url).hostname or "").lower()
        if host in blocked:
            outbound.append({"url": url, "reached": False, "error": f"The remote name could not be resolved: "
                                                                    f"'{host}'" if not net.get("proxy") else
                             "Unable to connect to the remote server"})
        else:
            outbound.append({"url": url, "reached": True, "error": ""})
    st = {"os": os_facts, "ieEscAdmin": _esc(state, ESC_ADMIN), "ieEscUser": _esc(state, ESC_USER),
          "administrators": admins, "rootStore": root_der,
          "features": [{"name": n, "installed": n in installed} for n in p.features],
          "bareMscep": code, "bareMscepError": error, "outbound": outbound, "proxy": str(net.get("proxy") or ""),
          "connectorCertificate": _connector_der(state), "now": clock.now().strftime("%Y-%m-%dT%H:%M:%SZ"),
          "events": _events(state), "mscepLog": _mscep_log(state),
          "userRights": {k: list(v) for k, v in (state.get("userRights") or {}).items()}}
    return {"changed": False, "state": st, "rebootRequired": False, "warnings": []}
