"""The LDAP client of the Directory plane (ldap3, no Pulumi): connection over verified TLS, escaping, errors,
security descriptors, accounts and SPNs, certificate templates and their OIDs, template issuance.

    from ndes.directory import DirectoryClient, DirectorySettings
    with DirectoryClient.connect(DirectorySettings(url, user, password, ca_bundle=pem)) as dc:
        ...
"""
from __future__ import annotations

from .client import DirectoryClient, DirectorySettings
from .errors import AccessDenied, Conflict, DirectoryError, InvalidValue, NotFound, Unavailable

__all__ = ["AccessDenied", "Conflict", "DirectoryClient", "DirectoryError", "DirectorySettings", "InvalidValue",
           "NotFound", "Unavailable"]
