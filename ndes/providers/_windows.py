"""What every Windows-plane provider shares: the `endpoint` input (how to reach the host over WinRM) and the
client built from it inside each call (providers hold no connections: they are pickled into state).

    class WindowsFeaturesInputs(WindowsInputs): features: list[str]
    host_of(inp).run_script("WindowsFeatures", {...})

The endpoint travels as one input object {host, url, username, password, auth, caBundlePem,
insecureSkipTlsVerify, operationTimeout}; components pass it as a secret Output (it holds the password), and
the provider's `secret_fields` derive "endpoint" from it (its password is hidden), and so the Resource's secret
outputs. `WindowsProvider` is the base of every Windows-plane provider.
"""
from __future__ import annotations

import contextlib
from typing import Any, ClassVar, Iterator, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic.alias_generators import to_camel

from ..model.urls import winrm_url
from ..windows import Endpoint, ScriptFailed, WindowsHost
from ..windows.ca_wait import TEMPLATE_WAIT_SECONDS, not_offered_yet, while_template_not_offered
from . import clients
from .base import NdesProvider, ResourceInputs

__all__ = ["EndpointInput", "WindowsInputs", "WindowsProvider", "endpoint_of", "host_of", "endpoint_input",
           "owner_mark", "unless_gone",
           "TEMPLATE_WAIT_SECONDS", "not_offered_yet", "while_template_not_offered"]


class EndpointInput(BaseModel):
    """Connection inputs of a Windows host (secret as a whole: it carries the password)."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid", hide_input_in_errors=True)

    host: str
    """The host's FQDN (messages, ids)."""
    url: str
    """https://<host>:5986/wsman"""
    username: str
    password: str = Field(repr=False)
    auth: Literal["ntlm", "kerberos", "credssp"] = "ntlm"
    ca_bundle_pem: str | None = Field(default=None, repr=False)
    """PEM text of the CAs that issued the host's WinRM certificate (content, not a path: refresh and destroy
    run anywhere)."""
    insecure_skip_tls_verify: bool = False
    operation_timeout: int = Field(default=120, ge=5, le=3600)

    @field_validator("url")
    @classmethod
    def _https(cls, v: str) -> str:
        if not v.lower().startswith("https://"):
            raise ValueError("the WinRM URL must be https://<host>:5986/wsman (WinRM over HTTPS only)")
        return v

    @field_validator("host")
    @classmethod
    def _host(cls, v: str) -> str:
        return v.strip().lower().rstrip(".")


class WindowsInputs(ResourceInputs):
    """Base of the inputs of every resource that lives on a Windows host."""

    connection_fields: ClassVar[tuple[str, ...]] = ("endpoint",)
    endpoint: EndpointInput


class WindowsProvider(NdesProvider):
    """Base of the providers of resources on a Windows host: their Inputs extend WindowsInputs (the endpoint,
    a secret: see base.secret_inputs); every hook reaches the host through `host_of(inp)` inside the call."""

    Inputs = WindowsInputs


@contextlib.contextmanager
def unless_gone(*categories: str) -> Iterator[None]:
    """A delete's script call where a failure of these categories (e.g. ObjectNotFound: the site, the group or
    the CA is gone) means there is nothing left to remove; any other failure is raised."""
    try:
        yield
    except ScriptFailed as exc:
        if exc.category not in categories:
            raise


def endpoint_of(inp: WindowsInputs) -> Endpoint:
    return client_endpoint(inp.endpoint)


def client_endpoint(e: EndpointInput) -> Endpoint:
    """The WinRM client's Endpoint of an `endpoint` input."""
    return Endpoint(host=e.host, url=e.url, username=e.username, password=e.password, auth=e.auth,
                    ca_bundle_pem=e.ca_bundle_pem, insecure_skip_tls_verify=e.insecure_skip_tls_verify,
                    operation_timeout=e.operation_timeout)


def host_of(inp: WindowsInputs) -> WindowsHost:
    """The client for the resource's host (its connection is cached per process by the client package), or the
    one a caller substituted (clients.py: ndes verify's run)."""
    made = clients.factory("windows")
    return made(endpoint_of(inp)) if made is not None else WindowsHost(endpoint_of(inp))


def owner_mark(kind: str, key: str) -> str:
    """The name of the owner mark a script keeps under HKLM:\\SOFTWARE\\Pulumi\\NDES\\Owners for one object."""
    return f"{kind}:{key}"


def endpoint_input(host: str, *, url: str | None, username: str, password: Any, auth: str = "ntlm",
                   ca_bundle_pem: str | None = None, insecure_skip_tls_verify: bool = False,
                   operation_timeout: int = 120) -> dict[str, Any]:
    """The `endpoint` input as components build it (password may be a secret Output; pass the whole dict
    through pulumi.Output.secret so the state keeps it encrypted)."""
    return {"host": host, "url": url or winrm_url(host), "username": username, "password": password,
            "auth": auth, "caBundlePem": ca_bundle_pem, "insecureSkipTlsVerify": insecure_skip_tls_verify,
            "operationTimeout": operation_timeout}
