"""The LDAP connection: verified TLS, SIMPLE bind over TLS, paged searches, and results mapped to errors.

`DirectorySettings` is plain data (what a provider receives as inputs); `DirectoryClient.connect(settings)`
opens and binds one connection. Use it as a context manager; nothing here is cached across calls.

TLS: ldaps:// (636) by default, or ldap:// with `start_tls` (the bind happens only after StartTLS succeeded).
The certificate is verified against `ca_bundle` (PEM text, or a path to a PEM file) or the system store, and
the DC's name is checked; `insecure_skip_tls_verify` is the only way to turn that off.
"""
from __future__ import annotations

import os
import ssl
from dataclasses import dataclass, replace
from typing import Any, Iterator
from urllib.parse import urlsplit

import ldap3
from ldap3.core.exceptions import LDAPException, LDAPSocketOpenError, LDAPStartTLSError

from .errors import AccessDenied, DirectoryError, NotFound, Unavailable, bind_failure, error_for_result, mask

__all__ = ["DirectorySettings", "DirectoryClient", "SD_FLAGS_DACL"]

SD_FLAGS_OID = "1.2.840.113556.1.4.801"
SD_FLAGS_DACL = 0x4
PAGE_SIZE = 500


@dataclass(frozen=True)
class DirectorySettings:
    ldap_url: str
    bind_user: str
    bind_password: str
    ca_bundle: str | None = None
    """PEM text of the CAs to trust, or a path to a PEM file; the system store when None."""
    start_tls: bool = False
    insecure_skip_tls_verify: bool = False
    connect_timeout: int = 10
    receive_timeout: int = 60

    def __repr__(self) -> str:  # never show the password
        return f"DirectorySettings(ldap_url={self.ldap_url!r}, bind_user={self.bind_user!r})"


def _tls(s: DirectorySettings) -> ldap3.Tls:
    # verification is on unless the one named option, insecure_skip_tls_verify, turns it off (lab only)
    validate = ssl.VerifyMode(0) if s.insecure_skip_tls_verify else ssl.CERT_REQUIRED
    kwargs: dict[str, Any] = {"validate": validate}
    bundle = s.ca_bundle
    if bundle and not s.insecure_skip_tls_verify:
        if "-----BEGIN" in bundle:
            kwargs["ca_certs_data"] = bundle
        elif os.path.isfile(bundle):
            kwargs["ca_certs_file"] = bundle
        else:
            raise DirectoryError(f"the CA bundle '{bundle}' is neither PEM text nor a readable file")
    return ldap3.Tls(**kwargs)


class DirectoryClient:
    """One bound connection to a DC. Methods raise the `errors` tree; `target` names the DC in messages."""

    def __init__(self, settings: DirectorySettings, conn: ldap3.Connection):
        self.settings = settings
        self.conn = conn
        self.target = settings.ldap_url
        self._root: dict[str, Any] | None = None

    # ---- connection --------------------------------------------------------------------------------------
    @classmethod
    def connect(cls, s: DirectorySettings) -> "DirectoryClient":
        parts = urlsplit(s.ldap_url)
        scheme = parts.scheme.lower()
        if scheme not in ("ldap", "ldaps") or not parts.hostname:
            raise DirectoryError(f"'{s.ldap_url}' is not an ldaps:// or ldap:// URL")
        if scheme == "ldap" and not s.start_tls:
            raise DirectoryError(f"refusing to bind over plain ldap:// to {s.ldap_url}: use ldaps:// or StartTLS")
        port = parts.port or (636 if scheme == "ldaps" else 389)
        server = ldap3.Server(parts.hostname, port=port, use_ssl=scheme == "ldaps", tls=_tls(s),
                              connect_timeout=s.connect_timeout, get_info=ldap3.NONE)
        conn = ldap3.Connection(server, user=s.bind_user, password=s.bind_password, authentication=ldap3.SIMPLE,
                                receive_timeout=int(s.receive_timeout), raise_exceptions=False, auto_referrals=False,
                                read_only=False)
        secrets = (s.bind_password,)
        try:
            conn.open()
            if scheme == "ldap" and not conn.start_tls():
                raise Unavailable(f"failed to start TLS on {s.ldap_url}: {conn.result.get('description')}")
            ok = conn.bind()
        except (LDAPSocketOpenError, LDAPStartTLSError) as exc:
            raise Unavailable(f"failed to connect to {s.ldap_url}: {mask(str(exc), secrets)}"
                              + (" (is the DC's certificate issued by a CA in caBundle, and for this host name?)"
                                 if "CERTIFICATE_VERIFY_FAILED" in str(exc) or "hostname" in str(exc).lower()
                                 else "")) from None
        except LDAPException as exc:
            raise Unavailable(f"failed to connect to {s.ldap_url}: {mask(str(exc), secrets)}") from None
        if not ok:
            err = error_for_result("bind as", "account", s.bind_user, s.ldap_url, conn.result, secrets)
            if err.code == 49:
                cause = "invalid credentials" + (f": {bind_failure(err.reason)}" if bind_failure(err.reason) else
                                                 " (check ndes:domain.bindUser and ndes:domain.bindPassword)")
                err = AccessDenied(f"failed to bind as account '{s.bind_user}' on {s.ldap_url}: {cause}",
                                   reason=err.reason, code=49)
            conn.unbind()
            raise err
        return cls(s, conn)

    def close(self) -> None:
        try:
            self.conn.unbind()
        except LDAPException:
            pass

    def __enter__(self) -> "DirectoryClient":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def global_catalog(self) -> "DirectoryClient | None":
        """A connection to the global catalog on the same DC (ldaps 3269, or 3268 with StartTLS), with the same
        credentials and TLS settings; None when the DC does not serve one."""
        parts = urlsplit(self.settings.ldap_url)
        ldaps = parts.scheme.lower() == "ldaps"
        host = f"[{parts.hostname}]" if ":" in (parts.hostname or "") else parts.hostname
        url = f"{'ldaps' if ldaps else 'ldap'}://{host}:{3269 if ldaps else 3268}"
        try:
            return DirectoryClient.connect(replace(self.settings, ldap_url=url, connect_timeout=5))
        except Unavailable:
            return None

    # ---- naming contexts ---------------------------------------------------------------------------------
    @property
    def root_dse(self) -> dict[str, Any]:
        if self._root is None:
            [entry] = self.search("", "(objectClass=*)", scope="base",
                                  attributes=["defaultNamingContext", "configurationNamingContext",
                                              "rootDomainNamingContext", "dnsHostName"], kind="root DSE")
            self._root = entry
        return self._root

    @property
    def domain_dn(self) -> str:
        return _one(self.root_dse["attributes"].get("defaultNamingContext"))

    @property
    def config_dn(self) -> str:
        return _one(self.root_dse["attributes"].get("configurationNamingContext"))

    @property
    def forest_dn(self) -> str:
        return _one(self.root_dse["attributes"].get("rootDomainNamingContext")) or self.domain_dn

    @property
    def pks_dn(self) -> str:
        return f"CN=Public Key Services,CN=Services,{self.config_dn}"

    # ---- operations --------------------------------------------------------------------------------------
    def _call(self, verb: str, kind: str, ident: str, fn, *args, **kwargs) -> dict[str, Any]:
        try:
            ok = fn(*args, **kwargs)
        except LDAPException as exc:
            raise Unavailable(f"failed to {verb} {kind} '{ident}' on {self.target}: "
                              f"{mask(str(exc), (self.settings.bind_password,))}") from exc
        result = self.conn.result or {}
        if not ok and result.get("result") not in (0, None):
            raise error_for_result(verb, kind, ident, self.target, result, (self.settings.bind_password,))
        return result

    def search(self, base: str, flt: str, scope: str = "subtree", attributes: list[str] | None = None,
               kind: str = "object", controls: list | None = None, size_limit: int = 0) -> list[dict[str, Any]]:
        """Paged search; entries as {"dn", "attributes" (decoded), "raw" (bytes)}. A base that does not exist
        raises NotFound; no match returns []."""
        return list(self.iter_search(base, flt, scope, attributes, kind, controls, size_limit))

    def iter_search(self, base: str, flt: str, scope: str = "subtree", attributes: list[str] | None = None,
                    kind: str = "object", controls: list | None = None, size_limit: int = 0) -> Iterator[dict]:
        sc = {"base": ldap3.BASE, "one": ldap3.LEVEL, "subtree": ldap3.SUBTREE}[scope]
        cookie = None
        paged = scope != "base"
        while True:
            kwargs: dict[str, Any] = {"attributes": attributes or [], "controls": controls,
                                      "size_limit": size_limit}
            if paged:
                kwargs.update(paged_size=PAGE_SIZE, paged_cookie=cookie)
            result = self._call("search", kind, base or "(root)", self.conn.search, base, flt, sc, **kwargs)
            if result.get("result") == 32:
                raise NotFound(f"failed to search {kind} '{base}' on {self.target}: no such object")
            for e in self.conn.response or []:
                if e.get("type") == "searchResEntry":
                    yield {"dn": e["dn"], "attributes": dict(e.get("attributes", {})),
                           "raw": dict(e.get("raw_attributes", {}))}
            if not paged:
                return
            ctrl = (result.get("controls") or {}).get("1.2.840.113556.1.4.319")
            cookie = ctrl["value"]["cookie"] if ctrl else None
            if not cookie:
                return

    def get(self, dn: str, attributes: list[str], kind: str = "object", controls: list | None = None) -> dict | None:
        """One object by DN, or None when it does not exist."""
        try:
            found = self.search(dn, "(objectClass=*)", "base", attributes, kind, controls)
        except NotFound:
            return None
        return found[0] if found else None

    def add(self, dn: str, object_class: list[str], attributes: dict[str, Any], kind: str = "object",
            secrets: tuple[str, ...] = ()) -> None:
        try:
            ok = self.conn.add(dn, object_class, attributes)
        except LDAPException as exc:
            raise Unavailable(f"failed to create {kind} '{dn}' on {self.target}: "
                              f"{mask(str(exc), secrets + (self.settings.bind_password,))}") from exc
        if not ok:
            raise error_for_result("create", kind, dn, self.target, self.conn.result,
                                   secrets + (self.settings.bind_password,))

    def modify(self, dn: str, changes: dict[str, list[tuple]], kind: str = "object", controls: list | None = None,
               secrets: tuple[str, ...] = ()) -> None:
        if not changes:
            return
        try:
            ok = self.conn.modify(dn, changes, controls=controls)
        except LDAPException as exc:
            raise Unavailable(f"failed to modify {kind} '{dn}' on {self.target}: "
                              f"{mask(str(exc), secrets + (self.settings.bind_password,))}") from exc
        if not ok:
            raise error_for_result("modify", kind, dn, self.target, self.conn.result,
                                   secrets + (self.settings.bind_password,))

    def delete(self, dn: str, kind: str = "object") -> bool:
        """Delete one leaf object; False when it was already gone."""
        try:
            self._call("delete", kind, dn, self.conn.delete, dn)
        except NotFound:
            return False
        return True

    def move(self, dn: str, new_parent: str, kind: str = "object") -> None:
        from .escape import split_dn
        self._call("move", kind, dn, self.conn.modify_dn, dn, split_dn(dn)[0], new_superior=new_parent)

    # ---- security descriptors ----------------------------------------------------------------------------
    def read_dacl_sd(self, dn: str, kind: str = "object") -> bytes:
        """The object's nTSecurityDescriptor, DACL part only (SD-flags control 0x4)."""
        entry = self.get(dn, ["nTSecurityDescriptor"], kind, controls=[_sd_flags()])
        if entry is None:
            raise NotFound(f"failed to read the security descriptor of {kind} '{dn}' on {self.target}: not found")
        vals = entry["raw"].get("nTSecurityDescriptor") or []
        if not vals:
            raise AccessDenied(f"failed to read the security descriptor of {kind} '{dn}' on {self.target}: "
                               f"the bound account cannot read it")
        return bytes(vals[0])

    def write_dacl_sd(self, dn: str, sd: bytes, kind: str = "object") -> None:
        """Replace the DACL only (SD-flags control 0x4): owner, group and SACL are left as they are."""
        self.modify(dn, {"nTSecurityDescriptor": [(ldap3.MODIFY_REPLACE, [sd])]}, kind, controls=[_sd_flags()])


def _sd_flags() -> tuple[str, bool, bytes]:
    # SDFlagsRequestValue ::= SEQUENCE { Flags INTEGER }
    return (SD_FLAGS_OID, True, bytes([0x30, 0x03, 0x02, 0x01, SD_FLAGS_DACL]))


def _one(v: Any) -> Any:
    if isinstance(v, (list, tuple)):
        return v[0] if v else None
    return v
