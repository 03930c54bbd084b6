"""NdesRole: the NDES role service, configured once by Install-AdcsNetworkDeviceEnrollmentService.

The service account, the CA, the RA name and details and the signing/encryption CSPs and key lengths are
install-time settings: "changing the RA cert configs after installing the NDES server is not a supported
scenario and can lead to NDES stop working" (Microsoft, on the seed guide). A change of any of them is
therefore a REPLACE (uninstall, then install: NDES cannot be installed twice on a host, so delete goes first),
and the provider says why where `pulumi preview` shows it (see `replace_warning`). The service account's
password is kept as a secret input; it is used at install only.

Read reports the live configuration (from the SCEP app pool, the CAInfo key and the RA certificates' subject
and keys, decoded from their DER) compared as Windows compares it: an account, CA or CSP name spelled in
another case is the same name (Windows spells the app pool identity its own way), so a spelling difference
never plans a replace of NDES; and the RA certificates (EnrollmentAgentOffline, CEPEncryption: issued for two
years, after which NDES stops issuing): raCertificates, raNotAfter (the earlier expiry), raDaysLeft.
"""
from __future__ import annotations

import sys
import time
from typing import Any, ClassVar

from .results import CheckResult
from pydantic import BaseModel, ConfigDict, Field

from ..model.field_rules import as_recorded
from ..model.identities import install_refusal_fix
from ..model.host_fields import RaSettings
from ..windows import ScriptFailed, StillRunning
from ..windows.certificates import TIME_FORMAT
from ..windows.contracts import Result, call
from ..windows.contracts import ndes_role as C
from ._windows import host_of, TEMPLATE_WAIT_SECONDS, while_template_not_offered, WindowsInputs, WindowsProvider
from .base import PROVIDER_KEY, Existing, contains_unknown

SCRIPT = "NdesRole"
UNSUPPORTED = ("changing the RA cert configs after installing the NDES server is not a supported scenario and can "
               "lead to NDES stop working")
INSTALL_TIME = ("serviceAccount", "caConfig", "raName", "raEmail", "raCompany", "raDepartment", "raCity", "raState",
                "raCountry", "signingProvider", "signingKeyLength", "encryptionProvider", "encryptionKeyLength")
CASELESS = ("serviceAccount", "caConfig", "signingProvider", "encryptionProvider")
"""Install-time settings Windows compares without case (account, CA config, CSP names)."""
RA_DETAILS = {"raName": "CN", "raEmail": "E", "raCompany": "O", "raDepartment": "OU", "raCity": "L", "raState": "S",
              "raCountry": "C"}
"""Each RA detail and the subject attribute it becomes in the RA certificates (read from their DER)."""
_sleep = time.sleep
SETTLE_BUDGET = 1800.0
"""Seconds to poll the host's state for an install (uninstall) that outlasted the client's wait (timeoutSeconds):
it is never cut short (a terminated install leaves NDES half-configured)."""


class InstallCredential(BaseModel):
    """The account Install-AdcsNetworkDeviceEnrollmentService runs its remote work as (-Credential): a Domain Admins
    member (ndes:ndesRole.installCredential). Used at install only; never compared (rotating it changes nothing)."""

    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)

    username: str
    password: str = Field(repr=False)


class NdesRoleInputs(WindowsInputs, RaSettings):
    """The RA settings (ndes.model.host_fields.RaSettings, shared with ndes:ndesRole) and what the install
    needs besides."""
    service_account: str
    """DOMAIN\\name: the SCEP app pool identity."""
    service_account_password: str = Field(repr=False)
    timeout_seconds: int = Field(default=600, ge=1, le=86400)
    """How long the install or uninstall may take (ndes:ndesRole.installTimeout; the resource's customTimeouts)."""
    ca_config: str
    """<CA host FQDN>\\<CA common name>."""
    ra_name: str
    """The component fills in the wizard's '<HOST>-MSCEP-RA' when ndes:ndesRole.raName is unset."""
    install_credential: InstallCredential | None = Field(default=None, repr=False)

    # read: the RA certificates' subject CN (None in an RA certificate replaced by hand without one)
    _recorded_ra = as_recorded("ra_name")


def replace_warning(kind_name: str, olds: dict[str, Any], news: dict[str, Any]) -> str | None:
    """The warning shown when an install-time setting changes (None when none does)."""
    def same(k: str) -> bool:
        old, new = olds.get(k), news.get(k)
        if k in CASELESS and isinstance(old, str) and isinstance(new, str):
            return old.casefold() == new.casefold()
        return old == new

    changed = [k for k in INSTALL_TIME if k in news and not contains_unknown(news.get(k)) and not same(k)]
    if not olds or not changed:
        return None
    parts = ", ".join(f"{k} {olds.get(k)!r} -> {news.get(k)!r}" for k in changed)
    return (f"{kind_name}: {parts}: {UNSUPPORTED}; Pulumi therefore REPLACES NDES on this host (uninstall, then "
            f"install with new RA certificates); devices enrolling meanwhile fail")


class NdesRoleProvider(WindowsProvider):
    Inputs = NdesRoleInputs
    replace_on: ClassVar[frozenset[str]] = frozenset(INSTALL_TIME)
    delete_before_replace: ClassVar[bool] = True

    @classmethod
    def compared_fields(cls) -> list[str]:
        # the install credential and the time bound are used by an install, not converged on the host
        return [f for f in super().compared_fields() if f not in ("installCredential", "timeoutSeconds")]

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        result = super().check(olds, news)
        olds_clean = {k: v for k, v in (olds or {}).items() if k != PROVIDER_KEY}
        endpoint = self.filled(news).get("endpoint")
        endpoint = endpoint if isinstance(endpoint, dict) else {}
        msg = replace_warning(f"NdesRole on {endpoint.get('host', '?')}", olds_clean, news)
        if msg and not result.failures:
            # The engine prints a dynamic provider's stderr with the preview; that is how this reaches the user.
            print(f"warning: {msg}", file=sys.stderr, flush=True)
        return result

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]):
        # A name Windows compares without case is the same name in any spelling: never a replace.
        olds = dict(olds)
        for key in CASELESS:
            old, new = olds.get(key), news.get(key)
            if isinstance(old, str) and isinstance(new, str) and old.casefold() == new.casefold():
                olds[key] = new
        return super().diff(id_, olds, news)

    def _params(self, inp: NdesRoleInputs, mode: str, **extra: Any) -> C.NdesRoleParams:
        return C.NdesRoleParams(
            mode=mode, service_account=inp.service_account,
            service_account_password=inp.service_account_password if mode == "set" else "",
            ca_config=inp.ca_config, ra_name=inp.ra_name, ra_email=inp.ra_email or "",
            ra_company=inp.ra_company or "", ra_department=inp.ra_department or "", ra_city=inp.ra_city or "",
            ra_state=inp.ra_state or "", ra_country=inp.ra_country or "", signing_provider=inp.signing_provider,
            signing_key_length=inp.signing_key_length, encryption_provider=inp.encryption_provider,
            encryption_key_length=inp.encryption_key_length, owner=inp.owner,
            install_credential=(C.InstallCredentialParams(**inp.install_credential.model_dump())
                                if mode == "set" and inp.install_credential is not None else None), **extra)

    def _run(self, inp: NdesRoleInputs, params: C.NdesRoleParams, timeout: int | None = None):
        return call(host_of(inp), C.SCRIPT, params, C.NdesRoleState, timeout=timeout)

    def _id(self, inp: NdesRoleInputs) -> str:
        return f"{inp.endpoint.host}/NDES"

    def find(self, inp: NdesRoleInputs) -> Existing | None:
        st = self._run(inp, self._params(inp, "get")).state
        there = C.configured(st) or C.half_finished(st)  # a half-finished install is one too (adopt / repair)
        return Existing(self._id(inp), st.owner or None) if there else None

    def apply(self, inp: NdesRoleInputs, existing: Existing | None) -> tuple[str, dict[str, Any]]:
        now = self._run(inp, self._params(inp, "get")).state
        repair = C.half_finished(now)

        def install():
            st = self._run(inp, self._params(inp, "get")).state  # again on a retry: what a refused try left
            try:
                return self._run(inp, self._params(inp, "set", ensure="present", allow_reinstall=False,
                                                   install=not C.configured(st), repair=C.half_finished(st)),
                                 timeout=max(inp.endpoint.operation_timeout, inp.timeout_seconds))
            except StillRunning:  # the install goes on there: poll the host until NDES is configured
                return self._settle(inp, C.configured, "the NDES install")

        try:
            # The install publishes the RA templates (EnrollmentAgentOffline, CEPEncryption) on the CA and enrolls
            # them at once: until AD replication and the CA's template cache offer them the CA refuses
            # (0x80094800), so the install waits for the CA as an enrollment does.
            res = while_template_not_offered(
                install, " and ".join(C.RA_TEMPLATES), "check that AD replication reached the CA "
                f"({inp.ca_config}) and that its template list holds them (certutil -CATemplates)",
                sleep=lambda s: _sleep(s), budget=TEMPLATE_WAIT_SECONDS)
        except ScriptFailed as exc:  # refused for want of an identity: say which one to use (docs/identities.md)
            fix = install_refusal_fix(exc.message, inp.endpoint.auth, inp.endpoint.username)
            if not fix:
                raise
            raise ScriptFailed(exc.script, exc.host, f"{exc.message}. Fix: {fix}", exc.category) from None
        live = self._live(res.state, inp)
        warnings = list(res.warnings)
        if repair:
            warnings.append(f"NDES on {inp.endpoint.host} was half-configured ({', '.join(C.missing_parts(now))} "
                            "missing): uninstalled and installed again")
        if existing is not None:
            drift = [k for k in INSTALL_TIME if live.get(k) != inp.wire().get(k)]
            if drift:
                warnings.append(
                    f"NDES was installed with other settings ({', '.join(drift)}): {UNSUPPORTED}; run "
                    f"`pulumi up` again to replace it, or set the configuration to the installed values")
        live["notes"] = warnings
        return self._id(inp), live

    def _settle(self, inp: NdesRoleInputs, done, what: str):
        """After StillRunning: the host's state, polled until `done` (bounded by SETTLE_BUDGET), as a Result."""
        host = host_of(inp)
        get = self._params(inp, "get")
        st = host.settle(lambda: self._run(inp, get).state, done, what=what, budget=SETTLE_BUDGET)
        return Result(st, True, False, [f"{what} on {inp.endpoint.host} outlasted the client's wait; it was "
                                        "left to finish there and its end was read from the host"])

    def _live(self, st: C.NdesRoleState, inp: NdesRoleInputs) -> dict[str, Any]:
        certs = C.ra_certificates(st)
        sign, enc = C.newest(certs, "EnrollmentAgentOffline"), C.newest(certs, "CEPEncryption")
        live: dict[str, Any] = {
            "serviceAccount": same_account(st.service_account, inp.service_account) or inp.service_account,
            # where the host does not record the CA: as installed
            "caConfig": same_ignoring_case(st.ca_config, inp.ca_config) or inp.ca_config,
        }
        if sign is not None:
            cert, provider = sign
            for key, short in RA_DETAILS.items():
                live[key] = cert.names.get(short) or None
            live["signingKeyLength"] = cert.key_size
            live["signingProvider"] = same_ignoring_case(provider, inp.signing_provider) or inp.signing_provider
        if enc is not None:
            cert, provider = enc
            live["encryptionKeyLength"] = cert.key_size
            live["encryptionProvider"] = same_ignoring_case(provider, inp.encryption_provider) or \
                inp.encryption_provider
        current = [c for c in (sign[0] if sign else None, enc[0] if enc else None) if c is not None]
        live["raCertificates"] = [{"template": c.template_name, "thumbprint": c.thumbprint, "subject": c.subject,
                                   "notAfter": c.not_after.strftime(TIME_FORMAT), "daysLeft": c.days_left()}
                                  for c in current]
        live["raNotAfter"] = min((c.not_after for c in current), default=None)
        if live["raNotAfter"] is not None:
            live["raNotAfter"] = live["raNotAfter"].strftime(TIME_FORMAT)
        live["raDaysLeft"] = min((c.days_left() for c in current), default=None)
        return live

    def get(self, id_: str, inp: NdesRoleInputs) -> dict[str, Any] | None:
        st = self._run(inp, self._params(inp, "get")).state
        if not C.configured(st):
            return None  # gone, or half-finished: refresh drops it and the next up installs (repairs) it
        return self._live(st, inp)

    def remove(self, id_: str, inp: NdesRoleInputs) -> None:
        st = self._run(inp, self._params(inp, "get")).state
        ra = [c.thumbprint for c, _ in C.ra_certificates(st)]
        try:
            self._run(inp, self._params(inp, "set", ensure="absent", remove_thumbprints=ra),
                      timeout=max(inp.endpoint.operation_timeout, inp.timeout_seconds))
        except StillRunning:
            gone = set(ra)
            self._settle(inp, lambda s: not (s.mscep_key or s.app_pool or s.application) and not gone & {
                c.thumbprint for c in s.ra_certificates}, "the NDES uninstall")


def same_ignoring_case(live: str | None, want: str) -> str | None:
    """Windows compares account names, CA names and CSP names without case: the configured spelling when the
    live value is the same name, else the live value (None stays None)."""
    if live is None or live == "":
        return live
    return want if live.casefold() == want.casefold() else live


def same_account(live: str | None, want: str) -> str | None:
    """DOMAIN\\name as Windows spells it (contoso\\svc-ndes for CONTOSO\\svc-ndes): the configured spelling when
    it names the same account (case-insensitive, as Windows resolves it), else the live value."""
    return same_ignoring_case(live, want)
