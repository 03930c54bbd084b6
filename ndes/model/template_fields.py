"""A certificate template's settings as types, declared once: the stack config (config._TemplateBase) and the
CertificateTemplate provider's inputs both use them."""
from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator

from .durations import from_filetime_interval, parse_period, to_filetime_interval
from .keyusage import normalize_key_usage
from .scep_fields import ExtendedKeyUsages

RSA_KEY_SIZES = (2048, 3072, 4096, 8192, 16384)
"""Every RSA key length the config accepts (templates, the SSL certificate, the NDES RA keys): 2048 is the floor
NIST SP 800-131A and the seed guide set; a size outside the list is a typo (4097) or hostile (99999999)."""


def _period(v: str) -> str:
    """Normalised through the FILETIME encoding, so what read reports equals what was declared
    ("14 days" -> "2 weeks"); months have no fixed length there and are refused."""
    return str(from_filetime_interval(to_filetime_interval(parse_period(v, allowed=("hour", "day", "week", "year")))))


def _rsa(v: int) -> int:
    if v not in RSA_KEY_SIZES:
        raise ValueError(f"{v} is not an RSA key size allowed here: use one of {', '.join(map(str, RSA_KEY_SIZES))}")
    return v


TemplatePeriod = Annotated[str, AfterValidator(_period)]
KeyUsages = Annotated[list[str], AfterValidator(normalize_key_usage)]
RsaKeySize = Annotated[int, AfterValidator(_rsa)]

__all__ = ["ExtendedKeyUsages", "KeyUsages", "RsaKeySize", "TemplatePeriod"]
