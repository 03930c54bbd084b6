"""The NDES RA certificates as a renewal decides on them (no Pulumi): which is current per template, how many
days it has left by the HOST's clock, which older ones a renewal left, whether NDES serves the current ones
(GetCACert on the host), and what a renewal requests. Used by RaCertificateRenewal and `ndes verify`."""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
from dataclasses import dataclass, field

from cryptography import x509

from .certificates import TIME_FORMAT, Certificate, decode
from .contracts import ndes_ra_renewal as C
from .contracts.ndes_role import RA_TEMPLATES


@dataclass
class RaView:
    """The RA certificates on the host, as a renewal sees them at the host's time `now`."""
    now: dt.datetime
    current: dict[str, tuple[Certificate, str, bytes]] = field(default_factory=dict)
    """template -> (the newest certificate, its key's CSP, its subject's DER)."""
    older: list[Certificate] = field(default_factory=list)
    """RA certificates that a newer one of the same template replaces (a renewal's leftovers)."""
    served: set[str] = field(default_factory=set)
    """Thumbprints (SHA-1 of the DER) NDES serves to GetCACert now."""
    der_thumbprints: dict[str, str] = field(default_factory=dict)
    """template -> the SHA-1 of the current certificate's DER (what GetCACert's thumbprints are compared with)."""
    served_error: str = ""

    def days_left(self, template: str) -> int | None:
        c = self.current.get(template)
        return None if c is None else c[0].days_left(self.now)

    def capped(self, template: str, before: int) -> bool:
        """The current certificate was issued already inside the renewal window: the CA capped its validity at
        its own expiry, so a new request would end on the same day (renewing again would loop on every run)."""
        c = self.current.get(template)
        return c is not None and (c[0].not_after - c[0].not_before).days <= before

    def due(self, before: int) -> list[str]:
        """The templates whose current certificate has `before` days or fewer left (and a renewal would help)."""
        return [t for t in RA_TEMPLATES if t in self.current and (self.days_left(t) or 0) <= before
                and not self.capped(t, before)]

    def in_use(self) -> bool:
        """NDES serves the newest certificate of both templates."""
        return all(self.der_thumbprints.get(t, c[0].thumbprint) in self.served for t, c in self.current.items())


def view_of(st: C.NdesRaRenewalState) -> RaView:
    now = dt.datetime.strptime(st.now, TIME_FORMAT).replace(tzinfo=dt.timezone.utc)
    v = RaView(now=now, served_error=st.served_error)
    by_template: dict[str, list[tuple[Certificate, str, bytes, str]]] = {}
    for facts in st.ra_certificates:
        cert = decode(facts)
        if cert.template_name not in RA_TEMPLATES:
            continue
        der = x509.load_der_x509_certificate(base64.b64decode(facts.der_base64)).subject.public_bytes()
        by_template.setdefault(cert.template_name, []).append((cert, facts.provider, der, facts.der_base64))
    for template, certs in by_template.items():
        certs.sort(key=lambda c: (c[0].not_before, c[0].not_after))
        v.current[template] = certs[-1][:3]
        v.der_thumbprints[template] = decode_thumbprint(certs[-1][3])
        v.older.extend(c[0] for c in certs[:-1])
    for b64 in st.served:
        v.served.add(decode_thumbprint(b64))
    return v


def decode_thumbprint(der_b64: str) -> str:
    return hashlib.sha1(base64.b64decode(der_b64)).hexdigest().upper()


def requests_for(v: RaView) -> list[C.RaRequest]:
    """One request per RA template: the current certificate's subject, CSP and key length (as installed)."""
    out = []
    for template in RA_TEMPLATES:
        cert, provider, subject_der = v.current[template]
        if not provider:
            raise RuntimeError(f"the {template} RA certificate {cert.thumbprint}'s key has no CryptoAPI CSP (a CNG "
                               "key?): NDES only supports CryptoAPI CSPs; renew it by hand or replace NDES")
        out.append(C.RaRequest(template=template, subject_der_base64=base64.b64encode(subject_der).decode(),
                               provider=provider, key_length=int(cert.key_size or 2048),
                               key_spec=C.KEY_SPEC[template]))
    return out


def plan_words(host: str, v: RaView, before: int) -> list[str]:
    """What `up` will do, in words (empty: nothing)."""
    words = []
    due = v.due(before)
    if due:
        parts = ", ".join(f"{t} {v.current[t][0].thumbprint} expires {v.current[t][0].not_after:%Y-%m-%d} "
                          f"({v.days_left(t)} days left)" for t in due)
        words.append(f"RA certificates on {host}: {parts}, within renewBeforeDays {before} "
                     "(ndes:ndesRole.raRenewBeforeDays): `pulumi up` requests new EnrollmentAgentOffline and "
                     "CEPEncryption certificates (same subject, CSP and key length), restarts the SCEP app pool, "
                     "checks that NDES serves them, then deletes the old ones; NDES is not reinstalled")
    capped = [t for t in RA_TEMPLATES if t in v.current and (v.days_left(t) or 0) <= before and v.capped(t, before)]
    if capped:
        words.append(f"RA certificates on {host}: {', '.join(capped)} end with the issuing CA's own certificate "
                     f"({v.current[capped[0]][0].not_after:%Y-%m-%d}): a new request cannot outlive it; renew the "
                     "CA's certificate, then `pulumi up` renews the RA certificates")
    if v.older and not due:
        words.append(f"RA certificates on {host}: the older {', '.join(c.thumbprint for c in v.older)} remain after "
                     "a renewal: `pulumi up` makes sure NDES serves the new ones (restarting the SCEP app pool), "
                     "then deletes them")
    return words
