"""MachineCertificate: the NDES host's SSL certificate, requested from the SSL template into LocalMachine\\My.

CN = the external or the internal FQDN (ndes:sslCertificate.commonName), SANs = both FQDNs
(ndes.model.urls.ssl_names). The id is the certificate's thumbprint; a certificate cannot change, so any
change of template, CN or names is a replace (create the new one, move the binding, delete the old one), and
so is renewal: when fewer than renewBeforeDays are left, `diff` asks for a replacement. `read` reports the
live certificate (decoded from its DER in Python: ndes/windows/certificates.py); one that was deleted reads as
gone. Its template is identified by the template's OID in the certificate's template extension, never by the
text Windows formats for it (a localized display name). The owner mark is the certificate's FriendlyName. The
key is requested at ndes:sslCertificate.keySize bits; a certificate whose key is shorter (read from its DER) is
drift that a replace fixes, as a change of keySize is.
"""
from __future__ import annotations

import datetime as dt
import re
import time
from typing import Any, ClassVar

from .results import DiffResult
from pydantic import field_validator

from ..model.field_rules import as_recorded
from ..model.host_fields import SslKeySettings
from ..model.urls import normalize_fqdn
from ..windows.certificates import TIME_FORMAT, Certificate, decode
from ..windows.contracts import call
from ..windows.contracts import machine_certificate as C
from ._windows import host_of, while_template_not_offered, WindowsInputs, WindowsProvider
from . import generation as gen
from .base import Existing, contains_unknown
from .host_clock import host_now

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


class MachineCertificateInputs(WindowsInputs, SslKeySettings):
    """The key and renewal (ndes.model.host_fields.SslKeySettings, shared with ndes:sslCertificate); keySize is
    2048 in state written before that input existed, the SSL template's default minimum, which is what those
    certificates were requested with."""
    template: str
    """The SSL template's name (cn), e.g. NDES-SSL: what Get-Certificate asks the CA for."""
    template_oid: str = ""
    """The template's msPKI-Cert-Template-OID (the CertificateTemplate resource's `oid` output): what identifies
    the template in a certificate (its 1.3.6.1.4.1.311.21.7 extension). Empty only in state written before this
    input existed: then the template is taken on trust until the next `up` records the OID."""
    common_name: str
    dns_names: list[str]

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

    @field_validator("template_oid")
    @classmethod
    def _oid(cls, v: str) -> str:
        v = v.strip()
        if v and not _OID.match(v):
            raise ValueError(f"'{v}' is not an OID (the template's msPKI-Cert-Template-OID)")
        return v

    # read: the names of the certificate the CA issued (a template changed by hand to build the subject from AD
    # may issue one without a CN or DNS names)
    _recorded_certificate = as_recorded("common_name", "dns_names")


TEMPLATE_WAIT_SECONDS = 600.0
"""How long an enrollment waits for the CA to offer a template it does not offer yet."""
_sleep = time.sleep


_OID = re.compile(r"^[0-2](\.(0|[1-9][0-9]*))+$")


def _days_left(not_after: str | None, now: dt.datetime | None = None) -> float | None:
    if not not_after:
        return None
    try:
        end = dt.datetime.strptime(not_after, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)
    except ValueError:
        return None
    return (end - (now or dt.datetime.now(dt.timezone.utc))).total_seconds() / 86400


def live_template(inp: MachineCertificateInputs, cert: Certificate) -> str:
    """The template a certificate says it came from, in the admin's words: the configured name when its
    template extension carries the configured template's OID; otherwise what it carries (an OID, or a v1
    template's name), so the diff shows a certificate from another template."""
    if inp.template_oid:
        if cert.from_template(inp.template_oid):
            return inp.template
    elif cert.template is not None or cert.template_name == inp.template:
        return inp.template  # state from before templateOid: taken on trust (see MachineCertificateInputs)
    if cert.template is not None:
        return cert.template.oid
    return cert.template_name or ""


def live_key_size(inp: MachineCertificateInputs, cert: Certificate) -> int:
    """The certificate's key size in the admin's words: the configured size when its key is at least that long
    (a longer key satisfies it), else the key's own size (0 when the DER's key is not RSA), so the diff shows it."""
    size = cert.key_size or 0
    return inp.key_size if size >= inp.key_size else size


def wanted(inp: MachineCertificateInputs, cert: Certificate, now: dt.datetime | None = None) -> bool:
    """The certificate this resource declares: CN, DNS names, template, a key of at least keySize bits, a private
    key, not due for renewal (by the host's clock `now`: host_clock.py)."""
    return (cert.common_name.lower() == inp.common_name and cert.dns_names == inp.dns_names
            and live_template(inp, cert) == inp.template and live_key_size(inp, cert) == inp.key_size
            and cert.has_private_key and cert.days_left(now) > inp.renew_before_days)


class MachineCertificateProvider(WindowsProvider):
    Inputs = MachineCertificateInputs
    replace_on: ClassVar[frozenset[str]] = frozenset({"template", "commonName", "dnsNames", "keySize"})

    @staticmethod
    def _friendly(inp: MachineCertificateInputs) -> str:
        return FRIENDLY_PREFIX + inp.owner if inp.owner else ""

    @staticmethod
    def _is_mine(inp: MachineCertificateInputs, c: Certificate) -> bool:
        """The certificate carries this resource's owner mark, whatever generation stamped it (a create that
        crashed before the engine recorded it stamped another one)."""
        fn = c.friendly_name or ""
        return bool(inp.owner) and fn.startswith(FRIENDLY_PREFIX) and \
            gen.owner_of(fn[len(FRIENDLY_PREFIX):]) == gen.owner_of(inp.owner)

    def _run(self, inp: MachineCertificateInputs, params: C.MachineCertificateParams,
             timeout: int | None = None) -> C.MachineCertificateState:
        return call(host_of(inp), C.SCRIPT, params, C.MachineCertificateState, timeout=timeout).state

    def _read(self, inp: MachineCertificateInputs, thumbprint: str) -> Certificate | None:
        st = self._run(inp, C.MachineCertificateParams(mode="get", thumbprint=thumbprint))
        return decode(st.certificate) if st.certificate else None

    def _match(self, inp: MachineCertificateInputs, now: dt.datetime | None = None) -> Certificate | None:
        """A certificate in the store that is what this resource declares: one carrying this resource's owner
        mark first (a create that crashed before the engine recorded it), else any (adoption)."""
        st = self._run(inp, C.MachineCertificateParams(mode="get", list_store=True))
        found = [c for c in map(decode, st.store) if wanted(inp, c, now or host_now(inp))]
        mine = [c for c in found if self._is_mine(inp, c)]
        return (mine or found or [None])[0]

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        res = super().diff(id_, olds, news)
        left = None
        if olds.get("notAfter") and not contains_unknown(news.get("endpoint")):
            try:
                now = host_now(self.parse(news))  # a certificate expires by the host's clock
            except Exception:  # noqa: BLE001 - inputs that do not parse yet: check reports them
                now = None
            left = _days_left(olds.get("notAfter"), now)
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
        c = self._match(inp)
        if c is None:
            return None
        fn = c.friendly_name
        return Existing(c.thumbprint, fn[len(FRIENDLY_PREFIX):] if fn.startswith(FRIENDLY_PREFIX) else None)

    def _live(self, inp: MachineCertificateInputs, c: Certificate) -> dict[str, Any]:
        return {"thumbprint": c.thumbprint, "subject": c.subject, "commonName": c.common_name.lower(),
                "dnsNames": c.dns_names, "template": live_template(inp, c), "keySize": live_key_size(inp, c),
                "issuer": c.issuer,
                "notBefore": c.not_before.strftime(TIME_FORMAT), "notAfter": c.not_after.strftime(TIME_FORMAT),
                "daysLeft": c.days_left()}

    def apply(self, inp: MachineCertificateInputs, existing: Existing | None) -> tuple[str, dict[str, Any]]:
        cert = self._read(inp, existing.id) if existing else None
        now = host_now(inp)
        if cert is None or not wanted(inp, cert, now):
            cert = self._match(inp, now)
            if cert is not None and not self._is_mine(inp, cert):
                cert = None  # someone else's certificate: this resource enrolls its own
        if cert is None:
            st = self._enroll(inp)
            if st.certificate is None:
                raise RuntimeError(f"{self.what(inp)}: the enrollment returned no certificate")
            cert = decode(st.certificate)
        elif self._friendly(inp) and cert.friendly_name != self._friendly(inp):
            self._run(inp, C.MachineCertificateParams(mode="set", action="mark", thumbprint=cert.thumbprint,
                                                      friendly_name=self._friendly(inp)))
        return cert.thumbprint, self._live(inp, cert)

    def _enroll(self, inp: MachineCertificateInputs) -> C.MachineCertificateState:
        """Get-Certificate, waiting (bounded backoff) while the CA does not offer the template yet: a template
        just issued reaches the CA through AD replication and its template cache, and until then the CA answers
        CERTSRV_E_UNSUPPORTED_CERT_TYPE (0x80094800)."""
        params = C.MachineCertificateParams(mode="set", action="enroll", template=inp.template,
                                            subject=x500_cn(inp.common_name), dns_names=inp.dns_names,
                                            key_length=inp.key_size, friendly_name=self._friendly(inp))
        return while_template_not_offered(
            lambda: self._run(inp, params, timeout=max(inp.endpoint.operation_timeout, 300)),
            inp.template, "check that it is issued on the CA (ndes:templates.ssl) and that AD replication reached "
            "the CA", sleep=lambda s: _sleep(s), budget=TEMPLATE_WAIT_SECONDS)

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]):
        # Only renewBeforeDays / templateOid / the endpoint change in place (keySize, like the names, replaces): keep the certificate (a renewal is a
        # replace).
        from .results import UpdateResult

        inp = self.parse(news)
        cert = self._read(inp, id_)
        if cert is None:
            return super().update(id_, olds, news)
        return UpdateResult(self._outs(inp, id_, self._live(inp, cert)))

    def get(self, id_: str, inp: MachineCertificateInputs) -> dict[str, Any] | None:
        cert = self._read(inp, id_)
        return self._live(inp, cert) if cert is not None else None

    def remove(self, id_: str, inp: MachineCertificateInputs) -> None:
        self._run(inp, C.MachineCertificateParams(mode="set", action="remove", thumbprint=id_))
