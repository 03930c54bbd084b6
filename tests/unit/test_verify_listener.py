"""`ndes verify` first asks whether each host's WinRM HTTPS listener answers; a host without one is named with
the host-prep command and its other checks are not attempted."""
from __future__ import annotations

import socket

from ndes.verify.listener import CHECK, not_checked, skipped_key, winrm_listener


def test_a_listening_port_passes():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        cache: dict = {}
        [r] = winrm_listener("ndes1.contoso.com", "ndes1.contoso.com", f"https://127.0.0.1:{port}/wsman", cache)
    assert r.status == "pass" and r.check == CHECK and not cache


def test_a_closed_port_names_the_host_and_host_prep():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # bound, never listening: the connection is refused
        cache: dict = {}
        [r] = winrm_listener("ndes1.contoso.com", "ndes1.contoso.com", f"https://127.0.0.1:{port}/wsman", cache)
    assert r.status == "fail" and "connection refused" in r.detail and "ndes1.contoso.com" in r.detail
    assert "ndes host-prep --host ndes1.contoso.com" in r.fix
    assert cache[skipped_key("ndes1.contoso.com")] == "ndes1.contoso.com"
    skipped = not_checked("ndes1.contoso.com", "IIS_IUSRS", "ndes1.contoso.com")
    assert skipped.status == "fail" and "not checked" in skipped.detail and "host-prep" in skipped.fix


def test_a_name_that_does_not_resolve_says_dns():
    [r] = winrm_listener("h", "nohost.invalid", "https://nohost.invalid:5986/wsman", {})
    assert r.status == "fail" and "does not resolve" in r.detail
