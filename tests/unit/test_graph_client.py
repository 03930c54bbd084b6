"""The Graph client with a test transport (httpx.MockTransport) and a fake credential: retries and their
budget, Retry-After, errors with code/message/request-id, paging, replication waits, quoting, clouds."""
from __future__ import annotations

import json
from types import SimpleNamespace

import httpx
import pytest

from ndes.graph import (AccessDenied, BadRequest, GraphClient, GraphSettings, NotFound, Op, RetryPolicy, Throttled,
                        Unavailable, endpoints, odata_literal, quote_id)
from ndes.graph.credentials import TokenSource
from ndes.graph.errors import AuthenticationFailed

OP = Op("create", "SCEP profile", "NDES SCEP - iOS")


class FakeCredential:
    def __init__(self):
        self.calls = 0

    def get_token(self, *scopes, **kw):
        self.calls += 1
        return SimpleNamespace(token=f"tok{self.calls}", expires_on=9_999_999_999)


class Clock:
    def __init__(self):
        self.now = 0.0
        self.sleeps: list[float] = []

    def sleep(self, s: float) -> None:
        self.sleeps.append(s)
        self.now += s

    def __call__(self) -> float:
        return self.now


def client(handler, **retry) -> tuple[GraphClient, Clock, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def record(req: httpx.Request) -> httpx.Response:
        seen.append(req)
        return handler(req, len(seen))

    clock = Clock()
    s = GraphSettings(tenant_id="t", client_id="c", client_secret="s3cret", retry=RetryPolicy(**retry))
    c = GraphClient(s, transport=httpx.MockTransport(record), credential=FakeCredential(), sleep=clock.sleep,
                    clock=clock)
    return c, clock, seen


def err(status: int, code: str = "X", msg: str = "m", rid: str = "rid-1", headers=None) -> httpx.Response:
    return httpx.Response(status, json={"error": {"code": code, "message": msg, "innerError": {"request-id": rid}}},
                          headers=headers or {})


def test_429_honours_retry_after_then_succeeds():
    c, clock, seen = client(lambda r, n: err(429, headers={"Retry-After": "7"}) if n < 3
                            else httpx.Response(201, json={"id": "p1"}))
    assert c.post("/beta/x", OP, {"a": 1}) == {"id": "p1"}
    assert clock.sleeps == [7.0, 7.0] and len(seen) == 3
    assert seen[0].headers["Authorization"] == "Bearer tok1"


def test_throttle_budget_exhausted_names_what_was_throttled():
    c, clock, seen = client(lambda r, n: err(429, "TooManyRequests", "slow down", headers={"Retry-After": "30"}),
                            throttle_seconds=100, throttle_attempts=10)
    with pytest.raises(Throttled) as exc:
        c.post("/beta/deviceManagement/deviceConfigurations", OP, {})
    msg = str(exc.value)
    assert msg.startswith("failed to create SCEP profile 'NDES SCEP - iOS' on Graph (graph.microsoft.com): throttled")
    assert "POST /beta/deviceManagement/deviceConfigurations" in msg and "TooManyRequests" in msg
    assert "request-id rid-1" in msg
    assert sum(clock.sleeps) <= 100 and len(seen) == 4


def test_throttle_attempts_bound():
    c, clock, seen = client(lambda r, n: err(503, headers={"Retry-After": "0"}), throttle_attempts=3)
    with pytest.raises(Throttled):
        c.get("/beta/x", OP)
    assert len(seen) == 3


def test_503_to_a_post_is_not_retried():
    c, _, seen = client(lambda r, n: err(503, "ServiceUnavailable"))
    with pytest.raises(Unavailable):
        c.post("/v1.0/applicationTemplates/x/instantiate", OP, {})
    assert len(seen) == 1


def test_error_carries_code_message_request_id():
    c, _, _ = client(lambda r, n: err(400, "ModelValidationFailure", "Property 'x' does not exist", "abc-123"))
    with pytest.raises(BadRequest) as exc:
        c.patch("/beta/deviceManagement/deviceConfigurations/1", OP, {"x": 1})
    e = exc.value
    assert (e.status, e.code, e.request_id) == (400, "ModelValidationFailure", "abc-123")
    assert "400 ModelValidationFailure: Property 'x' does not exist (request-id abc-123)" in str(e)


def test_403_is_access_denied_and_404_not_found():
    c, _, _ = client(lambda r, n: err(403, "Forbidden"))
    with pytest.raises(AccessDenied, match="permission"):
        c.get("/beta/x", OP)
    c, _, _ = client(lambda r, n: err(404, "ResourceNotFound"))
    with pytest.raises(NotFound):
        c.get("/beta/x", OP)


def test_401_refreshes_the_token_once():
    c, _, seen = client(lambda r, n: err(401, "InvalidAuthenticationToken") if n == 1
                        else httpx.Response(200, json={"ok": True}))
    assert c.get("/beta/x", OP) == {"ok": True}
    assert [r.headers["Authorization"] for r in seen] == ["Bearer tok1", "Bearer tok2"]


def test_404_on_new_id_is_retried_within_bounds():
    c, clock, seen = client(lambda r, n: err(404) if n < 4 else httpx.Response(200, json={"id": "x"}))
    assert c.get("/beta/x", OP, wait_for=True) == {"id": "x"}
    assert len(seen) == 4
    c, clock, seen = client(lambda r, n: err(404), not_found_attempts=5, not_found_seconds=100)
    with pytest.raises(NotFound):
        c.get("/beta/x", OP, wait_for=True)
    assert len(seen) == 5


def test_paging_follows_next_link():
    def handler(r: httpx.Request, n: int) -> httpx.Response:
        if "skip" not in str(r.url):
            return httpx.Response(200, json={"value": [{"id": 1}], "@odata.nextLink":
                                             "https://graph.microsoft.com/beta/x?skip=1"})
        return httpx.Response(200, json={"value": [{"id": 2}]})
    c, _, seen = client(handler)
    assert c.list("/beta/x", OP) == [{"id": 1}, {"id": 2}] and len(seen) == 2


def test_transport_error_on_get_is_retried_then_unavailable():
    def handler(r, n):
        raise httpx.ConnectError("connection refused")
    c, _, seen = client(handler, throttle_attempts=3)
    with pytest.raises(Unavailable, match="no answer to GET /beta/x"):
        c.get("/beta/x", OP)
    assert len(seen) == 3


def test_quoting_and_odata_literals():
    assert quote_id("a/b c'd") == "a%2Fb%20c%27d"
    assert odata_literal("O'Brien's NDES") == "'O''Brien''s NDES'"
    c, _, seen = client(lambda r, n: httpx.Response(200, json={"value": []}))
    c.list("/v1.0/applications", OP, params={"$filter": f"displayName eq {odata_literal('a&b=c')}"})
    assert seen[0].url.params["$filter"] == "displayName eq 'a&b=c'"


def test_clouds():
    assert endpoints("global").graph == "https://graph.microsoft.com"
    assert endpoints("usGov").authority == "https://login.microsoftonline.us"
    assert endpoints("usGovDoD").graph == "https://dod-graph.microsoft.us"
    assert endpoints("china").scope == "https://microsoftgraph.chinacloudapi.cn/.default"
    ep = endpoints("custom", "https://127.0.0.20/", "https://127.0.0.20/")
    assert ep.custom and ep.graph == "https://127.0.0.20"
    with pytest.raises(ValueError):
        endpoints("custom")


def test_settings_refuse_missing_credentials():
    with pytest.raises(ValueError, match="client secret"):
        GraphSettings(tenant_id="t", client_id="c")
    assert "s3cret" not in repr(GraphSettings(tenant_id="t", client_id="c", client_secret="s3cret"))


def test_authentication_failure_message_has_no_secret():
    from azure.core.exceptions import ClientAuthenticationError

    class Refusing:
        def get_token(self, *a, **k):
            raise ClientAuthenticationError(message="Authentication failed: AADSTS7000215: Invalid client secret "
                                                    "provided. secret was s3cret-value\r\nTrace ID: x")
    s = GraphSettings(tenant_id="t", client_id="c", client_secret="s3cret-value")
    ts = TokenSource(s, endpoints("global"), Refusing())
    with pytest.raises(AuthenticationFailed) as exc:
        ts.token()
    msg = str(exc.value)
    assert "the tenant refused the client credentials for client c (AADSTS7000215" in msg
    assert "s3cret-value" not in msg


def test_json_body_sent():
    c, _, seen = client(lambda r, n: httpx.Response(204))
    c.patch("/beta/applications/1", OP, {"onPremisesPublishing": {"externalUrl": "https://x.msappproxy.net/"}})
    assert json.loads(seen[0].content) == {"onPremisesPublishing": {"externalUrl": "https://x.msappproxy.net/"}}


def test_credential_kinds_and_authorities(monkeypatch, tmp_path):
    from azure.identity import AzureCliCredential, ClientSecretCredential, WorkloadIdentityCredential

    from ndes.graph.credentials import build_credential
    s = GraphSettings(tenant_id="t", client_id="c", client_secret="x", cloud="usGov")
    cred = build_credential(s, endpoints("usGov"))
    assert isinstance(cred, ClientSecretCredential)
    assert cred._authority == "https://login.microsoftonline.us"  # the national cloud login endpoint
    token_file = tmp_path / "federated-token"
    token_file.write_text("header.payload.signature")
    monkeypatch.setenv("AZURE_FEDERATED_TOKEN_FILE", str(token_file))
    wi = build_credential(GraphSettings(tenant_id="t", client_id="c", credential="workloadIdentity"),
                          endpoints("global"))
    assert isinstance(wi, WorkloadIdentityCredential)
    cli = build_credential(GraphSettings(tenant_id="t", credential="azureCli"), endpoints("global"))
    assert isinstance(cli, AzureCliCredential)


class CachingCredential:
    """Like azure-identity: hands back its cached token until it is built again."""
    built = 0

    def __init__(self):
        CachingCredential.built += 1
        self.token = f"tok-of-credential-{CachingCredential.built}"

    def get_token(self, *scopes, **kw):
        return SimpleNamespace(token=self.token, expires_on=9_999_999_999)


def test_a_refused_token_is_fetched_anew_not_served_from_the_credentials_cache(monkeypatch):
    import ndes.graph.credentials as creds
    monkeypatch.setattr(creds, "build_credential", lambda s, ep: CachingCredential())
    CachingCredential.built = 0
    seen: list[str] = []

    def handler(req: httpx.Request) -> httpx.Response:
        seen.append(req.headers["Authorization"])
        if req.headers["Authorization"].endswith("credential-1"):  # e.g. the tenant rolled its signing key
            return err(401, "InvalidAuthenticationToken", "Access token is empty or invalid.")
        return httpx.Response(200, json={"value": []})

    s = GraphSettings(tenant_id="t", client_id="c", client_secret="s3cret")
    c = GraphClient(s, transport=httpx.MockTransport(handler))
    assert c.request("GET", "/beta/deviceManagement/deviceConfigurations", OP) == {"value": []}
    assert seen == ["Bearer tok-of-credential-1", "Bearer tok-of-credential-2"]
