"""What the stack declares, resource by resource: the inputs each provider gets, in the admin's words, built from
the validated configuration once (issue 21).

The components instantiate these as Pulumi resources (adding the connection, the owner mark and what other
resources' outputs feed in); `ndes verify` hands the same inputs to the same providers' hooks (find, get) and
reports their differences, so `pulumi refresh` and `ndes verify` cannot disagree. No Pulumi here: the values
another resource produces (a SID, a thumbprint, a password as a secret Output) come in as parameters.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Declared:
    """One resource of the chain: its step name (the Pulumi resource's name suffix), provider, config key and
    inputs (without connection, owner and adopt, which the caller adds)."""

    step: str
    provider: type
    config_key: str
    props: dict[str, Any] = field(default_factory=dict)
    adopt: bool = False

    @property
    def kind(self) -> str:
        return self.provider.kind
