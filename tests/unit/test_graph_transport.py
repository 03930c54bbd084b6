"""The Graph client's transport rules (issue 15 item 6): idempotent requests retried on 500/502 with backoff,
certificate errors final with a TLS message, @odata.nextLink followed only on the Graph endpoint's own origin,
https required for graphEndpoint and authority."""
from __future__ import annotations

import ssl

import httpx
import pytest

from ndes.graph import GraphError, Unavailable, endpoints
from ndes.graph.errors import TlsFailure
from ndes.model.config import GraphConfig

from .test_graph_client import OP, client, err


@pytest.mark.parametrize("status", [500, 502])
def test_idempotent_request_retried_on_500_and_502_with_backoff(status):
    c, clock, seen = client(lambda r, n: err(status, "InternalServerError") if n < 3
                            else httpx.Response(200, json={"ok": 1}), backoff_seconds=1.0)
    assert c.get("/beta/x", OP) == {"ok": 1}
    assert len(seen) == 3 and clock.sleeps == [1.0, 2.0]


def test_500_retry_is_bounded_and_a_post_is_never_retried():
    c, _, seen = client(lambda r, n: err(500, "InternalServerError"), throttle_attempts=3)
    with pytest.raises(Unavailable, match="500"):
        c.patch("/beta/x", OP, {"a": 1})
    assert len(seen) == 3
    c, _, seen = client(lambda r, n: err(502, "BadGateway"))
    with pytest.raises(Unavailable):
        c.post("/beta/deviceManagement/deviceConfigurations", OP, {})
    assert len(seen) == 1


def test_certificate_error_is_final_and_says_tls():
    def handler(r, n):
        cause = ssl.SSLCertVerificationError(1, "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: "
                                                "unable to get local issuer certificate")
        raise httpx.ConnectError("certificate verify failed") from cause
    c, clock, seen = client(handler)
    with pytest.raises(TlsFailure) as exc:
        c.get("/beta/x", OP)
    msg = str(exc.value)
    assert len(seen) == 1 and clock.sleeps == []
    assert "TLS" in msg and "certificate" in msg and "ndes:graph.caBundle" in msg
    assert "no answer" not in msg


def test_next_link_to_another_origin_is_refused_and_the_token_stays_home():
    def handler(r: httpx.Request, n: int) -> httpx.Response:
        if r.url.host == "graph.microsoft.com":
            return httpx.Response(200, json={"value": [{"id": 1}],
                                             "@odata.nextLink": "https://evil.example/beta/x?skip=1"})
        return httpx.Response(200, json={"value": [{"id": 2}]})
    c, _, seen = client(handler)
    with pytest.raises(GraphError, match="nextLink"):
        c.list("/beta/x", OP)
    assert [r.url.host for r in seen] == ["graph.microsoft.com"]


def test_next_link_with_another_scheme_or_port_is_refused():
    for link in ("http://graph.microsoft.com/beta/x?skip=1", "https://graph.microsoft.com:8443/beta/x?skip=1"):
        c, _, seen = client(lambda r, n, link=link: httpx.Response(200, json={"value": [], "@odata.nextLink": link}))
        with pytest.raises(GraphError, match="nextLink"):
            c.list("/beta/x", OP)
        assert len(seen) == 1


@pytest.mark.parametrize("field", ["graphEndpoint", "authority"])
def test_https_required_for_graph_endpoint_and_authority(field):
    base = {"tenantId": "t", "clientId": "c", "credential": "azureCli", "cloud": "custom",
            "graphEndpoint": "https://graph.lab/", "authority": "https://login.lab/"}
    with pytest.raises(ValueError, match="https"):
        GraphConfig.model_validate({**base, field: base[field].replace("https://", "http://")})
    with pytest.raises(ValueError, match="https"):
        endpoints("custom", **{"graph_endpoint": "https://graph.lab", "authority": "https://login.lab",
                               {"graphEndpoint": "graph_endpoint", "authority": "authority"}[field]:
                               "http://x.lab"})
