"""MscepTemplateMapping.ps1: the three MSCEP values the NDES policy reads (HKLM:\\SOFTWARE\\Microsoft\\Cryptography\\
MSCEP: SignatureTemplate, EncryptionTemplate, GeneralPurposeTemplate = a template's name), written exactly as given
(which value gets which template is derived in Python from the SCEP key usage, ndes.model.keyusage); ensure absent
puts the given values back to the NDES install default IPSECIntermediateOffline. NDES reads the values when the
SCEP application pool starts: `recycle` restarts the pool (Restart-WebAppPool SCEP) so a change applies now."""
from __future__ import annotations

from typing import Literal

from pydantic import field_validator

from ...model.keyusage import MSCEP_VALUES as VALUES
from ...model.keyusage import check_mscep_values
from . import Contract

SCRIPT = "MscepTemplateMapping"
DEFAULT = "IPSECIntermediateOffline"


class MscepTemplateMappingParams(Contract):
    mode: Literal["get", "set"]
    templates: dict[str, str] = {}
    """MSCEP value name -> template name (set)."""
    ensure: Literal["present", "absent"] = "present"
    owner: str = ""
    recycle: bool = False

    @field_validator("templates")
    @classmethod
    def _names(cls, v: dict[str, str]) -> dict[str, str]:
        check_mscep_values(v)
        return v


class MscepTemplateMappingState(Contract):
    exists: bool
    """The MSCEP key (the NDES role install creates it)."""
    values: dict[str, str | None] = {}
    owner: str = ""
    recycled: bool = False
