"""What every Directory-plane provider shares: `DirectoryInputs`, the connection inputs each resource carries
(how to reach and bind to the DC, from ndes:domain; the bind password is a secret input and a secret output),
and `DirectoryProvider`, the base that runs the rights preflight at `check` (directory_preflight.py).

Providers hold no connections (they are pickled into state): `inp.client()` binds inside each call.
"""
from __future__ import annotations

import contextlib
from typing import ClassVar, Iterator

from pydantic import Field

from ..directory import DirectoryClient, DirectorySettings
from ..directory import replication
from . import clients
from .base import NdesProvider, ResourceInputs
from .directory_preflight import PreflightCheck

__all__ = ["DirectoryInputs", "DirectoryProvider"]


class DirectoryInputs(ResourceInputs):
    """How to reach and bind to the DC (from ndes:domain)."""

    connection_fields: ClassVar[tuple[str, ...]] = ("ldapUrl", "startTls", "bindUser", "bindPassword", "caBundle",
                                                    "insecureSkipTlsVerify", "readerUrls", "replicationTimeout")
    ldap_url: str
    start_tls: bool = False
    bind_user: str
    bind_password: str = Field(repr=False)
    ca_bundle: str | None = None
    """PEM text of the CAs that issued the DC's certificate (the component reads the file)."""
    insecure_skip_tls_verify: bool = False
    reader_urls: list[str] | None = None
    """The DCs the CA and the NDES hosts read (ndes:domain.readerUrls): writes wait until these show them."""
    replication_timeout: int | None = None
    """Seconds to wait for them (and for a principal to reach the write DC); 900 when readers are set."""

    def wait_for_readers(self, visible, what: str) -> None:
        if self.reader_urls:
            replication.wait_visible(self.directory_settings(), self.reader_urls, visible, what, self.wait_seconds())

    def wait_seconds(self) -> int:
        if self.replication_timeout is not None:
            return self.replication_timeout
        return 900 if self.reader_urls else 0

    def directory_settings(self) -> DirectorySettings:
        return DirectorySettings(self.ldap_url, self.bind_user, self.bind_password, ca_bundle=self.ca_bundle,
                                 start_tls=self.start_tls, insecure_skip_tls_verify=self.insecure_skip_tls_verify)

    @contextlib.contextmanager
    def client(self) -> Iterator[DirectoryClient]:
        made = clients.factory("directory")  # ndes verify's run binds once (clients.py)
        with (made or DirectoryClient.connect)(self.directory_settings()) as c:
            yield c


class DirectoryProvider(PreflightCheck, NdesProvider):
    """Base of the providers of objects in AD: their Inputs extend DirectoryInputs; `preflight` (see
    PreflightCheck) names a missing right at preview."""

    Inputs = DirectoryInputs
