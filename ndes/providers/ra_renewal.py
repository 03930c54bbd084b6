"""RaCertificateRenewal: NDES's RA certificates renewed before they expire, without reinstalling NDES.

NDES signs and decrypts SCEP messages with two RA certificates, EnrollmentAgentOffline and CEPEncryption, issued
for two years at install; when they expire NDES stops issuing. Renewing them is requesting new certificates from
the same two templates (gradenegger.eu, "Renew the Registration Authority (RA) certificates for NDES": "the
renewal of RA certificates is technically an application for new certificates"), in the administrator-for-
machine context with the keys in the machine key set, the same subject and the same CSP and key length as the
certificates NDES was installed with; then IIS must restart the SCEP application pool so NDES loads them, and the
old ones are removed (TechNet ff955642, summarised in reference/adcs-ndes.md: enroll both, restart IIS, remove
the expired ones). Microsoft's own article on the subject ("The Nightmare of renewing NDES Enrollment Agent
Certificates", Core Infrastructure and Security blog, 2026) explains why the v1 templates cannot autoenroll.

How this resource does it (facts from NdesRaRenewal.ps1, every decision here):
- `diff` reads the host (its clock, not this machine's: a certificate expires by the host's time) and plans a
  renewal when the newest certificate of either template has `renewBeforeDays` (ndes:ndesRole.raRenewBeforeDays,
  default 60) or fewer left, or when older RA certificates are still there (a renewal not finished); it says so
  in words on the preview (the engine prints a dynamic provider's stderr with the preview).
- `up`: request BOTH certificates anew (subject DER copied from the current one; CSP and key length read from the
  current certificate's key, i.e. as installed; key spec by template), restart the SCEP pool, check that NDES
  now serves the new ones to GetCACert, and only then delete the older RA certificates. A run cut short anywhere
  converges on the next one (new certificates present but not served: restart; served: remove the old).
- NdesRole is never touched: its install-time settings stay, and it is not reinstalled.
"""
from __future__ import annotations

import sys
from typing import Any, ClassVar

from .results import DiffResult
from pydantic import Field

from ..windows.certificates import TIME_FORMAT
from ..windows.contracts import call
from ..windows.contracts import ndes_ra_renewal as C
from ..windows.contracts.ndes_role import InstallCredentialParams
from ..windows.ra_view import RaView, decode_thumbprint, plan_words, requests_for, view_of  # noqa: F401
from ._windows import host_of, WindowsInputs, WindowsProvider
from .base import Existing, contains_unknown
from .ndes_role import InstallCredential


class RaRenewalInputs(WindowsInputs):
    ca_config: str
    service_account: str = ""
    """DOMAIN\\name NDES runs as: granted Read on the new RA keys (the SCEP pool must read them)."""
    renew_before_days: int = Field(default=60, ge=1, le=700)
    install_credential: InstallCredential | None = Field(default=None, repr=False)


class RaCertificateRenewalProvider(WindowsProvider):
    Inputs = RaRenewalInputs

    @classmethod
    def compared_fields(cls) -> list[str]:
        return [f for f in super().compared_fields() if f != "installCredential"]

    def _run(self, inp: RaRenewalInputs, **params: Any) -> C.NdesRaRenewalState:
        p = C.NdesRaRenewalParams(mode="set" if params.get("action") else "get", host_fqdn=inp.endpoint.host,
                                  ca_config=inp.ca_config, **params)
        return call(host_of(inp), C.SCRIPT, p, C.NdesRaRenewalState,
                    timeout=max(inp.endpoint.operation_timeout, 300) if params.get("action") else None).state

    def _id(self, inp: RaRenewalInputs) -> str:
        return f"{inp.endpoint.host}/NDES/RA"

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        res = super().diff(id_, olds, news)
        if contains_unknown(news):
            return res
        try:
            inp = self.parse(news)
            v = view_of(self._run(inp))
        except Exception as exc:  # noqa: BLE001 - a preview that cannot read the host still shows input changes
            print(f"warning: RaCertificateRenewal: could not read the RA certificates: {exc}", file=sys.stderr,
                  flush=True)
            return res
        for w in plan_words(inp.endpoint.host, v, inp.renew_before_days):
            print(f"warning: {w}", file=sys.stderr, flush=True)
        if not (v.due(inp.renew_before_days) or v.older):
            return res
        return DiffResult(changes=True, replaces=[], delete_before_replace=None)

    def find(self, inp: RaRenewalInputs) -> Existing | None:
        return None  # nothing to take over: the RA certificates are NDES's; this resource renews them

    def apply(self, inp: RaRenewalInputs, existing: Existing | None) -> tuple[str, dict[str, Any]]:
        v = view_of(self._run(inp))
        notes: list[str] = []
        if not v.current:
            notes.append(f"no RA certificates on {inp.endpoint.host}: NDES is not installed (NdesRole installs it)")
            return self._id(inp), self._live(v, notes)
        due = v.due(inp.renew_before_days)
        notes += [w for w in plan_words(inp.endpoint.host, v, inp.renew_before_days) if "cannot outlive" in w]
        if due:
            cred = (InstallCredentialParams(**inp.install_credential.model_dump())
                    if inp.install_credential is not None else None)
            st = self._run(inp, action="enroll", requests=requests_for(v), install_credential=cred,
                           key_reader=inp.service_account)
            notes.append(f"renewed the RA certificates ({', '.join(due)} had {inp.renew_before_days} days or fewer "
                         f"left): new {', '.join(st.enrolled)}")
            v = view_of(st)
        if v.older:
            if not v.in_use():
                v = view_of(self._run(inp, action="restart"))
                notes.append("restarted the SCEP app pool so NDES loads the new RA certificates")
            if not v.in_use():
                raise RuntimeError(
                    f"NDES on {inp.endpoint.host} does not serve the new RA certificates after the SCEP app pool's "
                    f"restart ({v.served_error or 'GetCACert returned ' + ', '.join(sorted(v.served))}): the old "
                    "ones are kept; check the pool (`ndes verify`) and run `pulumi up` again")
            old = [c.thumbprint for c in v.older]
            v = view_of(self._run(inp, action="remove", remove_thumbprints=old))
            notes.append(f"deleted the old RA certificates {', '.join(old)} (NDES serves the new ones)")
        return self._id(inp), self._live(v, notes)

    @staticmethod
    def _live(v: RaView, notes: list[str]) -> dict[str, Any]:
        current = [c[0] for c in v.current.values()]
        return {
            "raCertificates": [{"template": c.template_name, "thumbprint": c.thumbprint, "subject": c.subject,
                                "notAfter": c.not_after.strftime(TIME_FORMAT), "daysLeft": c.days_left(v.now)}
                               for c in current],
            "raNotAfter": min((c.not_after for c in current), default=v.now).strftime(TIME_FORMAT) if current else None,
            "raDaysLeft": min((c.days_left(v.now) for c in current), default=None),
            "hostTime": v.now.strftime(TIME_FORMAT),
            "notes": notes,
        }

    def get(self, id_: str, inp: RaRenewalInputs) -> dict[str, Any] | None:
        return self._live(view_of(self._run(inp)), [])

    def remove(self, id_: str, inp: RaRenewalInputs) -> None:
        return None  # the RA certificates are NDES's: NdesRole's delete removes them with NDES
