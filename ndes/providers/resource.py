"""The base of the project's dynamic Resources (the classes a program instantiates; their providers derive from
base.NdesProvider)."""
from __future__ import annotations

from typing import Any, ClassVar

import pulumi
import pulumi.dynamic

from .base import NdesProvider


class NdesResource(pulumi.dynamic.Resource):
    """Base of the project's dynamic Resources, declared in one statement:

        class WindowsFeatures(NdesResource, provider=WindowsFeaturesProvider,
                              outputs={"installedByPulumi": list, "rebootRequired": bool, "notes": list},
                              echoes={"features": list}):

    - the type token is dynamic/ndes:<class name>, as state records it;
    - `outputs`: what the provider adds to the inputs, with its type (None until the provider sets it; the
      type is the Output annotation the SDK converts by, e.g. an int arrives as int, not float; None: no type);
    - `echoes`: inputs the provider reports back live (typed the same way, never set by the Resource);
    - the provider's `secret_fields` are the secret outputs (`additional_secret_outputs`): declared once.
    """

    provider_class: ClassVar[type[NdesProvider]] = NdesProvider
    outputs: ClassVar[tuple[str, ...]] = ()

    def __init_subclass__(cls, provider: type[NdesProvider] | None = None, outputs: dict[str, Any] | None = None,
                          echoes: dict[str, Any] | None = None, **kwargs: Any) -> None:
        super().__init_subclass__(module="ndes", name=cls.__name__, **kwargs)
        if provider is not None:
            cls.provider_class = provider
        if outputs is not None:
            cls.outputs = tuple(outputs)
        typed = {k: pulumi.Output[t] for k, t in {**(echoes or {}), **(outputs or {})}.items() if t is not None}
        cls.__annotations__ = {**cls.__dict__.get("__annotations__", {}), **typed}

    def __init__(self, name: str, props: dict[str, Any], opts: pulumi.ResourceOptions | None = None):
        secrets = self.provider_class.secret_outputs()
        if secrets:
            opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(additional_secret_outputs=secrets))
        super().__init__(self.provider_class(), name, {**{k: None for k in self.outputs}, **props}, opts)
