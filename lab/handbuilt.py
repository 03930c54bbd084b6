"""A "hand-built" NDES in the lab, as an admin following the seed guide would make it, with three mistakes:

    1. the SSL certificate's CN is the NDES host's internal FQDN (the stack wants the external one)
    2. the https binding on 443 carries a host name (it must be empty)
    3. MSCEP GeneralPurposeTemplate names the SSL template (it must name the client template)

It lives beside the lab stack without touching it: the NDES host is ndes2 (the lab stack uses ndes1), and the
account, templates, App Proxy application and Intune profiles have names of their own (NAMES). Built directly:
AD objects by raw LDAP writes and samba-tool in the real Samba (lab/handbuilt_directory.py; no product code, no
owner marks), the Windows side by running the same cmdlet scripts an admin runs by hand on the simulated hosts
(WinRM, no owner marks) and the simulator's restart knob,
the Graph objects by raw requests to the simulator's Graph API, bodies from Graph's documentation
(lab/handbuilt_graph.py; no product code, no owner marks).

    python -m lab.handbuilt build     build it (resets ndes2 first) and print what was planted
    python -m lab.handbuilt config    print the stack config that adopts it (Pulumi.<stack>.yaml)
    python -m lab.handbuilt clean     remove everything it (or an adopting stack) made

`stack_overrides()` gives the dotted overrides of the lab stack config (tests/e2e/lab_stack.lab_project).
"""
from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from . import process, topology

REPO = Path(__file__).resolve().parent.parent
NDES = topology.NDES_HOSTS[1]
CA = topology.CA
NAMES = {"account": "svc-hb-ndes", "ssl": "HB-NDES-SSL", "client": "HB-NDES-Intune", "app": "NDES HB",
         "profiles": "HB-NDES"}
PLATFORMS = ["ios", "androidWorkProfile"]
LAB_GROUP = "6f1c1e0a-1111-4a4a-9b9b-000000000001"  # the lab tenant's group (lab.graph_sim.state.SEED_GROUPS)
SITE = "Default Web Site"


def stack_overrides(adopt: bool = True) -> dict[str, Any]:
    """Dotted overrides of Pulumi.lab.yaml for a stack that manages the hand-built NDES (`adopt: true` in each
    section that has it)."""
    return {
        "ndesHosts": [{"fqdn": NDES["name"], "externalUrl": NDES["external_url"],
                       "winrm": {"url": f"https://{NDES['address']}:{NDES['winrm_port']}/wsman"}}],
        "serviceAccount.name": NAMES["account"], "serviceAccount.adopt": adopt,
        "templates": {"ssl": {"name": NAMES["ssl"], "displayName": "HB NDES SSL", "adopt": adopt},
                      "client": {"name": NAMES["client"], "displayName": "HB NDES Intune", "adopt": adopt}},
        "ca.adopt": adopt, "sslCertificate": {"adopt": adopt}, "ndesRole.adopt": adopt,
        "appProxy.displayName": NAMES["app"], "appProxy.adopt": adopt,
        # the guide's one SCEP profile per platform (the intune.scep shorthand), for the lab stack's group
        "intune": {"profileNamePrefix": NAMES["profiles"], "platforms": PLATFORMS, "adopt": adopt,
                   "scep": {"groups": [{"id": LAB_GROUP}]}},
    }


def stack_config(adopt: bool = True) -> dict[str, Any]:
    """The whole Pulumi.<stack>.yaml document (lab config with the overrides)."""
    doc = yaml.safe_load((REPO / "Pulumi.lab.yaml").read_text())
    cfg = doc["config"]
    for dotted, value in stack_overrides(adopt).items():
        top, *rest = dotted.split(".")
        if not rest:
            cfg[f"ndes:{top}"] = value
            continue
        node = cfg.setdefault(f"ndes:{top}", {})
        for part in rest[:-1]:
            node = node.setdefault(part, {})
        node[rest[-1]] = value
    return doc


def deployment_config():
    """The validated DeploymentConfig of that stack, secrets from the lab's environment."""
    from ndes.cli import load

    from .env import lab_environment
    for k, v in lab_environment().items():
        if k.startswith("NDES_LAB_"):
            os.environ.setdefault(k, v)
    return load(stack_config()["config"])


@dataclass(frozen=True)
class Mistake:
    what: str
    where: str
    config_key: str
    fix: str


MISTAKES = [
    Mistake("SSL certificate CN = the internal FQDN", f"{NDES['name']} LocalMachine\\My", "ndes:sslCertificate",
            "a certificate with CN = the external FQDN is enrolled and bound"),
    Mistake("a host name on the https binding", f"{NDES['name']} IIS {SITE} https/443", "ndes:sslCertificate",
            "the binding's host name is cleared"),
    Mistake("MSCEP GeneralPurposeTemplate = the SSL template", f"{NDES['name']} HKLM\\...\\Cryptography\\MSCEP",
            "ndes:intune.scep.keyUsage", f"GeneralPurposeTemplate = {NAMES['client']}"),
]


# ---------------------------------------------------------------------------------------------- directory
def build_directory(cfg, echo) -> None:
    """Active Directory Users and Computers + setspn + the Certificate Templates console: raw LDAP and samba-tool
    (lab/handbuilt_directory.py), no product code."""
    from . import handbuilt_directory
    handbuilt_directory.build(cfg, NDES["name"], echo)


def clean_directory(cfg, echo) -> None:
    from . import handbuilt_directory
    handbuilt_directory.clean(cfg, echo)


# ---------------------------------------------------------------------------------------------- windows

def _install_credential(cfg) -> dict:
    """The admin who built NDES by hand signed in as a Domain Admins member: the install's -Credential here."""
    ic = cfg.ndes_role.install_credential
    return {} if ic is None else {"installCredential": {"username": ic.username,
                                                        "password": ic.password.get_secret_value()}}

def _host(cfg, name: str, own):
    from ndes.verify.context import default_windows
    return default_windows(cfg, name, own, REPO)


def _set(host, script: str, params: dict[str, Any], timeout: int | None = None) -> dict[str, Any]:
    return host.run_script(script, {"mode": "set", "ensure": "present", "owner": "", **params}, timeout=timeout)


def build_windows(cfg, echo) -> None:
    """What the admin does on the CA and on the NDES host (Server Manager, certsrv.msc, IIS Manager, regedit)."""
    from lab.winrm_sim import control, store
    from ndes.model.urls import ssl_names

    account = cfg.service_account_logon
    ca = _host(cfg, cfg.ca.host, cfg.ca.winrm)
    _set(ca, "CaAccess", {"caName": cfg.ca.common_name, "account": account, "accountSid": ""})
    echo(f"{cfg.ca.host}: Request Certificates for {account}")

    h = cfg.ndes_hosts[0]
    store.reset_state(h.fqdn, control.LAB.state_dir)  # a freshly installed server
    host = _host(cfg, h.fqdn, h.winrm)
    _set(host, "WindowsFeatures", {"features": ["ADCS-Device-Enrollment", "Web-Server", "Web-Filtering",
                                                "Web-Asp-Net45", "Web-Net-Ext45", "Web-Metabase", "Web-WMI",
                                                "NET-WCF-HTTP-Activation45"], "includeManagementTools": True},
         timeout=1800)
    from ndes.windows.contracts import local_group_member as lgm
    host.run_script(lgm.SCRIPT, lgm.LocalGroupMemberParams(mode="set", group="IIS_IUSRS", member=account,
                                                           action="add").wire())
    r = cfg.ndes_role
    from ndes.windows.ca_wait import while_template_not_offered
    while_template_not_offered(lambda: _set(host, "NdesRole", {
        "serviceAccount": account, "serviceAccountPassword": cfg.service_account.password.get_secret_value(),
        "caConfig": cfg.ca.config, "raName": r.ra_name or f"{h.short_name.upper()}-MSCEP-RA",
        "raEmail": r.ra_email or "", "raCompany": r.ra_company or "", "raDepartment": r.ra_department or "",
        "raCity": r.ra_city or "", "raState": r.ra_state or "", "raCountry": r.ra_country or "",
        "signingProvider": r.signing_provider, "signingKeyLength": r.signing_key_length,
        "encryptionProvider": r.encryption_provider, "encryptionKeyLength": r.encryption_key_length,
        "allowReinstall": False, "install": True, **_install_credential(cfg)}, timeout=600),
        "EnrollmentAgentOffline and CEPEncryption", "the CA must offer the RA templates", budget=120)
    echo(f"{h.fqdn}: features, IIS_IUSRS, NDES role ({account})")
    _set(host, "IisRequestLimits", {"site": SITE, "maxUrl": cfg.iis.max_url,
                                    "maxQueryString": cfg.iis.max_query_string})
    hs = r"HKLM:\SYSTEM\CurrentControlSet\Services\HTTP\Parameters"
    _set(host, "RegistryValues", {"values": [
        {"path": hs, "name": "MaxFieldLength", "type": "DWord", "value": cfg.http_sys.max_field_length},
        {"path": hs, "name": "MaxRequestBytes", "type": "DWord", "value": cfg.http_sys.max_request_bytes}],
        "markRebootPending": True, "mark": "handbuilt"})
    boot = _boot_id(host)
    control.LAB.reboot(h.fqdn, 1.0)  # the restart the guide asks for
    _wait_back(host, boot)
    echo(f"{h.fqdn}: IIS request limits, HTTP.sys values, restarted")
    _, sans = ssl_names(h.external_url, h.fqdn, "external")
    from ndes.windows.contracts import call
    from ndes.windows.contracts import machine_certificate as mc
    from ndes.windows.ca_wait import while_template_not_offered
    # the admin's enrollment, tried again while the CA has not picked the new template up yet
    cert = while_template_not_offered(lambda: call(host, mc.SCRIPT, mc.MachineCertificateParams(
        mode="set", action="enroll", template=cfg.templates.ssl.name, subject=f"CN={h.fqdn}", dns_names=sans),
        mc.MachineCertificateState, timeout=300), cfg.templates.ssl.name, "issue it on the CA",
        budget=120).state.certificate.model_dump(by_alias=True)
    echo(f"{h.fqdn}: SSL certificate {cert['thumbprint']} CN={h.fqdn} (mistake 1: CN = internal FQDN)")
    from ndes.windows.contracts import iis_https_binding as ib
    call(host, ib.SCRIPT, ib.IisHttpsBindingParams(mode="set", site_name=SITE, port=443, actions=[
        ib.BindingAction(kind="create", binding_information=f"*:443:{h.fqdn}"),
        ib.BindingAction(kind="certificate", binding_information=f"*:443:{h.fqdn}", thumbprint=cert["thumbprint"])]),
        ib.IisHttpsBindingState)
    echo(f"{h.fqdn}: https binding 443 with host name {h.fqdn} (mistake 2: not empty)")
    _set(host, "MscepTemplateMapping", {"templates": {"GeneralPurposeTemplate": cfg.templates.ssl.name}})
    echo(f"{h.fqdn}: MSCEP GeneralPurposeTemplate = {cfg.templates.ssl.name} (mistake 3: the SSL template)")
    from lab.winrm_sim.handlers import intune_connector as sim_connector
    with store.edit_state(h.fqdn, control.LAB.state_dir) as st:  # the admin copies the installer over
        installer = sim_connector.stage_installer(st)
    _set(host, "IntuneConnector", {"installerPath": installer, "requireRegistered": False}, timeout=900)
    with store.edit_state(h.fqdn, control.LAB.state_dir) as st:  # the interactive sign-in in the connector UI
        sim_connector.register(st)
    echo(f"{h.fqdn}: Intune Certificate Connector installed and registered")


def _boot_id(host) -> str | None:
    return host.run_script("HostBoot", {"mode": "get"})["state"].get("bootId")


def _wait_back(host, before: str | None, timeout: float = 60.0) -> None:
    """Until the host answers again with another boot id (the restart happened), not for a fixed time."""
    last: list[Exception] = []

    def back() -> bool:
        try:
            return _boot_id(host) != before
        except Exception as exc:  # refused or reset while it restarts
            last[:] = [exc]
            return False

    if not process.wait_for(back, timeout, 0.5):
        raise TimeoutError(f"{host} did not come back from its restart within {timeout:.0f}s"
                           + (f" (last: {last[0]})" if last else ""))


def clean_windows(cfg, echo) -> None:
    from lab.winrm_sim import control, store
    account = cfg.service_account_logon
    from ndes.windows import ScriptFailed
    ca = _host(cfg, cfg.ca.host, cfg.ca.winrm)
    try:
        ca.run_script("CaAccess", {"mode": "set", "ensure": "absent", "owner": "", "caName": cfg.ca.common_name,
                                   "account": account, "accountSid": ""})
    except ScriptFailed as exc:  # the account is gone already (a stack's destroy): no name to take the right from
        if "could not be translated" not in exc.message:
            raise
    store.reset_state(cfg.ndes_hosts[0].fqdn, control.LAB.state_dir)
    echo(f"removed Request Certificates for {account}; {cfg.ndes_hosts[0].fqdn} back to a fresh install")


# ---------------------------------------------------------------------------------------------- graph
def build_graph(cfg, echo) -> None:
    """The Entra admin center (App Proxy) and the Intune admin center (profiles), as the seed shows them: raw
    Graph requests with bodies from Graph's documentation (lab/handbuilt_graph.py), no owner mark."""
    from . import handbuilt_graph as hg

    c, admin = hg.clients(cfg)
    try:
        h, ap = cfg.ndes_hosts[0], cfg.app_proxy
        hg.build_app_proxy(admin, cfg)
        echo(f"App Proxy application '{ap.display_name}': {h.external_url} -> {h.internal}")
        # the admin exports the root and issuing CA certificates from the CA (certutil -ca.cert / -ca.chain)
        ca = _host(cfg, cfg.ca.host, cfg.ca.winrm).run_script("CaCertificate", {
            "mode": "get", "caName": cfg.ca.common_name})["state"]
        hg.build_profiles(c, cfg, ca["root"]["derBase64"], ca["issuing"]["derBase64"], echo)
    finally:
        c.close()
        admin.close()


def profile_names(cfg) -> list[str]:
    from .handbuilt_graph import profile_names as names
    return names(cfg)


def graph_ids(cfg) -> dict[str, str]:
    """display name -> object id of every Graph object of the hand-built NDES (for 'unchanged ids' checks)."""
    from . import handbuilt_graph as hg
    c = hg.RawGraph(hg._endpoints(cfg)[0], hg.app_token(cfg), hg._verify(cfg))
    try:
        return hg.ids(c, cfg)
    finally:
        c.close()


def clean_graph(cfg, echo) -> None:
    from . import handbuilt_graph as hg
    c, admin = hg.clients(cfg)
    try:
        for app in hg.find_applications(c, cfg.app_proxy.display_name):
            hg.delete_application(admin, app)
            echo(f"removed {app['displayName']}")
        # SCEP profiles before the roots they link
        for name in sorted(hg.profile_names(cfg), key=lambda n: " SCEP - " not in n):
            for p in hg.find_profiles(c, name):
                hg.delete_profile(c, p["id"])
                echo(f"removed {name}")
    finally:
        c.close()
        admin.close()


# ---------------------------------------------------------------------------------------------- entry points
def build(echo=print) -> list[Mistake]:
    cfg = deployment_config()
    build_directory(cfg, echo)
    build_windows(cfg, echo)
    build_graph(cfg, echo)
    echo("\nplanted mistakes:")
    for i, m in enumerate(MISTAKES, 1):
        echo(f"  {i}. {m.what} ({m.where}); with adopt: true `pulumi up` fixes it: {m.fix} [{m.config_key}]")
    return MISTAKES


def clean(echo=print) -> None:
    cfg = deployment_config()
    for step in (clean_graph, clean_windows, clean_directory):
        try:
            step(cfg, echo)
        except Exception as exc:  # clean as much as possible; say what was left
            echo(f"{step.__name__}: {type(exc).__name__}: {exc}")


def main(argv: list[str]) -> int:
    cmd = argv[0] if argv else ""
    if cmd == "build":
        build()
    elif cmd == "clean":
        clean()
    elif cmd == "config":
        sys.stdout.write(yaml.safe_dump(stack_config(), sort_keys=False))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
