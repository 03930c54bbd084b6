"""The WinRM client's requests leave the process environment alone (issue 18: a recovery refresh failed with
KeyError: 'no_proxy' through requests' resolve_proxies).

The engine runs several provider operations at once in one process; pywinrm's "no proxy" made requests set and
delete os.environ["no_proxy"] around every request (psf/requests#4997), so a thread reading the environment while
another deleted the variable failed. These tests send through the client's real pywinrm/requests session (its
transport answered in-process) with os.environ replaced by a mapping that records every write."""
from __future__ import annotations

import os
from collections.abc import Iterator, MutableMapping
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from requests.adapters import BaseAdapter

import ndes.windows as win
from ndes.windows import _session


class RecordingEnviron(MutableMapping[str, str]):
    """os.environ's interface over a copy of it, recording each write (set or delete) but pytest's own."""

    def __init__(self, data: dict[str, str]) -> None:
        self.data = dict(data)
        self.writes: list[tuple[str, str]] = []

    def __getitem__(self, key: str) -> str:
        return self.data[key]

    def __setitem__(self, key: str, value: str) -> None:
        if key != "PYTEST_CURRENT_TEST":
            self.writes.append(("set", key))
        self.data[key] = value

    def __delitem__(self, key: str) -> None:
        if key != "PYTEST_CURRENT_TEST":
            self.writes.append(("delete", key))
        del self.data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(list(self.data))

    def __len__(self) -> int:
        return len(self.data)

    def copy(self) -> dict[str, str]:
        return dict(self.data)


class Answer(BaseAdapter):
    """The host, answered in-process: records the proxies requests hands the transport for each request."""

    def __init__(self) -> None:
        super().__init__()
        self.proxies: list[dict | None] = []

    def send(self, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):
        self.proxies.append(dict(proxies) if proxies is not None else None)
        response = requests.Response()
        response.status_code = 200
        response._content = b"<s:Envelope/>"
        response.url = request.url
        response.request = request
        return response

    def close(self) -> None:
        pass


def _client(host: str) -> tuple[_session._Session, Answer]:
    ep = win.Endpoint(host=host, url=f"https://{host}:5986/wsman", username="CONTOSO\\pulumi", password="pw")
    sess = _session._Session(ep)
    answer = Answer()
    sess.protocol.transport.build_session().mount("https://", answer)
    return sess, answer


@pytest.fixture
def environ(monkeypatch) -> RecordingEnviron:
    env = RecordingEnviron({k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")})
    env.data.update({"HTTPS_PROXY": "http://proxy.contoso.com:3128", "HTTP_PROXY": "http://proxy.contoso.com:3128"})
    monkeypatch.setattr(os, "environ", env)  # requests and urllib read os.environ at each call
    return env


def test_a_winrm_request_writes_nothing_to_the_process_environment(environ):
    sess, answer = _client("ca1.contoso.com")
    assert sess.protocol.transport.send_message("<s:Envelope/>") == b"<s:Envelope/>"
    assert environ.writes == [], "a WinRM request wrote to os.environ (another thread's read of it can then fail)"
    # still no proxy for WinRM (what pywinrm's proxy=None meant), even with the environment naming one
    assert answer.proxies and all(not (p or {}).get("https") for p in answer.proxies), answer.proxies


def test_concurrent_requests_to_two_hosts_leave_the_environment_as_it_was(environ):
    """As in a refresh: the CA host and the NDES host read at once, from the engine's concurrent operations."""
    before = dict(environ.data)
    clients = [_client("ca1.contoso.com"), _client("ndes1.contoso.com")]
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(lambda i: clients[i % 2][0].protocol.transport.send_message("<s:Envelope/>"), range(200)))
    assert environ.writes == [] and environ.data == before
    assert sum(len(a.proxies) for _, a in clients) == 200
