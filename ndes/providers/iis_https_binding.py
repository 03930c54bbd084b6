"""IisHttpsBinding: Default Web Site's https binding on 443 with an EMPTY host name and the SSL certificate.

A reader of the guide: the IIS dialog fills the host name with the machine name, and NDES then fails behind
App Proxy; so the host name is part of the desired state ("" by default) and a name set by hand reads back as
`hostName: "<that name>"`, shows in `pulumi refresh`/`preview --diff` and is put back by `pulumi up`.
Delete removes the binding only while it still carries this resource's certificate.
"""
from __future__ import annotations

from typing import Any, ClassVar

import pulumi
from pydantic import field_validator

from ._windows import WindowsInputs, host_of
from .base import Existing, NdesProvider, ResourceInputs

SCRIPT = "IisHttpsBinding"


class IisHttpsBindingInputs(WindowsInputs):
    site_name: str = "Default Web Site"
    port: int = 443
    ip_address: str = "*"
    host_name: str = ""
    thumbprint: str
    ssl_flags: int = 0

    @field_validator("thumbprint")
    @classmethod
    def _thumb(cls, v: str) -> str:
        t = v.replace(" ", "").upper()
        if len(t) != 40 or any(c not in "0123456789ABCDEF" for c in t):
            raise ValueError(f"'{v}' is not a certificate thumbprint (40 hex digits)")
        return t


class IisHttpsBindingProvider(NdesProvider):
    kind: ClassVar[str] = "IisHttpsBinding"
    Inputs: ClassVar[type[ResourceInputs]] = IisHttpsBindingInputs
    replace_on: ClassVar[frozenset[str]] = frozenset({"siteName", "port"})
    secret_fields: ClassVar[frozenset[str]] = frozenset({"endpoint"})

    def _params(self, inp: IisHttpsBindingInputs, mode: str, **extra: Any) -> dict[str, Any]:
        return {"mode": mode, "siteName": inp.site_name, "port": inp.port, "ipAddress": inp.ip_address,
                "hostName": inp.host_name, "thumbprint": inp.thumbprint, "sslFlags": inp.ssl_flags,
                "owner": inp.owner, **extra}

    def _id(self, inp: IisHttpsBindingInputs) -> str:
        return f"{inp.site_name}/https/{inp.port}"

    def find(self, inp: IisHttpsBindingInputs) -> Existing | None:
        st = host_of(inp).run_script(SCRIPT, self._params(inp, "get"))["state"]
        if not st.get("exists"):
            return None
        owner = st.get("owner") or None
        return Existing(self._id(inp), owner)

    @staticmethod
    def _live(st: dict[str, Any]) -> dict[str, Any]:
        return {"ipAddress": st["ipAddress"], "port": st["port"], "hostName": st["hostName"],
                "thumbprint": st["thumbprint"], "sslFlags": st["sslFlags"],
                "bindingInformation": st["bindingInformation"]}

    def apply(self, inp: IisHttpsBindingInputs, existing: Existing | None) -> tuple[str, dict[str, Any]]:
        st = host_of(inp).run_script(SCRIPT, self._params(inp, "set", ensure="present"))["state"]
        return self._id(inp), self._live(st)

    def get(self, id_: str, inp: IisHttpsBindingInputs) -> dict[str, Any] | None:
        st = host_of(inp).run_script(SCRIPT, self._params(inp, "get"))["state"]
        return self._live(st) if st.get("exists") else None

    def remove(self, id_: str, inp: IisHttpsBindingInputs) -> None:
        host_of(inp).run_script(SCRIPT, self._params(inp, "set", ensure="absent"))


class IisHttpsBinding(pulumi.dynamic.Resource, module="ndes", name="IisHttpsBinding"):
    """The site's https binding. Outputs: bindingInformation (and the live hostName, thumbprint, sslFlags)."""

    bindingInformation: pulumi.Output[str]

    def __init__(self, name: str, props: dict[str, Any], opts: pulumi.ResourceOptions | None = None):
        opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(additional_secret_outputs=["endpoint"]))
        super().__init__(IisHttpsBindingProvider(), name, {"bindingInformation": None, **props}, opts)
