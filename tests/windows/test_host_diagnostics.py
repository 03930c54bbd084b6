"""`ndes verify`'s Validate-NDESConfiguration checks against the simulated NDES host: each fact in its Windows
shape from HostDiagnostics.ps1, and each check failed by changing the host's state as an admin or a broken
network would (docs/verify.md lists them)."""
from __future__ import annotations

import pytest

from lab.winrm_sim import ca, certstore, hostmodel
from lab.winrm_sim.handlers import intune_connector as sim_connector
from ndes.model import load_config
from ndes.verify import host_checks as hc
from ndes.windows.contracts import host_diagnostics as HD

from .conftest import NDES1, make_endpoint
from .test_ra_renewal import install
from .part2_lab import service_account

pytestmark = pytest.mark.slow


class Ctx:
    """What host_checks needs of verify's Context: a script runner on the simulated host, a cache."""

    def __init__(self, sim) -> None:
        from ndes.windows import WindowsHost
        self.host = WindowsHost(make_endpoint(sim))
        self.cache: dict = {}

    def script(self, host, winrm, name, params):
        return self.host.run_script(name, params)["state"]


def results(sim, account: str) -> dict[str, object]:
    from tests.unit.sample_config import sample
    dom, name = account.split("\\", 1)
    cfg = load_config(sample())
    cfg = cfg.model_copy(update={"domain": cfg.domain.model_copy(update={"netbios_name": dom}),
                                 "service_account": cfg.service_account.model_copy(update={"name": name})})
    h = cfg.ndes_hosts[0].model_copy(update={"fqdn": NDES1})
    return {r.check: r for r in hc.host_checks(cfg, Ctx(sim), h)}


def test_each_check_against_the_simulated_host(sim, samba_dc):
    with service_account(samba_dc) as (account, password, _sid):
        install(sim, samba_dc, account, password)  # NDES with an https binding, no connector yet
        with sim.edit_state(NDES1) as st:
            st["features"]["installed"] = sorted(set(st["features"]["installed"]) | set(hc.FEATURES))
        r = results(sim, account)
        assert r["OS version"].status == "pass" and "10.0.20348" in r["OS version"].detail
        assert r["IE Enhanced Security Configuration"].status == "pass"
        assert r["service account not a local Administrator"].status == "pass"
        assert r["no intermediate CA in Root"].status == "pass"
        assert r["Windows features"].status == "pass"
        assert r["mscep.dll answers 403 on the host"].status == "fail"  # 200: NDES without the policy module
        assert "200" in r["mscep.dll answers 403 on the host"].detail
        assert all(r[f"outbound HTTPS to {u}"].status == "pass" for u in hc.ENDPOINTS)

        esc = "HKLM:\\SOFTWARE\\Microsoft\\Active Setup\\Installed Components\\" + HD.ESC_ADMIN
        with sim.edit_state(NDES1) as st:  # each fact broken as on a real host
            sim_connector.stage_installer(st)
            sim_connector._install(st)  # the connector (its policy module): 403 from now on
            hostmodel.ensure_key(st, esc)
            hostmodel.set_value(st, esc, "IsInstalled", "DWord", 1)
            st["localGroups"]["Administrators"]["members"].append(
                {"name": account, "objectClass": "User", "principalSource": "ActiveDirectory"})
            root = certstore.store(st, "LocalMachine\\Root")  # the root, and the issuing CA by mistake
            for cert in (ca.root_ca(), ca.issuing_ca()[0]):
                root[ca.thumbprint(cert)] = {"pem": ca.cert_pem(cert)}
            st["features"]["installed"].remove("Web-WMI")
            st["network"] = {"blocked": ["autoupdate.msappproxy.net"], "proxy": ""}
            st["os"] = {"caption": "Microsoft Windows Server 2012 Standard", "version": "6.2.9200"}
        r = results(sim, account)
        assert r["mscep.dll answers 403 on the host"].status == "pass"
        assert r["IE Enhanced Security Configuration"].status == "warn"
        assert r["service account not a local Administrator"].status == "warn"
        assert r["no intermediate CA in Root"].status == "fail" and "Lab Issuing CA" in r["no intermediate CA in Root"].detail
        assert r["Windows features"].status == "fail" and "Web-WMI" in r["Windows features"].detail
        assert r["outbound HTTPS to https://autoupdate.msappproxy.net/"].status == "fail"
        assert r["outbound HTTPS to https://login.microsoftonline.com/"].status == "pass"
        assert r["OS version"].status == "fail"

        assert r["NDES and connector errors (event logs)"].status == "pass"
        assert r["mscep.dll requests (IIS log)"].status == "pass"

        from lab.winrm_sim import clock
        with sim.edit_state(NDES1) as st:  # what a failed request leaves: NDES's event (as scep_pkiop logs it)
            st.setdefault("eventLog", {}).setdefault("Application", []).append({
                "timeCreated": clock.now().strftime("%Y-%m-%dT%H:%M:%S.%fZ"), "level": "Error",
                "source": "Microsoft-Windows-NetworkDeviceEnrollmentService", "message": "NDES cannot decode",
                "transactionId": ""})
            st["iisLog"] = ["2026-11-30 10:00:00 127.0.0.11 GET /certsrv/mscep/mscep.dll operation=GetCACert&message=x "
                            "443 - 127.0.0.21 scep - 500 0 0 12"]
            st["iis"]["appPools"]["SCEP"]["state"] = "Stopped"
        r = results(sim, account)
        assert "503" in r["mscep.dll answers 403 on the host"].detail
        assert r["NDES and connector errors (event logs)"].status == "warn"
        assert "NDES cannot decode" in r["NDES and connector errors (event logs)"].detail
        assert r["mscep.dll requests (IIS log)"].status == "warn"

        rights = {"SeInteractiveLogonRight": [account], "SeBatchLogonRight": [account],
                  "SeServiceLogonRight": [account]}
        with sim.edit_state(NDES1) as st:  # logon rights by group policy (RSOP), the alternative to IIS_IUSRS
            st["userRights"] = rights
        st = HD.HostDiagnosticsState.model_validate(Ctx(sim).script(NDES1, None, HD.SCRIPT, HD.HostDiagnosticsParams(
            host_fqdn=NDES1).wire()))
        assert st.user_rights == rights
