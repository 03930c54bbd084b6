"""ServiceAccount: the NDES service account in AD (user, password, enabled, password never expires,
description) and its SPNs `http/<NDES host FQDN>` (and `http/<short name>` when asked), duplicate-checked
across the forest like `setspn -s`.

SPN aliases (KB5008382): `http/<host>` is an alias of `HOST/<host>`, which the NDES computer holds; only an
administrator may add it. The pre-check fails before anything is written when the account that writes SPNs is
no administrator, naming the `setspn -S` command; `spnAdminUser`/`spnAdminPassword` (ndes:domain) let an
administrator's credential write the SPNs while everything else binds least-privilege.

Passwords: `passwordNeverExpires` is true by default (a service account whose password expires stops NDES after
the domain's maximum password age). After every reset the account's pwdLastSet is checked: a reset by a bind
account without Unexpire-Password leaves "must change at next logon"; it is cleared (pwdLastSet=-1) or the
missing right is named.

Password decision: the password is a secret input, kept (encrypted) in state; AD cannot give it back, so the
last value set is the truth, and a change of the input is an update that resets it. Out-of-band resets are
still seen: the output `pwdLastSet` records AD's timestamp of our last set; when `read` finds another value,
it reports the password input as "changed outside Pulumi" so `pulumi refresh` shows a (secret) change and the
next `pulumi up` sets the configured password again.
"""
from __future__ import annotations

import contextlib
from typing import Any, ClassVar, Iterator

import ldap3
from .results import ReadResult, UpdateResult
from pydantic import Field, field_validator

from ..directory import DirectoryClient, DirectoryError, DirectorySettings, InvalidValue
from ..directory import accounts as acc
from ..directory.escape import check_name, parent_dn, same_dn, split_dn
from ..directory import rights
from ..directory.errors import Conflict
from ..model.field_rules import as_recorded, sam_account_name
from .base import Existing
from ._directory import DirectoryInputs, DirectoryProvider

PASSWORD_CHANGED = "(changed outside Pulumi)"




class ServiceAccountInputs(DirectoryInputs):
    connection_fields: ClassVar[tuple[str, ...]] = DirectoryInputs.connection_fields + ("spnAdminUser",
                                                                                        "spnAdminPassword")
    name: str
    """sAMAccountName (also the CN of a new account)."""
    ou: str | None = None
    """DN of the container; CN=Users,<domain> for a new account when unset (an adopted account stays put)."""
    upn: str
    password: str = Field(repr=False)
    enabled: bool = True
    password_never_expires: bool = True
    description: str = ""
    spn_hosts: list[str] = []
    """NDES host FQDNs: each gets http/<fqdn>."""
    spn_short_name: bool = False
    spn_admin_user: str | None = None
    """An administrator's UPN used only to write the SPNs (KB5008382 aliasing); the bind account when unset."""
    spn_admin_password: str | None = Field(None, repr=False)

    @contextlib.contextmanager
    def spn_writer(self, main: DirectoryClient) -> Iterator[DirectoryClient]:
        """The connection that writes SPNs: the SPN administrator's when one is configured, else `main`."""
        if not self.spn_admin_user:
            yield main
            return
        s = self.directory_settings()
        with DirectoryClient.connect(DirectorySettings(s.ldap_url, self.spn_admin_user, self.spn_admin_password or "",
                                                       ca_bundle=s.ca_bundle, start_tls=s.start_tls,
                                                       insecure_skip_tls_verify=s.insecure_skip_tls_verify)) as c:
            yield c

    _name = field_validator("name")(sam_account_name)  # the config's rule (ndes:serviceAccount.name)

    @field_validator("ou")
    @classmethod
    def _ou(cls, v: str | None) -> str | None:
        if v is None:
            return None
        check_name(v, "the OU", 1024)
        if not all("=" in part for part in split_dn(v)):
            raise ValueError(f"'{v}' is not a DN (e.g. OU=Service Accounts,DC=contoso,DC=com)")
        return v

    @field_validator("upn")
    @classmethod
    def _upn(cls, v: str) -> str:
        check_name(v, "the user principal name", 1024)
        if v.count("@") != 1 or v.startswith("@") or v.endswith("@"):
            raise ValueError(f"'{v}' is not a user principal name (name@dns.domain)")
        return v

    @field_validator("spn_hosts")
    @classmethod
    def _hosts(cls, v: list[str]) -> list[str]:
        out = []
        for h in v:
            h = h.strip().lower().rstrip(".")
            check_name(h, "an SPN host name", 255)
            if not all(part and all(c.isalnum() or c == "-" for c in part) for part in h.split(".")):
                raise ValueError(f"'{h}' is not a host name")
            if h not in out:
                out.append(h)
        return out

    # read: userPrincipalName as AD holds it (cleared, or without a suffix: LDAP checks neither)
    _recorded_account = as_recorded("upn")

    def spns(self) -> list[str]:
        out = [f"http/{h}" for h in self.spn_hosts]
        if self.spn_short_name:
            out += [f"http/{h.split('.')[0]}" for h in self.spn_hosts if f"http/{h.split('.')[0]}" not in out]
        return out

    def uac(self) -> int:
        return (acc.UF_NORMAL_ACCOUNT | (0 if self.enabled else acc.UF_ACCOUNTDISABLE)
                | (acc.UF_DONT_EXPIRE_PASSWD if self.password_never_expires else 0))


class ServiceAccountProvider(DirectoryProvider):
    Inputs = ServiceAccountInputs
    replace_on: ClassVar[frozenset[str]] = frozenset({"name"})
    delete_before_replace: ClassVar[bool] = True  # the SPNs cannot live on two accounts at once

    def find(self, inp: ServiceAccountInputs) -> Existing | None:
        with inp.client() as c:
            p = acc.find_principal(c, inp.name)
        return Existing(p.dn, acc.owner_of(p.attributes)) if p else None

    preflight_needs: ClassVar[frozenset[str]] = frozenset({"name", "ou", "spnHosts", "spnShortName", "spnAdminUser",
                                                           "spnAdminPassword", "upn", "password"})

    def preflight(self, conn: DirectoryInputs, props: dict[str, Any]) -> list[str]:
        inp: ServiceAccountInputs = self.parse(props)
        with inp.client() as c, inp.spn_writer(c) as sc:
            parent = inp.ou or f"CN=Users,{c.domain_dn}"
            out = [m.message(inp.bind_user) for m in rights.service_account_rights(c, parent, inp.name)]
            p = acc.find_principal(c, inp.name)
            have = {s.lower() for s in acc.as_list(p.attributes.get("servicePrincipalName"))} if p else set()
            try:
                acc.check_spns_free(c, [s for s in inp.spns() if s.lower() not in have], p.dn if p else None,
                                    f"account '{inp.name}'", account=inp.name, writer=sc, admin_hint=_spn_hint(inp))
            except Conflict as exc:
                out.append(str(exc))
        return out

    def _pw_error(self, inp: ServiceAccountInputs, exc: DirectoryError) -> DirectoryError:
        key = f"{inp.config_key or 'ndes:serviceAccount'}.password"
        return type(exc)(f"{key}: the domain refused the password of account '{inp.name}': {exc.reason} "
                         f"(choose one that meets the domain's password policy)", reason=exc.reason, code=exc.code)

    def apply(self, inp: ServiceAccountInputs, existing: Existing | None,
              olds: dict[str, Any] | None = None) -> tuple[str, dict[str, Any]]:
        with inp.client() as c, inp.spn_writer(c) as sc:
            p = acc.find_principal(c, inp.name) if existing else None
            wanted = inp.spns()
            have = {s.lower() for s in acc.as_list(p.attributes.get("servicePrincipalName"))} if p else set()
            notes = acc.check_spns_free(c, [s for s in wanted if s.lower() not in have], p.dn if p else None,
                                        f"account '{inp.name}'", account=inp.name, writer=sc,
                                        admin_hint=_spn_hint(inp))
            if p is None:
                parent = inp.ou or f"CN=Users,{c.domain_dn}"
                try:
                    dn = acc.create_user(c, parent, inp.name, inp.upn, inp.description, inp.password, inp.uac(),
                                         inp.owner or None)
                except InvalidValue as exc:
                    if "password" in exc.reason.lower() or "052d" in exc.reason.lower():
                        raise self._pw_error(inp, exc) from None
                    raise
                try:
                    note = acc.clear_must_change(c, dn, f"account '{inp.name}'")
                    if wanted:
                        sc.modify(dn, {"servicePrincipalName": [(ldap3.MODIFY_ADD, wanted)]}, kind="account SPNs")
                except DirectoryError:
                    c.delete(dn, kind="account")
                    raise
                notes += [note] if note else []
            else:
                dn, note = self._converge(c, sc, inp, p, olds or {})
                notes += [note] if note else []
            live = self._live(c, dn, inp)
        # the NDES host adds the account to IIS_IUSRS and runs its app pool through its own DC
        inp.wait_for_readers(lambda r: acc.find_principal(r, inp.name) is not None, f"account '{inp.name}'")
        if live is None:
            raise DirectoryError(f"failed to read account '{inp.name}' on {inp.ldap_url} after writing it")
        live.pop("password", None)
        live["notes"] = notes
        return dn, live

    def _converge(self, c: DirectoryClient, sc: DirectoryClient, inp: ServiceAccountInputs, p: acc.Principal,
                  olds: dict[str, Any]) -> tuple[str, str | None]:
        dn = p.dn
        if inp.ou and not same_dn(parent_dn(dn), inp.ou):
            c.move(dn, inp.ou, kind="account")
            dn = acc.find_principal(c, inp.name).dn
        a = p.attributes
        changes: dict[str, list[tuple]] = {}
        if _first(a.get("userPrincipalName")) != inp.upn:
            changes["userPrincipalName"] = [(ldap3.MODIFY_REPLACE, [inp.upn])]
        if (_first(a.get("description")) or "") != inp.description:
            changes["description"] = [(ldap3.MODIFY_REPLACE, [inp.description] if inp.description else [])]
        if inp.owner and acc.owner_of(a) != inp.owner:
            changes["adminDescription"] = [(ldap3.MODIFY_REPLACE, [acc.OWNER_PREFIX + inp.owner])]
        # password: when it is new to us (create/adopt), changed in config, or reset outside Pulumi
        reset = (not olds or olds.get("password") != inp.password
                 or str(olds.get("pwdLastSet", "")) != str(acc.as_int(a.get("pwdLastSet"))))
        if reset:
            try:
                acc.set_password(c, dn, inp.password)
            except InvalidValue as exc:
                raise self._pw_error(inp, exc) from None
        cur_uac = acc.as_int(a.get("userAccountControl"), acc.UF_NORMAL_ACCOUNT)
        new_uac = (cur_uac & ~(acc.UF_ACCOUNTDISABLE | acc.UF_DONT_EXPIRE_PASSWD)) | inp.uac()
        if new_uac != cur_uac:
            changes["userAccountControl"] = [(ldap3.MODIFY_REPLACE, [str(new_uac)])]
        have = {s.lower(): s for s in acc.as_list(a.get("servicePrincipalName"))}
        add = [s for s in inp.spns() if s.lower() not in have]
        ours_before = {s.lower() for s in (olds.get("spns") or [])}
        drop = [have[s] for s in ours_before if s in have and s not in {w.lower() for w in inp.spns()}]
        c.modify(dn, changes, kind="account", secrets=(inp.password,))
        note = acc.clear_must_change(c, dn, f"account '{inp.name}'") if reset else None
        if add:
            sc.modify(dn, {"servicePrincipalName": [(ldap3.MODIFY_ADD, add)]}, kind="account SPNs")
        if drop:
            sc.modify(dn, {"servicePrincipalName": [(ldap3.MODIFY_DELETE, drop)]}, kind="account SPNs")
        return dn, note

    def _live(self, c: DirectoryClient, dn: str, inp: ServiceAccountInputs,
              pwd_last_set: Any = None) -> dict[str, Any] | None:
        p = acc.find_principal(c, inp.name)
        if p is None:
            return None
        a = p.attributes
        uac = acc.as_int(a.get("userAccountControl"))
        spns = {s.lower() for s in acc.as_list(a.get("servicePrincipalName"))}
        hosts = [h for h in inp.spn_hosts if f"http/{h}" in spns]
        short = inp.spn_short_name and all(f"http/{h.split('.')[0]}" in spns for h in inp.spn_hosts)
        parent = parent_dn(p.dn)
        live: dict[str, Any] = {
            "name": p.sam,
            "ou": None if inp.ou is None else (inp.ou if same_dn(parent, inp.ou) else parent),
            "upn": _first(a.get("userPrincipalName")) or "",
            "enabled": not uac & acc.UF_ACCOUNTDISABLE,
            "passwordNeverExpires": bool(uac & acc.UF_DONT_EXPIRE_PASSWD),
            "description": _first(a.get("description")) or "",
            "spnHosts": hosts,
            "spnShortName": short,
            "dn": p.dn, "sid": p.sid, "objectGuid": p.guid,
            "spns": [s for s in inp.spns() if s.lower() in spns],
            "pwdLastSet": str(acc.as_int(a.get("pwdLastSet"))),
        }
        if pwd_last_set is not None and str(pwd_last_set) != live["pwdLastSet"]:
            live["password"] = PASSWORD_CHANGED
        return live

    def get(self, id_: str, inp: ServiceAccountInputs, props: dict[str, Any] | None = None) -> dict[str, Any] | None:
        with inp.client() as c:
            return self._live(c, id_, inp, (props or {}).get("pwdLastSet"))

    def remove(self, id_: str, inp: ServiceAccountInputs) -> None:
        with inp.client() as c:
            p = acc.find_principal(c, inp.name)
            if p is not None and same_dn(p.dn, id_):
                c.delete(p.dn, kind="account")

    # The base's verbs, with the previous state passed where the password and SPN bookkeeping needs it.
    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        inp = self.parse(news)
        existing = self.find(inp)
        new_id, live = self.apply(inp, existing or Existing(id_), olds=olds)
        return UpdateResult(self._outs(inp, new_id, live))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        inp = self.parse(props)
        live = self.get(id_, inp, props)
        if live is None:
            return ReadResult(None, {})
        return self._refreshed(live["dn"], props, live)


def _spn_hint(inp: ServiceAccountInputs) -> str:
    return ("or set ndes:domain.spnAdminUser and ndes:domain.spnAdminPassword to an administrator's credential "
            "used only for this step" if not inp.spn_admin_user else
            "ndes:domain.spnAdminUser is no administrator either")


def _first(v: Any) -> Any:
    if isinstance(v, (list, tuple)):
        return v[0] if v else None
    return v
