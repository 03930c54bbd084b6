"""A certificate template's settings, declared once: the stack config (config_directory._TemplateBase) and the
CertificateTemplate provider's inputs both inherit TemplateFields (the fields, their types, defaults and rules)."""
from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ValidationInfo, field_validator

from .field_rules import declared, plain_name
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


def template_name(v: str) -> str:
    """A template's name or display name (also what MSCEP and the SSL certificate request name it by)."""
    return plain_name(v, "a template name", 64)


def rsa_key_size(v: int, info: ValidationInfo) -> int:
    """The RSA key sizes one may declare (RSA_KEY_SIZES); raises ValueError naming them. A size recorded from the
    live object (field_rules.RECORDED) is kept as it is: the diff shows it."""
    if declared(info) and v not in RSA_KEY_SIZES:
        raise ValueError(f"{v} is not an RSA key size allowed here: use one of {', '.join(map(str, RSA_KEY_SIZES))}")
    return v


TemplatePeriod = Annotated[str, AfterValidator(_period)]
KeyUsages = Annotated[list[str], AfterValidator(normalize_key_usage)]
RsaKeySize = Annotated[int, AfterValidator(rsa_key_size)]



class TemplateFields(BaseModel):
    """What the admin declares of a template (the console's tabs). No model_config of its own: the config's and
    the inputs' (camelCase aliases, unknown keys refused) apply."""

    name: str
    """Template name (cn): what MSCEP, certutil and the CA's list use."""
    display_name: str | None = None
    """The console's name; the config falls back to `name` (the inputs require it)."""
    validity: TemplatePeriod
    renewal_period: TemplatePeriod = "6 weeks"
    minimum_key_size: RsaKeySize = 2048
    key_usage: KeyUsages = ["digitalSignature", "keyEncipherment"]
    extended_key_usage: ExtendedKeyUsages
    exportable: bool = False
    enrollee_supplies_subject: bool = True
    publish_to_ad: bool = False
    remove_extra_grants: bool = False
    """Remove explicit ACEs that let anyone but the built-in admins, the bind account and the enroll principals
    enroll on or change the template (Authenticated Users: Enroll, Domain Users: Write, ...); reported either way."""

    @field_validator("name", "display_name")
    @classmethod
    def _name(cls, v: str | None) -> str | None:
        return None if v is None else template_name(v)


__all__ = ["ExtendedKeyUsages", "KeyUsages", "RsaKeySize", "TemplateFields", "TemplatePeriod", "rsa_key_size", "template_name"]
