"""What every section of the typed configuration shares: camelCase keys, unknown keys refused, frozen values
(ndes/model/config.py assembles the sections).
"""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

from .urls import normalize_fqdn


class _Model(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True)


def _fqdn(v: str) -> str:
    return normalize_fqdn(v)


class TlsOptions(_Model):
    ca_bundle: str | None = None
    """PEM file of the CAs to trust; the system store when unset."""
    insecure_skip_tls_verify: bool = False
    """Turns certificate verification off. Only for a throw-away lab: a policy refuses it elsewhere."""
