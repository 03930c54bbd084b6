"""Helpers for calling the Windows-plane providers directly against the private simulator."""
from __future__ import annotations

import copy
import json
from typing import Any

from lab import pki, topology
from lab.secrets import lab_secret
from lab.winrm_sim.control import Instance


def endpoint_props(sim: Instance, host: str) -> dict[str, Any]:
    return {"host": host, "url": sim.url_of(host), "username": topology.WINRM_USER,
            "password": lab_secret("winrm-password"), "caBundlePem": pki.ca_bundle_path().read_text(),
            "insecureSkipTlsVerify": False, "operationTimeout": 60}


def props(sim: Instance, host: str, owner: str = "ndes/test/resource", **inputs: Any) -> dict[str, Any]:
    return {"endpoint": endpoint_props(sim, host), "owner": owner, **inputs}


def snapshot(sim: Instance, host: str) -> str:
    """The host's whole state, to show that a converge changed nothing."""
    return json.dumps(sim.read_state(host), sort_keys=True)


def three_pass(provider, p: dict[str, Any], sim: Instance, host: str):
    """The three passes of a Windows resource: the preview (the engine's check, which with adopt: true also reads
    what taking over would change) leaves the host untouched; the apply creates it; the re-apply (the same inputs
    through update) leaves the host untouched and the diff of what it reads back shows no change."""
    before = snapshot(sim, host)
    checked(provider, p)
    assert snapshot(sim, host) == before, "the preview changed the host"
    created = provider.create(copy.deepcopy(p))
    applied = snapshot(sim, host)
    provider.update(created.id, created.outs, copy.deepcopy(p))
    assert snapshot(sim, host) == applied, "a second converge changed the host"
    assert not provider.diff(created.id, provider.read(created.id, created.outs).outs, checked(provider, p)).changes
    return created



def checked(provider, p: dict[str, Any]) -> dict[str, Any]:
    """The inputs as the engine hands them to diff/update: after the provider's check."""
    res = provider.check({}, copy.deepcopy(p))
    assert not res.failures, res.failures
    return res.inputs
