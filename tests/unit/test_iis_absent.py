"""The IIS resources on a host without IIS (never installed, or removed by hand: no WebAdministration module):
refresh and adoption see the object gone, destroy has nothing to remove, create/update name what to install; any
other failure still raises. The error is the one Windows PowerShell 5.1 writes, as the bootstrap forwards it."""
from __future__ import annotations

from typing import Any, Callable

import pytest

from ndes import windows as win
from ndes.providers import clients
from ndes.providers._iis import iis_absent
from ndes.providers._windows import endpoint_input
from ndes.providers.iis_https_binding import IisHttpsBindingProvider
from ndes.providers.iis_request_limits import IisRequestLimitsProvider
from ndes.providers.mscep_template_mapping import MscepTemplateMappingProvider
from ndes.providers.scep_pool_identity import ScepPoolIdentityProvider
from ndes.windows import ScriptFailed

HOST = "ndes1.contoso.com"
EP = win.Endpoint(host=HOST, url=f"https://{HOST}:5986/wsman", username="CONTOSO\\pulumi", password="Pw-1!")
# What the bootstrap writes for `Import-Module -Name 'WebAdministration'` on a host without the module:
# Out-Result @{ error = @{ message = $_.Exception.Message; category = $_.CategoryInfo.Category.ToString() } },
# through Windows PowerShell 5.1's ConvertTo-Json, which writes an apostrophe as \u0027 (PowerShell/PowerShell#7693).
NO_MODULE_STDOUT = (b'{"error":{"category":"ResourceUnavailable","message":"The specified module \\u0027WebAdministration'
                    b'\\u0027 was not loaded because no valid module file was found in any module directory."}}')


def bootstrap_error(script: str, stdout: bytes = NO_MODULE_STDOUT) -> ScriptFailed:
    """The ScriptFailed the client raises for that output (the real parse path, exit code 1)."""
    with pytest.raises(ScriptFailed) as info:
        win.WindowsHost(EP)._parse(script, stdout, b"", 1)
    return info.value


def no_module(script: str) -> ScriptFailed:
    return bootstrap_error(script)


class Host:
    """A Windows host at the client boundary: `answer(script, params)` -> a result document or an exception."""

    def __init__(self, answer: Callable[[str, dict], Any]):
        self.answer = answer
        self.calls: list[tuple[str, dict]] = []

    def run_script(self, name: str, params: dict, *, timeout: int | None = None) -> dict:
        self.calls.append((name, params))
        out = self.answer(name, params)
        if isinstance(out, BaseException):
            raise out
        return out


def without_iis(name: str, params: dict) -> Any:
    return no_module(name)


ENDPOINT = endpoint_input(HOST, url=None, username="CONTOSO\\pulumi", password="Pw-1!")
OWNER = "ndes/lab/ndes1-resource"
CASES = [  # provider, its id, its props
    (IisRequestLimitsProvider, f"{HOST}/Default Web Site/requestLimits", {"site": "Default Web Site"}),
    (IisHttpsBindingProvider, "Default Web Site/https/443", {"thumbprint": "AB" * 20}),
    (ScepPoolIdentityProvider, f"{HOST}/IIS/AppPools/SCEP", {"serviceAccount": "CONTOSO\\svc-ndes",
                                                             "password": "Svc-Pw-1!"}),
]


def props(extra: dict) -> dict:
    return {"endpoint": dict(ENDPOINT), "owner": OWNER, "configKey": "ndes:iis", **extra}


# ---------------------------------------------------------------------------------------------- the predicate
def test_the_predicate_matches_the_module_not_found_error_as_the_bootstrap_forwards_it():
    exc = no_module("IisRequestLimits")
    assert exc.category == "ResourceUnavailable" and "'WebAdministration'" in exc.message
    assert iis_absent(exc)


@pytest.mark.parametrize("stdout", [
    # another module missing (not IIS's)
    b'{"error":{"category":"ResourceUnavailable","message":"The specified module \\u0027IISAdministration\\u0027 was '
    b'not loaded because no valid module file was found in any module directory."}}',
    # the same text under another category
    b'{"error":{"category":"ObjectNotFound","message":"The specified module \\u0027WebAdministration\\u0027 was not '
    b'loaded because no valid module file was found in any module directory."}}',
    # another ResourceUnavailable failure that names the module (a version not found, a locked file)
    b'{"error":{"category":"ResourceUnavailable","message":"The specified module \\u0027WebAdministration\\u0027 with '
    b'version \\u00271.0\\u0027 was not loaded because no valid module file was found in any module directory."}}',
    b'{"error":{"category":"ResourceUnavailable","message":"The process cannot access the file \\u0027C:\\\\Windows\\\\'
    b'System32\\\\inetsrv\\\\config\\\\applicationHost.config\\u0027 because it is being used by another process."}}',
])
def test_the_predicate_refuses_every_other_error(stdout):
    assert not iis_absent(bootstrap_error("IisRequestLimits", stdout))


def test_the_predicate_refuses_what_is_not_a_script_failure():
    text = "The specified module 'WebAdministration' was not loaded because no valid module file was found in any " \
           "module directory."
    assert not iis_absent(win.Unreachable(text, host=HOST))
    assert not iis_absent(RuntimeError(text))


# --------------------------------------------------------------------------------- refresh, adoption, destroy
@pytest.mark.parametrize("cls,id_,extra", CASES)
def test_refresh_reports_the_object_gone_and_adoption_finds_nothing(cls, id_, extra):
    prov, host = cls(), Host(without_iis)
    with clients.substituted(windows=lambda endpoint: host):
        assert prov.read(id_, props(extra)).id is None
        assert prov.find(prov.parse(props(extra))) is None


@pytest.mark.parametrize("cls,id_,extra", CASES)
def test_destroy_on_a_host_without_iis_is_a_no_op(cls, id_, extra):
    prov, host = cls(), Host(without_iis)
    with clients.substituted(windows=lambda endpoint: host):
        prov.delete(id_, props(extra))


@pytest.mark.parametrize("cls,id_,extra", CASES)
@pytest.mark.parametrize("error", [
    lambda s: bootstrap_error(s, b'{"error":{"category":"ResourceUnavailable","message":"The process cannot access '
                                 b'the file because it is being used by another process."}}'),
    lambda s: bootstrap_error(s, b'{"error":{"category":"PermissionDenied","message":"Filename: redirection.config '
                                 b'Error: Cannot read configuration file due to insufficient permissions"}}'),
    lambda s: win.Unreachable("connection refused", host=HOST),
])
def test_every_other_failure_still_raises_from_read_and_delete(cls, id_, extra, error):
    prov, host = cls(), Host(lambda name, params: error(name))
    with clients.substituted(windows=lambda endpoint: host):
        with pytest.raises(win.WindowsHostError):
            prov.read(id_, props(extra))
        if cls is ScepPoolIdentityProvider:
            prov.delete(id_, props(extra))  # its delete never calls the host: the pool goes with NDES
            return
        with pytest.raises(win.WindowsHostError):
            prov.delete(id_, props(extra))


def test_a_limits_delete_still_raises_another_resource_unavailable_failure():
    """The site is there (get answers); the removal fails for another reason under the same category."""
    prov = IisRequestLimitsProvider()
    state = {"site": "Default Web Site", "siteExists": True, "maxUrl": 65534, "maxQueryString": 65534,
             "owner": OWNER}
    host = Host(lambda name, params: {"state": state} if params["mode"] == "get" else bootstrap_error(
        name, b'{"error":{"category":"ResourceUnavailable","message":"The process cannot access the file because it '
              b'is being used by another process."}}'))
    with clients.substituted(windows=lambda endpoint: host):
        with pytest.raises(ScriptFailed, match="another process"):
            prov.delete(f"{HOST}/Default Web Site/requestLimits", props({"site": "Default Web Site"}))


@pytest.mark.parametrize("cls,id_,extra", CASES)
def test_create_on_a_host_without_iis_names_what_to_install(cls, id_, extra):
    prov, host = cls(), Host(without_iis)
    with clients.substituted(windows=lambda endpoint: host):
        with pytest.raises(ScriptFailed) as info:
            prov.create(props(extra))
        with pytest.raises(ScriptFailed) as again:  # an update (IIS removed since the last up) says the same
            prov.update(id_, props(extra), props(extra))
    msg = str(info.value)
    assert str(again.value) == msg
    assert info.value.category == "ResourceUnavailable" and "WebAdministration" in msg
    assert "Web-Server" in msg and "Web-Scripting-Tools" in msg and "ndes:ndesHosts" in msg and HOST in msg
    assert "ndes:iis" in msg  # the resource's own key
    assert "Pw-1!" not in msg and "Svc-Pw-1!" not in msg


# ------------------------------------------------------------- MscepTemplateMapping: only its recycle imports IIS
MSCEP_PROPS = {"keyUsage": ["digitalSignature", "keyEncipherment"], "templateName": "NDES-Intune"}
DEFAULTS = {"SignatureTemplate": "IPSECIntermediateOffline", "EncryptionTemplate": "IPSECIntermediateOffline",
            "GeneralPurposeTemplate": "IPSECIntermediateOffline"}


def mscep_host(values: dict[str, str], recycle_error: Callable[[str], BaseException]) -> Host:
    """The MSCEP key with `values`; a set writes the values it is given; a recycle fails with `recycle_error`."""
    live = dict(values)

    def answer(name: str, params: dict) -> Any:
        if params.get("mode") == "set":
            changed = False
            for k, v in params["templates"].items():
                want = "IPSECIntermediateOffline" if params["ensure"] == "absent" else v
                changed |= live.get(k) != want
                live[k] = want
            if params.get("recycle"):
                return recycle_error(name)
            return {"changed": changed, "state": {"exists": True, "values": dict(live), "owner": "",
                                                  "recycled": False}}
        return {"state": {"exists": True, "values": dict(live), "owner": OWNER, "recycled": False}}
    host = Host(answer)
    host.live = live  # type: ignore[attr-defined]
    return host


def test_mscep_delete_puts_the_values_back_and_skips_the_recycle_when_iis_is_gone():
    prov = MscepTemplateMappingProvider()
    host = mscep_host({**DEFAULTS, "GeneralPurposeTemplate": "NDES-Intune"}, no_module)
    with clients.substituted(windows=lambda endpoint: host):
        prov.delete(f"{HOST}/mscep", props(MSCEP_PROPS))
        assert prov.read(f"{HOST}/mscep", props(MSCEP_PROPS)).id is not None  # the registry key is still there
    assert host.live == DEFAULTS  # type: ignore[attr-defined]
    assert [p.get("recycle") for _, p in host.calls if p.get("mode") == "set"] == [False, True]


def test_mscep_delete_still_raises_when_the_recycle_fails_otherwise():
    prov = MscepTemplateMappingProvider()
    host = mscep_host({**DEFAULTS, "GeneralPurposeTemplate": "NDES-Intune"}, lambda s: bootstrap_error(
        s, b'{"error":{"category":"ResourceUnavailable","message":"The process cannot access the file because it is '
           b'being used by another process."}}'))
    with clients.substituted(windows=lambda endpoint: host):
        with pytest.raises(ScriptFailed, match="another process"):
            prov.delete(f"{HOST}/mscep", props(MSCEP_PROPS))


def test_mscep_create_on_a_host_without_iis_names_what_to_install():
    prov = MscepTemplateMappingProvider()
    host = mscep_host(dict(DEFAULTS), no_module)
    with clients.substituted(windows=lambda endpoint: host):
        with pytest.raises(ScriptFailed) as info:
            prov.create(props(MSCEP_PROPS))
    msg = str(info.value)
    assert "WebAdministration" in msg and "Web-Scripting-Tools" in msg and "ndes:ndesHosts" in msg


# ------------------------------------------------------------------------------------------------ ndes verify
def test_verify_reports_the_iis_objects_missing_on_a_host_without_iis():
    """verify reads through the providers' find and get: the objects are missing (install IIS), not a script error."""
    from ndes.verify import run

    from .verify_fakes import config, context, healthy_states
    cfg = config()
    states = healthy_states(cfg)
    for script in ("IisRequestLimits", "IisHttpsBinding", "ScepPoolIdentity"):
        states[script] = no_module(script)
    ctx, _ = context(cfg, states=states)
    results = {r.check: r for r in run(ctx)}
    limits, binding, pool = results["IIS request limits"], results["https binding"], results["SCEP app pool"]
    assert (limits.status, binding.status, pool.status) == ("fail", "fail", "fail")
    assert "install IIS" in limits.detail and "no https binding" in binding.detail and "does not exist" in pool.detail
    assert not any("failed to run script" in r.detail for r in (limits, binding, pool))
