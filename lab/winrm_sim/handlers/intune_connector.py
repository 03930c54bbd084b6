"""IntuneConnector on a simulated NDES host: the Certificate Connector for Microsoft Intune as the script sees
it (Uninstall key, services, the PFXCertificateConnector key and the connector's certificate).

The silent install runs only an installer file that exists on the host (state["files"]; a lab step stages
it with `stage_installer`). Registration is what the interactive sign-in does in reality; the lab's test knob
`register(state)` plays it: a connector certificate from a simulated "Microsoft Intune ImportPFX Connector CA"
in LocalMachine\\My, named by EncryptionCertThumbprint.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from ndes.windows.contracts.intune_connector import IntuneConnectorParams

from .. import ca, certstore, clock, hostmodel
from . import ScriptError, handler, validated

DISPLAY_NAME = "Certificate Connector for Microsoft Intune"
UNINSTALL_KEY = r"HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall\{8A3B5C1E-4F2D-4C43-9B7A-6E2D1F0C9A11}"
CONNECTOR_KEY = r"HKLM:\SOFTWARE\Microsoft\MicrosoftIntune\PFXCertificateConnector"
SERVICES = ("PFXCertificateConnectorSvc", "PkiCreateConnectorSvc", "PfxCreateLegacyConnectorSvc",
            "PkiRevokeConnectorSvc", "PKIConnectorSvc")
CONFIGURED = ("PFXCertificateConnectorSvc", "PKIConnectorSvc")
"""The services of the features the lab's connector is configured with (SCEP/PKCS): Automatic and running; the
others (legacy PFX, PKCS create, revocation) stay Manual and stopped, as for features not selected. Which
services a given selection starts is a guess (the connector's documentation does not list it)."""
VERSION = "6.2301.1.0"
INSTALLER = r"C:\Installers\IntuneCertificateConnector.exe"
UI = r"%ProgramFiles%\Microsoft Intune\PFXCertificateConnector\ConnectorUI\PFXCertificateConnectorUI.exe"


def stage_installer(state: dict[str, Any], path: str = INSTALLER) -> str:
    """Lab step: copy the connector installer onto the host."""
    state.setdefault("files", {})[path.lower()] = {"path": path, "kind": "IntuneCertificateConnector"}
    return path


def register(state: dict[str, Any], days: int = 365) -> str:
    """Lab knob: what the interactive sign-in in the connector UI does (a connector certificate is enrolled)."""
    key = ca.new_key(2048)
    issuer = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Microsoft Intune ImportPFX Connector CA")])
    now = clock.now()  # the lab clock: the sign-in happens in the lab's present (lab/winrm_sim/clock.py)
    cert = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, state["name"])]))
            .issuer_name(issuer).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1) if days > 0 else now + dt.timedelta(days=days - 2))
            .not_valid_after(now + dt.timedelta(days=days))
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)  # Validate-NDES
            .sign(key, hashes.SHA256()))
    tp = certstore.add(state, cert, ca.key_pem(key))
    hostmodel.ensure_key(state, CONNECTOR_KEY)
    hostmodel.set_value(state, CONNECTOR_KEY, "EncryptionCertThumbprint", "String", tp)
    return tp


def _live(state: dict[str, Any]) -> dict[str, Any]:
    uninstall = hostmodel.get_value(state, UNINSTALL_KEY, "DisplayName")
    inst = bool(uninstall and uninstall["value"] == DISPLAY_NAME)
    version = hostmodel.get_value(state, UNINSTALL_KEY, "DisplayVersion") if inst else None
    services = {n: s["status"] for n, s in certstore.services(state).items() if n in SERVICES}
    start_types = {n: s.get("startType", "Automatic") for n, s in certstore.services(state).items() if n in SERVICES}
    thumb_v = hostmodel.get_value(state, CONNECTOR_KEY, "EncryptionCertThumbprint")
    thumb = str(thumb_v["value"]).upper() if thumb_v else ""
    entry = certstore.store(state).get(thumb) if thumb else None
    cert = certstore.load(entry) if entry else None
    registered = inst and cert is not None and "Microsoft Intune" in ca.windows_subject(cert.issuer)
    return {"installed": inst, "version": version["value"] if version else "", "services": services,
            "startTypes": start_types, "registered": bool(registered), "certificateThumbprint": thumb,
            "certificateNotAfter": ca.cert_facts(cert)["notAfter"] if cert else "",
            "certificateDaysLeft": certstore.days_left(cert) if cert else None}


def configured_running(state: dict[str, Any]) -> bool:
    """The services of the configured features (start type Automatic) all run: the connector can work."""
    mine = {n: s for n, s in certstore.services(state).items() if n in SERVICES and s.get("startType") == "Automatic"}
    return bool(mine) and all(s["status"] == "Running" for s in mine.values())


def _install(state: dict[str, Any]) -> None:
    hostmodel.ensure_key(state, UNINSTALL_KEY)
    hostmodel.set_value(state, UNINSTALL_KEY, "DisplayName", "String", DISPLAY_NAME)
    hostmodel.set_value(state, UNINSTALL_KEY, "DisplayVersion", "String", VERSION)
    for name in SERVICES:
        on = name in CONFIGURED
        certstore.services(state)[name] = {"status": "Running" if on else "Stopped",
                                           "startType": "Automatic" if on else "Manual"}


def _uninstall(state: dict[str, Any]) -> None:
    hostmodel.remove_key(state, UNINSTALL_KEY)
    hostmodel.remove_key(state, CONNECTOR_KEY)
    for name in SERVICES:
        certstore.services(state).pop(name, None)


@handler("IntuneConnector")
def intune_connector(ctx: Any, raw: dict[str, Any]) -> dict[str, Any]:
    p = validated(IntuneConnectorParams, raw).wire()
    state = ctx.state
    now = _live(state)
    changed, warnings = False, []
    if p.get("mode") == "set":
        installer = str(p.get("installerPath") or "")
        if (p.get("ensure") or "present") == "absent":
            if now["installed"] and installer:
                if installer.lower() not in state.get("files", {}):
                    raise ScriptError(f"This command cannot be run because the file {installer} cannot be found",
                                      "InvalidOperation")
                _uninstall(state)
                changed = True
            elif now["installed"]:
                warnings.append("the connector stays installed: no installerPath to uninstall it with")
            hostmodel.clear_owner_mark(state, "IntuneConnector")
        else:
            missing = ("the Intune Certificate Connector is not installed: install it (download it from the Intune "
                       "admin center, Tenant administration > Connectors and tokens) or set "
                       "ndes:connector.installerPath to the installer on this host for a silent install")
            if not now["installed"] and not installer:
                if p.get("requireRegistered"):
                    raise ScriptError(missing, "NotSpecified")
                warnings.append(missing)
            elif not now["installed"]:
                if installer.lower() not in state.get("files", {}):
                    raise ScriptError(f"the connector installer {installer} does not exist on this host", "NotSpecified")
                _install(state)
                changed = True
            if p.get("owner") and _live(state)["installed"]:
                hostmodel.set_owner_mark(state, "IntuneConnector", str(p["owner"]))
            for name, svc in certstore.services(state).items():  # Start-Service on the Automatic ones
                if name in SERVICES and svc["status"] != "Running" and svc.get("startType") == "Automatic":
                    if svc.get("failsToStart"):  # a test knob: the service's own failure (Windows error 1053)
                        warnings.append(f"the connector service {name} did not start: Service '{name} ({name})' "
                                        "cannot be started due to the following error: Cannot start service "
                                        f"{name} on computer '.'.")
                        continue
                    svc["status"] = "Running"
                    changed = True
            now = _live(state)
            if not now["installed"]:
                pass  # reported above
            elif not now["registered"]:
                msg = ("the Intune Certificate Connector is installed but not registered with Intune: registration "
                       f"needs an interactive sign-in; on this host run {UI} and sign in as a Global or Intune "
                       "Administrator (with an Intune license), then run pulumi up again")
                if p.get("requireRegistered"):
                    raise ScriptError(msg, "NotSpecified")
                warnings.append(msg)
            elif now["certificateDaysLeft"] is not None and now["certificateDaysLeft"] < 0:
                msg = (f"the connector certificate expired on {now['certificateNotAfter']}: devices get IIS 403.17; "
                       "renew it in the connector UI")
                if p.get("requireRegistered"):
                    raise ScriptError(msg, "NotSpecified")
                warnings.append(msg)
        now = _live(state)
    now["owner"] = hostmodel.owner_mark(state, "IntuneConnector") or ""
    return {"changed": changed, "state": now, "rebootRequired": False, "warnings": warnings}
