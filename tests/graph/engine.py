"""Drive a dynamic provider the way the engine does (check -> create / diff -> update / read / delete),
so the graph tests exercise the provider's own verbs against the simulator."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ndes.providers.base import NdesProvider


@dataclass
class Managed:
    provider: NdesProvider
    id: str = ""
    outs: dict[str, Any] = field(default_factory=dict)

    def checked(self, props: dict[str, Any]) -> dict[str, Any]:
        res = self.provider.check({}, props)
        assert not res.failures, [(f.property, f.reason) for f in res.failures]
        return res.inputs

    def create(self, props: dict[str, Any]) -> dict[str, Any]:
        res = self.provider.create(self.checked(props))
        self.id, self.outs = res.id, res.outs
        return self.outs

    def converge(self, props: dict[str, Any]) -> bool:
        """A later `pulumi up`: diff against the last state and update when the diff says so. True if changed."""
        news = self.checked(props)
        d = self.provider.diff(self.id, self.outs, news)
        if not d.changes:
            return False
        assert not d.replaces, d.replaces
        self.outs = self.provider.update(self.id, self.outs, news).outs
        return True

    def refresh(self) -> dict[str, Any] | None:
        """`pulumi refresh`: the live state, in inputs' words; None when the object is gone."""
        res = self.provider.read(self.id, self.outs)
        if res.id is None:
            return None
        self.outs = res.outs
        return res.inputs

    def drift(self, props: dict[str, Any]) -> list[str]:
        """What `pulumi preview` would change after a refresh."""
        d = self.provider.diff(self.id, self.outs, self.checked(props))
        return [n for n in self.provider.compared_fields()
                if self.outs.get(n) != self.checked(props).get(n)] if d.changes else []

    def delete(self) -> None:
        self.provider.delete(self.id, self.outs)
