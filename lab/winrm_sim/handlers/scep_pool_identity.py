"""ScepPoolIdentity on a simulated NDES host: the SCEP pool's processModel (identity and the password IIS keeps
for it) and a recycle. Plays (docs/lab-fidelity.md): IIS stores the password it was given and logs the identity
on when a worker starts (hostmodel.start_app_pool asks the lab DC); a pool whose password no longer works stops
at its next start and NDES answers 503; the running worker is not affected by a password reset in AD until then.
The script imports WebAdministration first: on a host without IIS it fails with Import-Module's ModuleNotFound.
"""
from __future__ import annotations

from typing import Any

from ndes.windows.contracts.scep_pool_identity import ScepPoolIdentityParams

from .. import hostmodel, pool_logon
from . import ScriptError, handler, validated
from ._webadministration import import_webadministration


@handler("ScepPoolIdentity")
def scep_pool_identity(ctx: Any, raw: dict[str, Any]) -> dict[str, Any]:
    p = validated(ScepPoolIdentityParams, raw)
    import_webadministration(ctx.state)
    pools = ((ctx.state.get("iis") or {}).get("appPools") or {})
    changed = False
    if p.mode == "set" and p.action == "update":
        if "SCEP" not in pools:
            raise ScriptError("the SCEP application pool does not exist: install NDES first (NdesRole)",
                              "ObjectNotFound")
        pool = pools["SCEP"]
        pool.update({"identityType": "SpecificUser", "userName": p.user_name, "password": p.password})
        pool_logon.given(pool)
        hostmodel.start_app_pool(ctx.state, "SCEP")  # Restart-WebAppPool: a new worker logs on
        changed = True
    pool = pools.get("SCEP")
    state = {"exists": pool is not None, "identityType": "", "userName": "", "passwordMatches": False, "state": ""}
    if pool is not None:
        state.update({"identityType": pool.get("identityType", "SpecificUser"), "userName": pool.get("userName", ""),
                      "passwordMatches": pool.get("password") == p.password, "state": pool.get("state", "Started")})
    return {"changed": changed, "state": state, "rebootRequired": False, "warnings": []}
