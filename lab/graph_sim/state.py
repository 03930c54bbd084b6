"""The simulator's tenant: applications, service principals, connector groups, device configurations, their
root links and assignments, groups, and the test knobs. Persisted to <lab_dir>/graph_sim/state.json after
every change (atomic replace), loaded at start."""
from __future__ import annotations

import copy
import json
import os
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from lab.pki import lab_dir

SEED_GROUPS = {
    # the lab stack's group (also read from Pulumi.lab.yaml below) and a second one for tests that change
    # assignments
    "6f1c1e0a-1111-4a4a-9b9b-000000000001": "NDES lab devices",
    "6f1c1e0a-1111-4a4a-9b9b-000000000002": "NDES lab users",
    "6f1c1e0a-1111-4a4a-9b9b-000000000003": "NDES lab break glass",  # the lab stack's VPN profile excludes it
}
def _lab_filter(n: int, platform: str, title: str) -> dict[str, Any]:
    return {"@odata.type": "#microsoft.graph.deviceAndAppManagementAssignmentFilter",
            "id": f"7a0f1e0a-2222-4b4b-9c9c-0000000000f{n}", "displayName": f"NDES lab corporate {title}",
            "description": "", "platform": platform, "rule": '(device.deviceOwnership -eq "Corporate")',
            "createdDateTime": "2026-01-01T00:00:00Z", "lastModifiedDateTime": "2026-01-01T00:00:00Z",
            "roleScopeTags": ["0"]}


LAB_FILTERS = {f["id"]: f for f in (_lab_filter(1, "windows10AndLater", "Windows"), _lab_filter(2, "iOS", "iOS"),
                                     _lab_filter(3, "androidForWork", "Android"), _lab_filter(4, "macOS", "macOS"))}
"""Assignment filters the lab tenant's admin made, one per platform (the lab stack's Wi-Fi profile names them)."""
LAB_FILTER = LAB_FILTERS["7a0f1e0a-2222-4b4b-9c9c-0000000000f1"]
LAB_STACK = Path(__file__).resolve().parents[2] / "Pulumi.lab.yaml"
DEFAULT_CONNECTOR_GROUP = "2f5ad4a8-0000-4000-8000-00000000c0c0"
INITIAL_DOMAIN = "lab.onmicrosoft.com"
"""The lab tenant's initial domain: its App Proxy default domain is <name>-lab.msappproxy.net."""


def state_dir() -> Path:
    d = lab_dir() / "graph_sim"
    d.mkdir(parents=True, exist_ok=True)
    return d


def lab_stack_groups() -> dict[str, str]:
    """The group object ids the lab stack assigns profiles to or excludes (ndes:intune.scep, scepProfiles, trustedRoot)."""
    try:
        import yaml
        intune = (yaml.safe_load(LAB_STACK.read_text()) or {}).get("config", {}).get("ndes:intune", {})
    except (OSError, ImportError, ValueError):
        return {}
    refs = list((intune.get("trustedRoot") or {}).get("groups") or [])
    for prof in [intune.get("scep") or {}, *(intune.get("scepProfiles") or [])]:
        a = prof.get("assignments") or {}
        refs += list(prof.get("groups") or []) + list(a.get("include") or []) + list(a.get("exclude") or [])
    return {str(g["id"]).lower(): f"lab group {i + 1}" for i, g in enumerate(refs) if isinstance(g, dict) and g.get("id")}


def seed() -> dict[str, Any]:
    return {
        "applications": {}, "servicePrincipals": {},
        "connectorGroups": {DEFAULT_CONNECTOR_GROUP: {"id": DEFAULT_CONNECTOR_GROUP, "name": "Default",
                                                      "connectorGroupType": "applicationProxy", "isDefault": True,
                                                      "region": "eur"}},
        "appConnectorGroup": {}, "deviceConfigurations": {}, "rootLinks": {}, "assignments": {},
        "groups": {**lab_stack_groups(), **SEED_GROUPS},
        "organization": {"displayName": "Contoso Lab",
                         "verifiedDomains": [{"name": INITIAL_DOMAIN, "isInitial": True, "isDefault": True,
                                              "type": "Managed", "capabilities": "Email, OfficeCommunicationsOnline"},
                                             {"name": "lab.contoso.test", "isInitial": False, "isDefault": False,
                                              "type": "Managed", "capabilities": "None"}]},
        "deletedItems": {},
        "assignmentTargets": {},
        "assignmentFilters": {k: dict(v) for k, v in LAB_FILTERS.items()},
        "knobs": {"throttle": None, "replication": None, "failAfterCreate": None, "loseAnswer": None},
        "hidden": {},
    }


class State:
    def __init__(self, path: Path | None = None):
        self.path = path or state_dir() / "state.json"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.lock = threading.RLock()
        self.stats: dict[str, int] = {}
        if self.path.is_file():
            self.data = json.loads(self.path.read_text())
            for k, v in seed().items():
                self.data.setdefault(k, v)
        else:
            self.data = seed()
            self.save()

    def reset(self) -> None:
        with self.lock:
            self.data = seed()
            self.stats = {}
            self.save()

    def save(self) -> None:
        with self.lock:
            text = json.dumps(self.data, indent=1, sort_keys=True)
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".state.", suffix=".tmp")
            with os.fdopen(fd, "w") as fh:
                fh.write(text)
            os.replace(tmp, self.path)

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return copy.deepcopy(self.data)

    def count(self, key: str) -> None:
        with self.lock:
            self.stats[key] = self.stats.get(key, 0) + 1

    # ---- replication lag ---------------------------------------------------------------------------------
    def created(self, obj_id: str) -> None:
        """Apply the replication knob to a new id: it answers 404 for N requests or S seconds."""
        rep = self.data["knobs"].get("replication")
        if rep:
            self.data["hidden"][obj_id] = {"requests": int(rep.get("requests", 0)),
                                           "until": time.time() + float(rep.get("seconds", 0))}

    def invisible(self, obj_id: str, *, consume: bool) -> bool:
        h = self.data["hidden"].get(obj_id)
        if not h:
            return False
        if h["requests"] > 0:
            if consume:
                h["requests"] -= 1
            return True
        if time.time() < h["until"]:
            return True
        del self.data["hidden"][obj_id]
        return False

    @staticmethod
    def new_id() -> str:
        return str(uuid.uuid4())
