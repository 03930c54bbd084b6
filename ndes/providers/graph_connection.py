"""The Graph connection inputs every Graph resource carries (plain data in state; secrets are Pulumi secrets).

Components fill these from `ndes:graph` (the CA bundle's CONTENT, not its path, so refresh and destroy work
from another machine); providers turn them into a GraphSettings and a client inside each call.
"""
from __future__ import annotations

from typing import Any, ClassVar, Literal

from .results import CreateResult, DiffResult, ReadResult, UpdateResult
from pydantic import Field, field_validator, model_validator

from ..graph import (AccessDenied, AuthenticationFailed, GraphClient, GraphError, GraphSettings, RetryPolicy,
                     client_for)
from ..graph import BadRequest, intune
from ..graph.settings import DELEGATED
from ..model.graph_enums import PLATFORMS
from . import clients
from .base import Existing, NdesProvider, ResourceInputs

SECRET_INPUTS = ("clientSecret", "certificatePem")


class GraphInputs(ResourceInputs):
    connection_fields: ClassVar[tuple[str, ...]] = (
        "tenantId", "clientId", "credential", "clientSecret", "certificatePem", "cloud", "graphEndpoint", "authority",
        "caBundle", "insecureSkipTlsVerify", "retryBudgetSeconds", "retryAttempts")
    tenant_id: str
    client_id: str | None = None
    credential: Literal["clientSecret", "certificate", "workloadIdentity", "azureCli", "deviceCode"] = "clientSecret"
    client_secret: str | None = Field(default=None, repr=False)
    certificate_pem: str | None = Field(default=None, repr=False)
    cloud: Literal["global", "usGov", "usGovDoD", "china", "custom"] = "global"
    graph_endpoint: str | None = None
    authority: str | None = None
    ca_bundle: str | None = None
    """PEM content of the CAs to trust."""
    insecure_skip_tls_verify: bool = False
    retry_budget_seconds: float = Field(default=120.0, gt=0, le=3600)
    retry_attempts: int = Field(default=8, ge=1, le=50)

    def settings(self) -> GraphSettings:
        return GraphSettings(
            tenant_id=self.tenant_id, client_id=self.client_id, credential=self.credential,
            client_secret=self.client_secret, certificate_pem=self.certificate_pem, cloud=self.cloud,
            graph_endpoint=self.graph_endpoint, authority=self.authority, ca_bundle_pem=self.ca_bundle,
            insecure_skip_tls_verify=self.insecure_skip_tls_verify,
            retry=RetryPolicy(throttle_attempts=self.retry_attempts, throttle_seconds=self.retry_budget_seconds))

    def client(self) -> GraphClient:
        made = clients.factory("graph")  # ndes verify's run keeps one client per identity (clients.py)
        return made(self.settings()) if made is not None else client_for(self.settings())


CONNECTION_FIELDS = GraphInputs.connection_fields
OWNER_MARK = "[managed by Pulumi: {owner}]"


def with_mark(text: str, owner: str) -> str:
    """A description carrying this resource's owner mark (crash recovery: a create the engine never recorded)."""
    mark = OWNER_MARK.format(owner=owner) if owner else ""
    return f"{text}\n\n{mark}".strip() if mark else text


def split_mark(text: str | None) -> tuple[str, str | None]:
    """(description without the mark, the owner named by the mark or None)."""
    text = text or ""
    head, sep, tail = text.rpartition("[managed by Pulumi: ")
    if sep and tail.endswith("]"):
        return head.rstrip(), tail[:-1]
    return text, None


class GraphProvider(NdesProvider):
    """NdesProvider for Graph resources: a GraphError leaving any verb names the config key the resource comes
    from and, for a permission refusal, the Graph permission the app registration needs."""

    permission: ClassVar[str] = ""

    def access_hint(self, props: dict[str, Any]) -> str:
        """What identity a refused call needs (docs/identities.md); '' when nothing useful can be said."""
        if not self.permission:
            return ""
        if props.get("credential") in DELEGATED:
            return (f"Graph refused the signed-in user's token: this resource needs {self.permission}, which "
                    "ndes:graph must give as the app's own identity (clientSecret, certificate or workloadIdentity)")
        return f"the app registration needs {self.permission} (application permission, admin consent)"

    def _annotated(self, exc: GraphError, props: dict[str, Any]) -> GraphError:
        props = self.filled(props)
        key = props.get("configKey") or ""
        extra = []
        hint = self.access_hint(props) if isinstance(exc, AccessDenied) and \
            not isinstance(exc, AuthenticationFailed) else ""
        if hint:
            extra.append(hint)
        if key:
            extra.append(f"config: {key}")
        if not extra:
            return exc
        new = type(exc)(f"{exc} [{'; '.join(extra)}]", status=exc.status, code=exc.code,
                        graph_message=exc.graph_message, request_id=exc.request_id)
        return new

    def create(self, props: dict[str, Any]) -> CreateResult:
        try:
            return super().create(props)
        except GraphError as exc:
            raise self._annotated(exc, props) from exc

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        try:
            return super().update(id_, olds, news)
        except GraphError as exc:
            raise self._annotated(exc, news) from exc

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        try:
            return super().read(id_, props)
        except GraphError as exc:
            raise self._annotated(exc, props) from exc

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        try:
            super().delete(id_, props)
        except GraphError as exc:
            raise self._annotated(exc, props) from exc


def normalize_groups(v: list[str]) -> list[str]:
    """Assignment targets in ndes.graph.intune.target_word's words: group ids (and filter ids) lower case, a
    filter given by name as written."""
    def one(w: str) -> str:
        base, sep, filt = w.strip().partition(" filter:")
        mode, _, ref = filt.partition(":")
        ref = ref.lower() if intune.GUID.fullmatch(ref) else ref
        word = base.lower() if base.lower() not in ("alllicensedusers", "alldevices") else \
            {"alllicensedusers": "allLicensedUsers", "alldevices": "allDevices"}[base.lower()]
        return word + (f"{sep}{mode.lower()}:{ref}" if sep else "")
    return sorted({one(g) for g in v})


class IntuneProfileInputs(GraphInputs):
    """What both kinds of Intune profile take: the platform, the assignment targets, and the macOS keychain."""

    platform: str
    groups: list[str] = []
    """Assignment targets in ndes.graph.intune.target_word's words: '<group id>', 'exclude:<group id>',
    'allLicensedUsers', 'allDevices', each include target optionally followed by ' filter:<include|exclude>:<filter
    id or name>'."""
    keep_unmanaged: bool = True
    """Keep live targets neither the config nor this stack set (an admin's, made in the portal)."""
    deployment_channel: Literal["deviceChannel", "userChannel"] | None = None
    """macOS only: the keychain (login: userChannel, System: deviceChannel), `default_channel()` when unset.
    Fixed at creation (a change replaces the profile)."""

    def default_channel(self) -> str:
        return "deviceChannel"

    @field_validator("platform")
    @classmethod
    def _platform(cls, v: str) -> str:
        if v not in PLATFORMS:
            raise ValueError(f"unknown platform {v}; use {', '.join(PLATFORMS)}")
        return v

    @field_validator("groups")
    @classmethod
    def _groups(cls, v: list[str]) -> list[str]:
        return normalize_groups(v)

    @model_validator(mode="after")
    def _channel(self) -> "IntuneProfileInputs":
        p = PLATFORMS[self.platform]
        if p.has_deployment_channel:
            if self.deployment_channel is None:
                self.deployment_channel = self.default_channel()
        elif self.deployment_channel is not None:
            raise ValueError(f"deploymentChannel exists on macOS profiles only, not on {p.title}; remove it")
        return self


class IntuneProfileProvider(GraphProvider):
    """What the trusted-certificate and SCEP profile providers share: they are found by display name and
    @odata.type (Intune has no unique names: two profiles with one name are refused, not guessed between) and
    carry the owner mark in their description. Subclasses set `label` and an Inputs with display_name,
    odata_type and config_key."""

    permission: ClassVar[str] = "DeviceManagementConfiguration.ReadWrite.All"
    replace_on: ClassVar[frozenset[str]] = frozenset({"platform"})
    label: ClassVar[str] = "profile"

    added_inputs: ClassVar[tuple[str, ...]] = ("deploymentChannel",)
    """Inputs newer than some stacks' state: absent from an old state, they are not a change (the live value
    comes back with the next refresh), so an upgrade never replaces a profile by itself."""

    def what(self, inp: Any) -> str:
        return f"{self.label} '{inp.display_name}'" + (f" ({inp.config_key})" if inp.config_key else "")

    def assign(self, c: Any, pid: str, inp: Any, kind: str) -> list[str]:
        """Converge the profile's assignments to inp.groups, keeping an admin's targets (keepUnmanaged); the
        targets this stack now manages (the managedGroups output)."""
        from ..graph import intune
        # the targets this stack set on its last run (state output managedGroups); a state written before
        # managedGroups existed recorded what this stack set (or last read) in groups
        prev = self.previous.get("managedGroups", self.previous.get("groups"))
        previous = list(prev) if isinstance(prev, list) else None
        return intune.converge_assignments(c, pid, inp.groups, previous, inp.keep_unmanaged, kind,
                                           inp.config_key or "ndes:intune")

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        olds = dict(olds)
        for name in self.added_inputs:
            if name not in olds and name in news:
                olds[name] = news[name]
        return super().diff(id_, olds, news)

    @staticmethod
    def mine(inp: Any):
        """Whether a live profile carries this resource's owner mark (None: no owner, no mark to look for)."""
        if not inp.owner:
            return None
        return lambda p: split_mark(p.get("description"))[1] == inp.owner

    def find(self, inp: Any) -> Existing | None:
        found = intune.find_profiles(inp.client(), inp.display_name, inp.odata_type, self.label)
        if len(found) > 1:
            raise BadRequest(f"failed to look up {self.label} '{inp.display_name}': {len(found)} profiles of type "
                             f"{inp.odata_type} carry this name ({', '.join(p['id'] for p in found)}); delete the "
                             "extra ones")
        return Existing(found[0]["id"], split_mark(found[0].get("description"))[1]) if found else None
