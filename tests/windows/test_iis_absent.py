"""The IIS resources against a simulated NDES host whose IIS was removed by hand (Uninstall-WindowsFeature
Web-Server at the console): every script that imports WebAdministration fails as Windows PowerShell does, refresh
reads each resource gone, destroy passes, and a create names what to install."""
from __future__ import annotations

import pytest

from lab.winrm_sim import hostmodel
from lab.winrm_sim.handlers.windows_features import uninstall
from ndes.providers._iis import iis_absent
from ndes.providers.iis_https_binding import IisHttpsBindingProvider
from ndes.providers.iis_request_limits import IisRequestLimitsProvider
from ndes.providers.mscep_template_mapping import MscepTemplateMappingProvider
from ndes.providers.scep_pool_identity import ScepPoolIdentityProvider
from ndes.windows import ScriptFailed

from .conftest import NDES1
from .part2_lab import prepare_ndes_host, put_certificate
from .provider_helpers import checked, props

pytestmark = pytest.mark.slow
LIMITS, BINDING, POOL, MSCEP = (IisRequestLimitsProvider(), IisHttpsBindingProvider(), ScepPoolIdentityProvider(),
                                MscepTemplateMappingProvider())


def ndes_with_iis(sim) -> None:
    """IIS, the NDES feature, the MSCEP key and the SCEP pool, as the NDES role install leaves them."""
    prepare_ndes_host(sim, NDES1)
    with sim.edit_state(NDES1) as st:
        hostmodel.install_mscep_defaults(st)
        st["iis"].setdefault("appPools", {})["SCEP"] = {"userName": "LAB\\svc-ndes", "state": "Stopped"}
        hostmodel.start_app_pool(st, "SCEP")


def remove_iis_by_hand(sim) -> None:
    with sim.edit_state(NDES1) as st:
        uninstall(st, ["Web-Server"])
    assert not hostmodel.iis_installed(sim.read_state(NDES1))


def each_script_run(sim) -> dict:
    """One run of each script that imports WebAdministration (MscepTemplateMapping: its recycle)."""
    def run(fn):
        try:
            fn()
        except ScriptFailed as exc:
            return exc
        return None
    lim = LIMITS.parse(checked(LIMITS, props(sim, NDES1)))
    bnd = BINDING.parse(checked(BINDING, props(sim, NDES1, thumbprint="AB" * 20)))
    pool = POOL.parse(checked(POOL, props(sim, NDES1, serviceAccount="LAB\\svc-ndes", password="Pw-1!")))
    msc = MSCEP.parse(checked(MSCEP, props(sim, NDES1, keyUsage=["digitalSignature"], templateName="NDES-Intune")))
    return {"IisRequestLimits": run(lambda: LIMITS._run(lim, "get")),
            "IisHttpsBinding": run(lambda: BINDING._run(bnd, "get")),
            "ScepPoolIdentity": run(lambda: POOL._run(pool)),
            "MscepTemplateMapping": run(lambda: MSCEP._call(msc, "set", {}, recycle=True))}


def test_each_iis_script_fails_as_windows_powershell_does_without_the_module(sim):
    ndes_with_iis(sim)
    assert each_script_run(sim) == dict.fromkeys(("IisRequestLimits", "IisHttpsBinding", "ScepPoolIdentity",
                                                  "MscepTemplateMapping"))
    remove_iis_by_hand(sim)
    for script, exc in each_script_run(sim).items():
        assert exc is not None, f"{script} ran without WebAdministration"
        assert exc.category == "ResourceUnavailable" and iis_absent(exc), (script, exc)


def test_refresh_reads_gone_and_destroy_passes_after_iis_was_removed_by_hand(sim):
    ndes_with_iis(sim)
    thumb = put_certificate(sim, NDES1, "ndes1-lab.msappproxy.net", ["ndes1-lab.msappproxy.net"])
    lim_p = checked(LIMITS, props(sim, NDES1, owner="ndes/test/limits"))
    bnd_p = checked(BINDING, props(sim, NDES1, owner="ndes/test/binding", thumbprint=thumb))
    msc_p = checked(MSCEP, props(sim, NDES1, owner="ndes/test/mscep", keyUsage=["digitalSignature"],
                                 templateName="NDES-Intune"))
    pool_p = checked(POOL, props(sim, NDES1, owner="ndes/test/pool", serviceAccount="LAB\\svc-ndes",
                                 password="Pw-1!"))
    lim, bnd, msc = LIMITS.create(lim_p), BINDING.create(bnd_p), MSCEP.create(msc_p)
    pool_id = f"{NDES1}/IIS/AppPools/SCEP"  # the pool NDES made (its create would log the account on at the DC)
    assert POOL.read(pool_id, pool_p).id == pool_id
    for prov, res in ((LIMITS, lim), (BINDING, bnd), (MSCEP, msc)):
        assert prov.read(res.id, res.outs).id == res.id

    remove_iis_by_hand(sim)
    # refresh: no IIS, so no request limits, binding or pool (the MSCEP key is NDES's registry: it stays)
    assert LIMITS.read(lim.id, lim.outs).id is None
    assert BINDING.read(bnd.id, bnd.outs).id is None
    assert POOL.read(pool_id, pool_p).id is None
    assert MSCEP.read(msc.id, msc.outs).outs["templateName"] == "NDES-Intune"
    # destroy: nothing to remove from IIS; the MSCEP values go back to NDES's default (no pool left to recycle)
    LIMITS.delete(lim.id, lim.outs)
    BINDING.delete(bnd.id, bnd.outs)
    POOL.delete(pool_id, pool_p)
    MSCEP.delete(msc.id, msc.outs)
    key = sim.read_state(NDES1)["registry"][hostmodel.MSCEP_KEY.lower()]["values"]
    assert {v["value"] for v in key.values() if v["name"] in hostmodel.MSCEP_VALUES} == {"IPSECIntermediateOffline"}

    # create (an up before WindowsFeatures put IIS back) stops, naming what to install
    for prov, p in ((LIMITS, lim_p), (BINDING, bnd_p), (POOL, pool_p), (MSCEP, msc_p)):
        with pytest.raises(ScriptFailed) as info:
            prov.create(p)
        assert "Web-Server" in str(info.value) and "Web-Scripting-Tools" in str(info.value), prov
