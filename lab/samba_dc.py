"""The lab's real Active Directory: a Samba AD DC on loopback, LDAPS verified with the lab CA.

    python -m lab.samba_dc up       install (apt) if missing, provision once, start, wait until healthy
    python -m lab.samba_dc down     stop it (its own process group, by pid)
    python -m lab.samba_dc status   running / healthy?   (exit 0 healthy, 1 unhealthy, 3 stopped)
    python -m lab.samba_dc env      shell exports for clients (the only place the password is printed)

State lives in ``lab_dir()`` (``<repo>/.lab`` or ``$NDES_LAB_DIR``):
``samba/`` (the provisioned domain), ``samba-admin-password`` (0600), ``samba.pid``, ``samba.log``.

After provisioning, ``up`` also leaves in the directory what the rest of the lab's world would have put there:
the pKIEnrollmentService object an Enterprise CA install creates ("Lab Issuing CA" on ca1) and the computer
accounts a domain join creates (NDES1$, NDES2$, CA1$). It does NOT create the forest base OID
(``msPKI-Cert-Template-OID`` on ``CN=OID,...``): the product creates it when missing, as the Windows console does.

Python API: ``up()``, ``down()``, ``status()``, ``info()``, ``connect()``; constants below. No Pulumi here.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from typing import Callable

from lab import pki, samba_delegation
from lab.samba_content import _ensure_ad_content
# lab.samba_dc is the API: it re-exports the names its parts define
from lab.samba_layout import (BIND_USER, CONFIG_DN, DC_FQDN, DC_HOSTNAME, DNS_DOMAIN, DOMAIN_DN,  # noqa: F401
                              ENROLLMENT_SERVICE_DN, ENTERPRISE_CA_HOST, ENTERPRISE_CA_NAME, LAB_COMPUTERS, LDAP_HOST,
                              LDAP_URL, LDAPS_PORT, NETBIOS_DOMAIN, PKS_DN, REALM, DcError, DcInfo, _locked, _noop,
                              admin_password, connect, log_path, pid_path, password_path, samba_dir, smb_conf_path)
from lab.samba_process import (_SUPERVISOR_MARK, _alive, _health_error, _is_our_samba, _read_pid,  # noqa: F401
                               _running_pid, _start_samba, _stop, _stop_supervisor, _supervise, _wait_healthy,
                               supervisor_pid_path)
from lab.samba_setup import (_configure_conf, _missing_binaries, _provisioned, ensure_installed,  # noqa: F401
                             ensure_provisioned)


__all__ = [
    "REALM",
    "NETBIOS_DOMAIN",
    "DNS_DOMAIN",
    "DC_HOSTNAME",
    "DC_FQDN",
    "DOMAIN_DN",
    "CONFIG_DN",
    "PKS_DN",
    "LDAP_HOST",
    "LDAPS_PORT",
    "LDAP_URL",
    "BIND_USER",
    "ENTERPRISE_CA_NAME",
    "ENTERPRISE_CA_HOST",
    "ENROLLMENT_SERVICE_DN",
    "LAB_COMPUTERS",
    "DcInfo",
    "DcError",
    "up",
    "down",
    "status",
    "info",
    "connect",
    "env_exports",
    "samba_dir",
    "log_path",
    "pid_path",
    "password_path",
]


# ----------------------------------------------------------------------------------------------- API
def _ensure_world(dc: DcInfo, echo: Callable[[str], None] = _noop) -> None:
    """What the rest of the lab's world leaves in AD, and the lab stack's least-privilege bind account."""
    _ensure_ad_content(dc, echo)
    samba_delegation.ensure(dc, echo)


def info(started: bool = False) -> DcInfo:
    """Connection facts for the lab DC (does not start it; needs the password, i.e. one earlier `up`)."""
    return DcInfo(
        ldap_url=LDAP_URL,
        host=LDAP_HOST,
        port=LDAPS_PORT,
        ca_bundle=str(pki.ca_bundle_path()),
        bind_user=BIND_USER,
        bind_password=admin_password(),
        domain_dn=DOMAIN_DN,
        config_dn=CONFIG_DN,
        realm=REALM,
        netbios_domain=NETBIOS_DOMAIN,
        dns_domain=DNS_DOMAIN,
        dc_fqdn=DC_FQDN,
        enrollment_service_dn=ENROLLMENT_SERVICE_DN,
        enterprise_ca_name=ENTERPRISE_CA_NAME,
        enterprise_ca_host=ENTERPRISE_CA_HOST,
        lab_dir=str(pki.lab_dir()),
        started=started,
        delegated_user=samba_delegation.BIND_UPN,
        delegated_password=samba_delegation.password(),
    )


def up(timeout: float = 180.0, echo: Callable[[str], None] = _noop) -> DcInfo:
    """Make the lab DC run and answer verified LDAPS; return its DcInfo (``started`` says if we started it)."""
    t0 = time.monotonic()
    with _locked():
        pid = _running_pid()
        if pid is not None:
            dc = info()
            err = _health_error(dc)
            if err is None:
                _ensure_world(dc, echo)
                echo(f"samba DC already running (pid {pid}) and healthy")
                return dc
            # Running but not answering (still starting, or wedged): give it the start-up timeout.
            echo(f"samba DC running (pid {pid}) but not healthy yet ({err}); waiting")
            _wait_healthy(pid, dc, timeout)
            _ensure_world(dc, echo)
            return dc

        stale = _read_pid()
        if stale is not None:
            pid_path().unlink(missing_ok=True)

        if ensure_installed(echo):
            echo(f"  installed in {time.monotonic() - t0:.1f}s")
        t1 = time.monotonic()
        if ensure_provisioned(echo):
            echo(f"  provisioned in {time.monotonic() - t1:.1f}s")
        _configure_conf()
        dc = info(started=True)
        t2 = time.monotonic()
        pid, sup = _start_samba()
        echo(f"started samba (pid {pid}, supervisor {sup}), log {log_path()}")
        try:
            _wait_healthy(pid, dc, timeout)
        except DcError:
            _stop(pid, 10.0)
            _stop_supervisor(5.0)
            pid_path().unlink(missing_ok=True)
            raise
        echo(f"  healthy in {time.monotonic() - t2:.1f}s")
        _ensure_world(dc, echo)
        echo(f"samba DC up in {time.monotonic() - t0:.1f}s: {LDAP_URL} (CA bundle {dc.ca_bundle})")
        return dc



def down(timeout: float = 20.0, echo: Callable[[str], None] = _noop) -> bool:
    """Stop the lab DC. Returns True if it was running."""
    with _locked():
        pid = _running_pid()
        if pid is None:
            _stop_supervisor(1.0)
            pid_path().unlink(missing_ok=True)
            echo("samba DC not running")
            return False
        _stop(pid, timeout)
        _stop_supervisor(timeout)
        pid_path().unlink(missing_ok=True)
        echo(f"samba DC stopped (pid {pid})")
        return True


def status() -> dict:
    pid = _running_pid()
    out = {
        "running": pid is not None,
        "pid": pid,
        "provisioned": _provisioned(),
        "installed": not _missing_binaries(),
        "ldap_url": LDAP_URL,
        "ca_bundle": str(pki.pki_dir() / "ca-bundle.pem"),
        "samba_dir": str(samba_dir()),
        "log": str(log_path()),
        "healthy": False,
    }
    if pid is not None:
        err = _health_error(info())
        out["healthy"] = err is None
        if err:
            out["error"] = err
    return out


def env_exports(dc: DcInfo | None = None) -> str:
    dc = dc or info()
    values = {
        "NDES_LAB_DIR": dc.lab_dir,
        "NDES_LAB_LDAP_URL": dc.ldap_url,
        "NDES_LAB_LDAP_HOST": dc.host,
        "NDES_LAB_LDAP_PORT": str(dc.port),
        "NDES_LAB_CA_BUNDLE": dc.ca_bundle,
        "NDES_LAB_BIND_USER": dc.bind_user,
        "NDES_LAB_BIND_PASSWORD": dc.bind_password,
        "NDES_LAB_DOMAIN_DN": dc.domain_dn,
        "NDES_LAB_CONFIG_DN": dc.config_dn,
        "NDES_LAB_REALM": dc.realm,
        "NDES_LAB_NETBIOS_DOMAIN": dc.netbios_domain,
        "NDES_LAB_DNS_DOMAIN": dc.dns_domain,
        "NDES_LAB_DC_FQDN": dc.dc_fqdn,
        "NDES_LAB_CA_NAME": dc.enterprise_ca_name,
        "NDES_LAB_CA_HOST": dc.enterprise_ca_host,
        "NDES_LAB_ENROLLMENT_SERVICE_DN": dc.enrollment_service_dn,
    }
    return "\n".join(f"export {k}={shlex.quote(v)}" for k, v in values.items())


# ----------------------------------------------------------------------------------------------- CLI
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lab.samba_dc", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    p_up = sub.add_parser("up", help="install/provision if needed, start, wait until LDAPS + bind work")
    p_up.add_argument("--timeout", type=float, default=180.0)
    p_down = sub.add_parser("down", help="stop the DC started by `up`")
    p_down.add_argument("--timeout", type=float, default=20.0)
    sub.add_parser("status", help="running / healthy (JSON)")
    sub.add_parser("env", help="shell exports for clients (prints the password)")
    args = parser.parse_args(argv)

    def echo(msg: str) -> None:
        print(f"[samba-dc] {msg}", file=sys.stderr, flush=True)

    try:
        if args.cmd == "up":
            dc = up(timeout=args.timeout, echo=echo)
            print(dc.ca_bundle)
        elif args.cmd == "down":
            down(timeout=args.timeout, echo=echo)
        elif args.cmd == "status":
            st = status()
            print(json.dumps(st, indent=2))
            return 0 if st["healthy"] else (1 if st["running"] else 3)
        elif args.cmd == "env":
            print(env_exports())
    except DcError as exc:
        print(f"[samba-dc] error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
