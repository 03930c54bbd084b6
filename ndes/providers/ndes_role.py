"""NdesRole: the NDES role service, configured once by Install-AdcsNetworkDeviceEnrollmentService.

The service account, the CA, the RA name and details and the signing/encryption CSPs and key lengths are
install-time settings: "changing the RA cert configs after installing the NDES server is not a supported
scenario and can lead to NDES stop working" (Microsoft, on the seed guide). A change of any of them is
therefore a REPLACE (uninstall, then install: NDES cannot be installed twice on a host, so delete goes first),
and the provider says why where `pulumi preview` shows it (see `replace_warning`). The service account's
password is kept as a secret input; it is used at install only.

Read reports the live configuration (from the SCEP app pool, the CAInfo key and the RA certificates' subject
and keys) and the RA certificates (EnrollmentAgentOffline, CEPEncryption: issued for two years, after which
NDES stops issuing): raCertificates, raNotAfter (the earlier expiry), raDaysLeft.
"""
from __future__ import annotations

import sys
from typing import Any, ClassVar

import pulumi
from pulumi.dynamic import CheckResult
from pydantic import BaseModel, ConfigDict, Field

from ..model.identities import install_refusal_fix
from ..windows import ScriptFailed
from ._windows import WindowsInputs, host_of
from .base import PROVIDER_KEY, Existing, NdesProvider, ResourceInputs, contains_unknown

SCRIPT = "NdesRole"
UNSUPPORTED = ("changing the RA cert configs after installing the NDES server is not a supported scenario and can "
               "lead to NDES stop working")
INSTALL_TIME = ("serviceAccount", "caConfig", "raName", "raEmail", "raCompany", "raDepartment", "raCity", "raState",
                "raCountry", "signingProvider", "signingKeyLength", "encryptionProvider", "encryptionKeyLength")
RA_DETAILS = {"raName": "raName", "raEmail": "raEmail", "raCompany": "raCompany", "raDepartment": "raDepartment",
              "raCity": "raCity", "raState": "raState", "raCountry": "raCountry"}


class InstallCredential(BaseModel):
    """The account Install-AdcsNetworkDeviceEnrollmentService runs its remote work as (-Credential): a Domain Admins
    member (ndes:ndesRole.installCredential). Used at install only; never compared (rotating it changes nothing)."""

    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)

    username: str
    password: str = Field(repr=False)


class NdesRoleInputs(WindowsInputs):
    service_account: str
    """DOMAIN\\name: the SCEP app pool identity."""
    service_account_password: str = Field(repr=False)
    ca_config: str
    """<CA host FQDN>\\<CA common name>."""
    ra_name: str
    ra_email: str | None = None
    ra_company: str | None = None
    ra_department: str | None = None
    ra_city: str | None = None
    ra_state: str | None = None
    ra_country: str | None = None
    signing_provider: str = "Microsoft Strong Cryptographic Provider"
    signing_key_length: int = 2048
    encryption_provider: str = "Microsoft Strong Cryptographic Provider"
    encryption_key_length: int = 2048
    install_credential: InstallCredential | None = Field(default=None, repr=False)


def replace_warning(kind_name: str, olds: dict[str, Any], news: dict[str, Any]) -> str | None:
    """The warning shown when an install-time setting changes (None when none does)."""
    changed = [k for k in INSTALL_TIME if k in news and not contains_unknown(news.get(k))
               and olds.get(k) != news.get(k)]
    if not olds or not changed:
        return None
    parts = ", ".join(f"{k} {olds.get(k)!r} -> {news.get(k)!r}" for k in changed)
    return (f"{kind_name}: {parts}: {UNSUPPORTED}; Pulumi therefore REPLACES NDES on this host (uninstall, then "
            f"install with new RA certificates); devices enrolling meanwhile fail")


class NdesRoleProvider(NdesProvider):
    kind: ClassVar[str] = "NdesRole"
    Inputs: ClassVar[type[ResourceInputs]] = NdesRoleInputs
    replace_on: ClassVar[frozenset[str]] = frozenset(INSTALL_TIME)
    delete_before_replace: ClassVar[bool] = True
    secret_fields: ClassVar[frozenset[str]] = frozenset({"endpoint", "serviceAccountPassword", "installCredential"})

    @classmethod
    def compared_fields(cls) -> list[str]:
        return [f for f in super().compared_fields() if f != "installCredential"]

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        result = super().check(olds, news)
        olds_clean = {k: v for k, v in (olds or {}).items() if k != PROVIDER_KEY}
        msg = replace_warning(f"NdesRole on {(news.get('endpoint') or {}).get('host', '?')}", olds_clean, news)
        if msg and not result.failures:
            # The engine prints a dynamic provider's stderr with the preview; that is how this reaches the user.
            print(f"warning: {msg}", file=sys.stderr, flush=True)
        return result

    def _params(self, inp: NdesRoleInputs, mode: str, **extra: Any) -> dict[str, Any]:
        return {"mode": mode, "serviceAccount": inp.service_account,
                "serviceAccountPassword": inp.service_account_password if mode == "set" else "",
                "caConfig": inp.ca_config, "raName": inp.ra_name, "raEmail": inp.ra_email or "",
                "raCompany": inp.ra_company or "", "raDepartment": inp.ra_department or "",
                "raCity": inp.ra_city or "", "raState": inp.ra_state or "", "raCountry": inp.ra_country or "",
                "signingProvider": inp.signing_provider, "signingKeyLength": inp.signing_key_length,
                "encryptionProvider": inp.encryption_provider, "encryptionKeyLength": inp.encryption_key_length,
                "owner": inp.owner, **extra,
                **({"installCredential": inp.install_credential.model_dump()}
                   if mode == "set" and inp.install_credential is not None else {})}

    def _id(self, inp: NdesRoleInputs) -> str:
        return f"{inp.endpoint.host}/NDES"

    def find(self, inp: NdesRoleInputs) -> Existing | None:
        st = host_of(inp).run_script(SCRIPT, self._params(inp, "get"))["state"]
        return Existing(self._id(inp), st.get("owner") or None) if st["installed"] else None

    def apply(self, inp: NdesRoleInputs, existing: Existing | None) -> tuple[str, dict[str, Any]]:
        try:
            res = host_of(inp).run_script(SCRIPT, self._params(inp, "set", ensure="present", allowReinstall=False),
                                          timeout=max(inp.endpoint.operation_timeout, 600))
        except ScriptFailed as exc:  # refused for want of an identity: say which one to use (docs/identities.md)
            fix = install_refusal_fix(exc.message, inp.endpoint.auth, inp.endpoint.username)
            if not fix:
                raise
            raise ScriptFailed(exc.script, exc.host, f"{exc.message}. Fix: {fix}", exc.category) from None
        live = self._live(res["state"], inp)
        if existing is not None:
            drift = [k for k in INSTALL_TIME if live.get(k) != inp.wire().get(k)]
            if drift:
                res.setdefault("warnings", []).append(
                    f"NDES was installed with other settings ({', '.join(drift)}): {UNSUPPORTED}; run "
                    f"`pulumi up` again to replace it, or set the configuration to the installed values")
        live["notes"] = list(res.get("warnings", []))
        return self._id(inp), live

    @staticmethod
    def _pick(certs: list[dict[str, Any]], template: str) -> dict[str, Any] | None:
        mine = [c for c in certs if c["template"] == template]
        return max(mine, key=lambda c: c["notBefore"]) if mine else None

    def _live(self, st: dict[str, Any], inp: NdesRoleInputs) -> dict[str, Any]:
        certs = st.get("raCertificates") or []
        sign, enc = self._pick(certs, "EnrollmentAgentOffline"), self._pick(certs, "CEPEncryption")
        live: dict[str, Any] = {
            "serviceAccount": st.get("serviceAccount") or inp.service_account,
            "caConfig": st.get("caConfig") or inp.ca_config,  # where the host does not record it: as installed
        }
        if sign is not None:
            for key in RA_DETAILS:
                live[key] = sign.get(key) or None
            live["signingKeyLength"] = sign["keyLength"]
            live["signingProvider"] = sign.get("provider") or inp.signing_provider
        if enc is not None:
            live["encryptionKeyLength"] = enc["keyLength"]
            live["encryptionProvider"] = enc.get("provider") or inp.encryption_provider
        current = [c for c in (sign, enc) if c is not None]
        live["raCertificates"] = [{k: c[k] for k in ("template", "thumbprint", "subject", "notAfter", "daysLeft")}
                                  for c in current]
        live["raNotAfter"] = min((c["notAfter"] for c in current), default=None)
        live["raDaysLeft"] = min((c["daysLeft"] for c in current), default=None)
        return live

    def get(self, id_: str, inp: NdesRoleInputs) -> dict[str, Any] | None:
        st = host_of(inp).run_script(SCRIPT, self._params(inp, "get"))["state"]
        if not st["installed"]:
            return None
        return self._live(st, inp)

    def remove(self, id_: str, inp: NdesRoleInputs) -> None:
        host_of(inp).run_script(SCRIPT, self._params(inp, "set", ensure="absent"),
                                timeout=max(inp.endpoint.operation_timeout, 600))


class NdesRole(pulumi.dynamic.Resource, module="ndes", name="NdesRole"):
    """NDES installed and configured. Outputs: raCertificates, raNotAfter, raDaysLeft, notes."""

    raCertificates: pulumi.Output[list[dict[str, Any]]]
    raNotAfter: pulumi.Output[str]
    raDaysLeft: pulumi.Output[int]
    notes: pulumi.Output[list[str]]

    def __init__(self, name: str, props: dict[str, Any], opts: pulumi.ResourceOptions | None = None):
        outs = {"raCertificates": None, "raNotAfter": None, "raDaysLeft": None, "notes": None}
        opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(
            additional_secret_outputs=["endpoint", "serviceAccountPassword", "installCredential"]))
        super().__init__(NdesRoleProvider(), name, {**outs, **props}, opts)
