"""MachineCertificate: the NDES host's SSL certificate, requested from the SSL template into LocalMachine\\My.

CN = the external or the internal FQDN (ndes:sslCertificate.commonName), SANs = both FQDNs
(ndes.model.urls.ssl_names). The id is the certificate's thumbprint; a certificate cannot change, so any
change of template, CN or names is a replace (create the new one, move the binding, delete the old one), and
so is renewal: when fewer than renewBeforeDays are left, `diff` asks for a replacement. `read` reports the
live certificate; one whose subject or names were changed (a different certificate under the same thumbprint
cannot exist) or that was deleted reads as gone. The owner mark is the certificate's FriendlyName.
"""
from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

import pulumi
from pulumi.dynamic import DiffResult
from pydantic import field_validator

from ..model.urls import normalize_fqdn
from ._windows import WindowsInputs, host_of
from .base import Existing, NdesProvider, ResourceInputs

SCRIPT = "MachineCertificate"
FRIENDLY_PREFIX = "pulumi:"


def x500_cn(cn: str) -> str:
    """CN=<value> with the RFC 4514 specials escaped (Windows reads the same escapes)."""
    out = []
    for i, ch in enumerate(cn):
        if ch in ',+"\\<>;=' or (ch == "#" and i == 0) or (ch == " " and i in (0, len(cn) - 1)):
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "CN=" + "".join(out)


class MachineCertificateInputs(WindowsInputs):
    template: str
    """The SSL template's name (cn), e.g. NDES-SSL."""
    common_name: str
    dns_names: list[str]
    renew_before_days: int = 30

    @field_validator("common_name")
    @classmethod
    def _cn(cls, v: str) -> str:
        return normalize_fqdn(v)

    @field_validator("dns_names")
    @classmethod
    def _names(cls, v: list[str]) -> list[str]:
        if not v:
            raise ValueError("give at least one DNS name (the external and the internal FQDN)")
        return sorted({normalize_fqdn(n) for n in v})


def _days_left(not_after: str | None) -> float | None:
    if not not_after:
        return None
    try:
        end = dt.datetime.strptime(not_after, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)
    except ValueError:
        return None
    return (end - dt.datetime.now(dt.timezone.utc)).total_seconds() / 86400


class MachineCertificateProvider(NdesProvider):
    kind: ClassVar[str] = "MachineCertificate"
    Inputs: ClassVar[type[ResourceInputs]] = MachineCertificateInputs
    replace_on: ClassVar[frozenset[str]] = frozenset({"template", "commonName", "dnsNames"})
    secret_fields: ClassVar[frozenset[str]] = frozenset({"endpoint"})

    def _params(self, inp: MachineCertificateInputs, mode: str, thumbprint: str, **extra: Any) -> dict[str, Any]:
        return {"mode": mode, "thumbprint": thumbprint, "template": inp.template, "subject": x500_cn(inp.common_name),
                "dnsNames": inp.dns_names, "renewBeforeDays": inp.renew_before_days,
                "friendlyName": FRIENDLY_PREFIX + inp.owner if inp.owner else "", **extra}

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        res = super().diff(id_, olds, news)
        left = _days_left(olds.get("notAfter"))
        try:
            before = int(news.get("renewBeforeDays") or 30)
        except (TypeError, ValueError):
            return res
        if left is not None and left <= before:
            # renewal is a new certificate: replace (the binding moves to it, then the old one is deleted)
            return DiffResult(changes=True, replaces=sorted(set(res.replaces or []) | {"renewBeforeDays"}),
                              delete_before_replace=False)
        return res

    def find(self, inp: MachineCertificateInputs) -> Existing | None:
        st = host_of(inp).run_script(SCRIPT, self._params(inp, "get", ""))["state"]
        if not st.get("match"):
            return None
        fn = st.get("matchFriendlyName") or ""
        return Existing(st["match"], fn[len(FRIENDLY_PREFIX):] if fn.startswith(FRIENDLY_PREFIX) else None)

    def _live(self, st: dict[str, Any]) -> dict[str, Any]:
        return {"thumbprint": st["thumbprint"], "subject": st["subject"], "commonName": st["commonName"],
                "dnsNames": sorted(st["dnsNames"]), "template": st["template"], "issuer": st["issuer"],
                "notBefore": st["notBefore"], "notAfter": st["notAfter"], "daysLeft": st["daysLeft"]}

    def apply(self, inp: MachineCertificateInputs, existing: Existing | None) -> tuple[str, dict[str, Any]]:
        res = host_of(inp).run_script(SCRIPT, self._params(inp, "set", existing.id if existing else "",
                                                           ensure="present"),
                                      timeout=max(inp.endpoint.operation_timeout, 300))
        st = res["state"]
        return st["thumbprint"], self._live(st)

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]):
        # Only renewBeforeDays / the endpoint can change in place: keep the certificate (a renewal is a replace).
        from pulumi.dynamic import UpdateResult

        inp = self.parse(news)
        st = host_of(inp).run_script(SCRIPT, self._params(inp, "get", id_))["state"]
        if not st.get("exists"):
            return super().update(id_, olds, news)
        return UpdateResult(self._outs(inp, id_, self._live(st)))

    def get(self, id_: str, inp: MachineCertificateInputs) -> dict[str, Any] | None:
        st = host_of(inp).run_script(SCRIPT, self._params(inp, "get", id_))["state"]
        return self._live(st) if st.get("exists") else None

    def remove(self, id_: str, inp: MachineCertificateInputs) -> None:
        host_of(inp).run_script(SCRIPT, self._params(inp, "set", id_, ensure="absent"))


class MachineCertificate(pulumi.dynamic.Resource, module="ndes", name="MachineCertificate"):
    """A certificate in LocalMachine\\My from an Enterprise CA template. Outputs: thumbprint, subject, notAfter,
    daysLeft, issuer, notBefore (and the live commonName, dnsNames, template)."""

    thumbprint: pulumi.Output[str]
    subject: pulumi.Output[str]
    issuer: pulumi.Output[str]
    notBefore: pulumi.Output[str]
    notAfter: pulumi.Output[str]
    daysLeft: pulumi.Output[int]

    def __init__(self, name: str, props: dict[str, Any], opts: pulumi.ResourceOptions | None = None):
        outs = {"thumbprint": None, "subject": None, "issuer": None, "notBefore": None, "notAfter": None,
                "daysLeft": None}
        opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(additional_secret_outputs=["endpoint"]))
        super().__init__(MachineCertificateProvider(), name, {**outs, **props}, opts)
