"""Shared pytest fixtures. Keep this file a list of imports: fixtures live in tests/fixtures_*.py."""

from tests.fixtures_samba import *  # noqa: F401,F403  (samba_dc, samba_ldap)
