"""Session fixtures for the lab's real Samba AD DC (imported by tests/conftest.py).

``samba_dc`` brings the DC up through ``lab.samba_dc.up()`` (reusing one that already runs, e.g. from
``python -m lab.samba_dc up``) and yields a ``lab.samba_dc.DcInfo``: attributes (and ``dc["key"]``) ldap_url,
host, port, ca_bundle, bind_user, bind_password, domain_dn, config_dn, realm, netbios_domain, dns_domain,
dc_fqdn, enrollment_service_dn, enterprise_ca_name, enterprise_ca_host, lab_dir, started.
It stops the DC at the end of the session only if this session started it.
"""

from __future__ import annotations

import sys

import pytest

__all__ = ["samba_dc", "samba_ldap"]


@pytest.fixture(scope="session")
def samba_dc():
    from lab import samba_dc as lab_dc

    def echo(msg: str) -> None:
        print(f"[samba-dc] {msg}", file=sys.stderr, flush=True)

    try:
        dc = lab_dc.up(echo=echo)
    except lab_dc.DcError as exc:
        pytest.fail(f"the lab Samba DC could not be brought up: {exc}", pytrace=False)
    try:
        yield dc
    finally:
        if dc.started:
            lab_dc.down(echo=echo)


@pytest.fixture
def samba_ldap(samba_dc):
    """A bound ldap3 Connection to the lab DC (SIMPLE bind as Administrator over verified LDAPS)."""
    from lab import samba_dc as lab_dc

    conn = lab_dc.connect(samba_dc)
    try:
        yield conn
    finally:
        conn.unbind()
