"""Protection of the objects whose loss hurts, and retention of adopted ones (ndes/components/protection.py):
what the engine receives for each resource of the lab program, under mocks."""
from __future__ import annotations

import pulumi
from pulumi.runtime import mocks as pm

from ndes.components.protection import CRITICAL, options_for
from ndes.program import secret_outputs

from . import stack_urns as su


class _Options(su._Monitor):
    def __init__(self, mocks):
        super().__init__(mocks)
        self.options: dict[str, tuple[bool, bool]] = {}

    def RegisterResource(self, request):  # noqa: N802
        res = super().RegisterResource(request)
        self.options[res.urn] = (request.protect, request.retainOnDelete)
        return res


def run_lab(**overrides) -> dict[str, tuple[str, bool, bool]]:
    """kind/name -> (protect, retainOnDelete) for every dynamic resource of the lab program with `overrides`."""
    from ndes.components.deployment import NdesScepDeployment

    cfg = su.lab_config().model_copy(update=overrides)
    monitor = _Options(su._Echo())
    pulumi.runtime.set_mocks(monitor.mocks, project="ndes", stack="prod", preview=False, monitor=monitor)

    @pulumi.runtime.test
    def run():
        return NdesScepDeployment("ndes", cfg, secret_outputs(cfg)).urn

    run()
    out = {}
    for urn, (protect, retain) in monitor.options.items():
        kind = urn.split("::")[2].rsplit("$", 1)[-1]
        if kind.startswith("pulumi-python:dynamic/ndes:"):
            out[f"{kind.rsplit(':', 1)[-1]}/{urn.rsplit('::', 1)[-1]}"] = (protect, retain)
    return out


def test_by_default_the_critical_objects_are_protected_and_nothing_else():
    got = run_lab(protect=True)
    protected = {k.split("/")[0] for k, (p, _) in got.items() if p}
    assert protected == set(CRITICAL)
    assert not got["MachineCertificate/ndes-host-ndes1-ssl-certificate"][0]  # renewal is a replace
    assert not any(r for _, r in got.values())  # nothing adopted in the lab config


def test_a_stack_can_switch_protection_off():
    assert not any(p for p, _ in run_lab(protect=False).values())


def test_adopted_objects_are_retained_on_delete_unless_the_config_says_otherwise():
    cfg = su.lab_config()
    adopted = {"service_account": cfg.service_account.model_copy(update={"adopt": True}),
               "ndes_role": cfg.ndes_role.model_copy(update={"adopt": True})}
    got = run_lab(protect=False, **adopted)
    assert got["ServiceAccount/directory-service-account"] == (False, True)
    assert got["NdesRole/ndes-host-ndes1-ndes-role"] == (False, True)
    assert got["CertificateTemplate/directory-ssl-template"] == (False, False)  # not adopted
    assert not any(r for _, r in run_lab(protect=False, retain_adopted=False, **adopted).values())


def test_an_action_or_a_read_only_export_is_never_retained():
    assert options_for("HostReboot", True, True, True) == {}
    assert options_for("CaCertificate", True, True, True) == {}
    assert options_for("ScepProfile", True, True, True) == {"protect": True, "retain_on_delete": True}


def test_the_keys_are_read_from_stack_config():
    from ndes.model import load_config
    from .sample_config import sample
    cfg = load_config(sample(**{"protect": False, "retainAdopted": False}))
    assert (cfg.protect, cfg.retain_adopted) == (False, False)
    assert load_config(sample()).protect is True
