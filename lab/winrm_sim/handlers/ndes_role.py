"""NdesRole on a simulated NDES host: Install-AdcsNetworkDeviceEnrollmentService and what it leaves.

Refuses what the installer refuses: the ADCS-Device-Enrollment feature missing, a service account that is not
in the local IIS_IUSRS group, a wrong service-account password (checked by a bind to the lab Samba), a CA
config that names no Enterprise CA in AD or a CA whose service is down, a CSP that is not a CryptoAPI one
("NDES only supports the CryptoAPI CSP"), an odd key length. Install issues the two RA certificates
(EnrollmentAgentOffline, CEPEncryption) from the lab Enterprise CA with the RA details as their subject into
LocalMachine\\My, writes the MSCEP key (defaults) and CAInfo, and creates the SCEP app pool running as the
service account and the /CertSrv/mscep application. Uninstall removes the role's configuration (Windows
leaves the RA certificates in the store; NdesRole.ps1's ensure absent then deletes them, as played here).
"""
from __future__ import annotations

from typing import Any

from ndes.windows.contracts.ndes_role import NdesRoleParams

from .. import ca, certstore, hostmodel, identity, pool_logon
from . import ScriptError, handler, validated

CAINFO_KEY = hostmodel.MSCEP_KEY + r"\CAInfo"
CRYPTOAPI_PROVIDERS = ("Microsoft Strong Cryptographic Provider", "Microsoft Enhanced Cryptographic Provider v1.0",
                       "Microsoft Base Cryptographic Provider v1.0", "Microsoft Enhanced RSA and AES Cryptographic Provider",
                       "Microsoft RSA SChannel Cryptographic Provider")
KEY_LENGTHS = (1024, 2048, 3072, 4096, 8192, 16384)
MSCEP_APP = "/CertSrv/mscep"


def installed(state: dict[str, Any]) -> bool:
    return hostmodel.key_exists(state, hostmodel.MSCEP_KEY)


def ra_certificates(state: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for tp, entry in certstore.store(state).items():
        cert = certstore.load(entry)
        template = ca.template_name_v1(cert)
        if template not in ca.RA_TEMPLATES:
            continue
        f = ca.cert_facts(cert)
        rdn = {k.strip(): v for k, v in (p.split("=", 1) for p in f["subject"].split(", ") if "=" in p)}
        out.append({
            "template": template, "thumbprint": tp, "subject": f["subject"], "notBefore": f["notBefore"],
            "notAfter": f["notAfter"], "daysLeft": certstore.days_left(cert),
            "keyLength": cert.public_key().key_size, "provider": entry.get("provider", ""),
            "raName": rdn.get("CN"), "raEmail": rdn.get("E"), "raCompany": rdn.get("O"), "raDepartment": rdn.get("OU"),
            "raCity": rdn.get("L"), "raState": rdn.get("S"), "raCountry": rdn.get("C"),
        })
    return out


def live(state: dict[str, Any]) -> dict[str, Any]:
    """What NdesRole.ps1 reports: raw facts; every certificate carrying a v1 template-name extension as DER
    (+ its key's CSP), for the client to pick the RA certificates from."""
    inst = installed(state)
    iis = state.get("iis") or {}
    pool = (iis.get("appPools") or {}).get("SCEP")
    site = hostmodel.find_site(state, "Default Web Site")
    app = site is not None and MSCEP_APP in (site[1].get("applications") or {})
    cfg = hostmodel.get_value(state, CAINFO_KEY, "Configuration") if inst else None
    v1 = [dict(certstore.windows_facts(e), provider=e.get("provider", "")) for e in certstore.store(state).values()
          if ca.template_name_v1(certstore.load(e)) is not None]
    return {"mscepKey": inst, "appPool": pool is not None, "application": bool(app),
            "serviceAccount": pool["userName"] if pool else "", "caConfig": cfg["value"] if cfg else None,
            "raCertificates": v1}


def _in_iis_iusrs(state: dict[str, Any], account: str) -> bool:
    group = state.get("localGroups", {}).get("IIS_IUSRS", {"members": []})
    return any(m["name"].lower() == account.lower() for m in group["members"])


def _install(ctx: Any, p: dict[str, Any]) -> None:
    state = ctx.state
    if "ADCS-Device-Enrollment" not in state["features"]["installed"] or not hostmodel.iis_installed(state):
        raise ScriptError("the ADCS-Device-Enrollment feature is not installed: install it first (WindowsFeatures)",
                          "ObjectNotFound")
    account = str(p.get("serviceAccount") or "")
    if "\\" not in account:
        raise ScriptError(f"The service account name {account} must be given as DOMAIN\\user", "InvalidArgument")
    if not _in_iis_iusrs(state, account):
        raise ScriptError(f"The account {account} is not a member of the local IIS_IUSRS group. Add it to the group "
                          f"and try again.", "InvalidOperation")
    for which in ("signing", "encryption"):
        provider, length = p.get(f"{which}Provider"), int(p.get(f"{which}KeyLength") or 0)
        if provider not in CRYPTOAPI_PROVIDERS:
            raise ScriptError(f"The {which} provider '{provider}' is not a valid cryptographic service provider for "
                              f"NDES (NDES only supports the CryptoAPI CSP)", "InvalidArgument")
        if length not in KEY_LENGTHS:
            raise ScriptError(f"The {which} key length {length} is not supported by {provider}", "InvalidArgument")
    # who the cmdlet reaches AD and the CA as: -Credential, or the caller when the logon delegated (identity.py)
    installer = identity.second_hop(ctx, "the CA and the domain controller", "Install-AdcsNetworkDeviceEnrollmentService",
                                    p.get("installCredential") or None)
    identity.require_install_admin(ctx, installer)
    view = certstore.samba(ctx)
    conn = view.connect()
    try:
        svc = view.enrollment_service(conn)
    finally:
        conn.unbind()
    want = str(p.get("caConfig") or "")
    if svc is None or want.lower() != f"{svc['dnsHostName']}\\{svc['cn']}".lower():
        raise ScriptError(f"The certification authority {want} could not be found in Active Directory: give the CA "
                          f"config as <CA host FQDN>\\<CA common name>", "ObjectNotFound")
    ca_state = certstore.host_state(ctx, svc["dnsHostName"])
    if not ca_state or (ca_state.get("certsvc") or {"service": {"status": "Running"}})["service"]["status"] != "Running":
        raise ScriptError(f"The certification authority {want} is not available (the RPC server is unavailable)",
                          "ConnectionError")
    if not view.check_password(account.split("\\", 1)[1], str(p.get("serviceAccountPassword") or "")):
        raise ScriptError("The user name or password is incorrect. 0x8007052e (WIN32: 1326 ERROR_LOGON_FAILURE)",
                          "AuthenticationError")
    ra = {"name": p.get("raName"), "email": p.get("raEmail"), "company": p.get("raCompany"),
          "department": p.get("raDepartment"), "city": p.get("raCity"), "state": p.get("raState"),
          "country": p.get("raCountry")}
    if not ra["name"]:
        raise ScriptError("RAName must not be empty", "InvalidArgument")
    # the installer publishes the RA templates on the CA (when its list lacks them) and enrolls them at once: the
    # CA offers a template it has just been given only once its template cache picked it up (templateDelaySeconds);
    # refused, the install stops before it configured anything
    delay = float(getattr(getattr(ctx, "knobs", None), "template_delay_seconds", 0.0) or 0.0)
    lab = getattr(ctx, "lab", None)
    if lab is not None:
        with lab.edit_host(svc["dnsHostName"]) as ca_host:
            pending = ca.publish_shipped(certstore.certsvc(ca_host), ca.RA_TEMPLATES, delay)
        if pending:
            raise ScriptError(f"Install-AdcsNetworkDeviceEnrollmentService: the RA certificate could not be "
                              f"enrolled: The requested certificate template is not supported by this CA. "
                              f"0x80094800 (-2146875392 CERTSRV_E_UNSUPPORTED_CERT_TYPE): template {pending[0]}",
                              "InvalidArgument")
    for template, which in (("EnrollmentAgentOffline", "signing"), ("CEPEncryption", "encryption")):
        cert, key = ca.issue_ra(template, ra, int(p[f"{which}KeyLength"]))
        tp = certstore.add(state, cert, ca.key_pem(key))
        certstore.store(state)[tp]["provider"] = p[f"{which}Provider"]
        certstore.store(state)[tp]["keyReaders"] = [account]  # setup grants the service account Read on the keys
    hostmodel.install_mscep_defaults(state)
    hostmodel.ensure_key(state, CAINFO_KEY)
    hostmodel.set_value(state, CAINFO_KEY, "Configuration", "String", want)
    iis = state["iis"]
    iis.setdefault("appPools", {})["SCEP"] = {"userName": account, "state": "Stopped",
                                              "password": str(p.get("serviceAccountPassword") or "")}
    pool_logon.given(iis["appPools"]["SCEP"])
    hostmodel.start_app_pool(state, "SCEP")
    site = hostmodel.find_site(state, "Default Web Site")
    if site is not None:
        site[1].setdefault("applications", {})[MSCEP_APP] = {"appPool": "SCEP"}


def _uninstall(state: dict[str, Any]) -> None:
    hostmodel.remove_key(state, hostmodel.MSCEP_KEY)
    iis = state.get("iis") or {}
    (iis.get("appPools") or {}).pop("SCEP", None)
    site = hostmodel.find_site(state, "Default Web Site")
    if site is not None:
        site[1].get("applications", {}).pop(MSCEP_APP, None)


@handler("NdesRole")
def ndes_role(ctx: Any, raw: dict[str, Any]) -> dict[str, Any]:
    params = validated(NdesRoleParams, raw).wire()
    state = ctx.state
    now = live(state)
    changed = False
    if params.get("mode") == "set":
        if (params.get("ensure") or "present") == "absent":
            if now["mscepKey"] or now["appPool"] or now["application"]:
                _uninstall(state)
                changed = True
            for tp in params["removeThumbprints"]:  # the certificates the client named, with their keys
                if certstore.store(state).pop(str(tp).upper(), None) is not None:
                    changed = True
            hostmodel.clear_owner_mark(state, "NdesRole")
        else:
            other = now["appPool"] and now["serviceAccount"] and \
                now["serviceAccount"].lower() != str(params.get("serviceAccount")).lower()  # PowerShell's -ne
            if other and not params["repair"] and not params.get("allowReinstall"):
                raise ScriptError(
                    f"NDES is installed with the service account {now['serviceAccount']}, the configuration asks "
                    f"for {params.get('serviceAccount')}: changing the RA cert configs after installing the NDES "
                    f"server is not a supported scenario; the resource replaces NDES (uninstall, install) instead",
                    "NotSpecified")
            if params["repair"] or other:
                _uninstall(state)
                changed = True
            if params["install"] or params["repair"] or other:
                _install(ctx, params)
                changed = True
            if params.get("owner"):
                hostmodel.set_owner_mark(state, "NdesRole", str(params["owner"]))
        now = live(state)
    now["owner"] = hostmodel.owner_mark(state, "NdesRole") or ""
    return {"changed": changed, "state": now, "rebootRequired": False, "warnings": []}
