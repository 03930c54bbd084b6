"""Each script's contract, declared once: a pydantic model of the params it reads and of the state it returns.

The providers, `ndes verify`, lab/handbuilt.py and the simulator's handlers all use these models: the client
sends `params.wire()` (every key present, so a script never trips StrictMode on a missing property), the
simulator validates what it receives against the same model (a caller that sends something else is refused as
PowerShell's parameter binding would), and the state a script returns is parsed back into its model.

    res = call(host, MachineCertificateParams(mode="get", thumbprint=tp), MachineCertificateState)
    res.state.certificate
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

__all__ = ["Contract", "Result", "call"]


class Contract(BaseModel):
    """Base of every params/state model: camelCase on the wire (as the scripts read it), unknown keys refused."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")

    def wire(self) -> dict[str, Any]:
        return self.model_dump(by_alias=True, mode="json")


S = TypeVar("S", bound=Contract)


@dataclass(frozen=True)
class Result(Generic[S]):
    """One script run: its typed state, whether it changed something, and its warnings."""
    state: S
    changed: bool
    reboot_required: bool
    warnings: list[str]


def call(host: Any, script: str, params: Contract, state_model: type[S], *, timeout: int | None = None) -> Result[S]:
    """Run `script` on `host` (a WindowsHost) with `params`; its state parsed into `state_model`."""
    doc = host.run_script(script, params.wire(), timeout=timeout)
    return Result(state_model.model_validate(doc.get("state") or {}), bool(doc.get("changed")),
                  bool(doc.get("rebootRequired")), [str(w) for w in doc.get("warnings") or []])
