"""The netsh update contract: every value validated before it reaches the host, the ipport IIS registers for a
binding, and what netsh's output means."""
from __future__ import annotations

import pytest
from pydantic import ValidationError

from ndes.windows.contracts import http_ssl_cert_update as H

HASH = "0102030405060708090A0B0C0D0E0F1011121314"


@pytest.mark.parametrize("field,value", [
    ("ipport", "0.0.0.0:443 appid={x}"), ("ipport", "host.example:443"), ("ipport", "0.0.0.0:99999"),
    ("ipport", "0.0.0.0"), ("certhash", HASH.lower()), ("certhash", HASH[:-1]), ("certhash", HASH + " x"),
    ("appid", "4dc3e181-e14b-4a21-b022-59fc669b0914"), ("appid", "{4dc3e181}"), ("appid", "{x} certhash=00"),
])
def test_values_that_could_change_the_command_are_refused(field, value):
    args = {"ipport": "0.0.0.0:443", "certhash": HASH, field: value}
    with pytest.raises(ValidationError):
        H.HttpSslCertUpdateParams(**args)


def test_valid_values_and_the_wire_shape():
    p = H.HttpSslCertUpdateParams(ipport="[::]:443", certhash=HASH)
    assert p.wire() == {"mode": "update", "ipport": "[::]:443", "certhash": HASH, "appid": H.IIS_APP_ID}


@pytest.mark.parametrize("info,ipport", [("*:443:", "0.0.0.0:443"), ("10.0.0.5:8443:", "10.0.0.5:8443"),
                                         ("[::1]:443:", "[::1]:443"), ("*:443:ndes.example", None), ("x", None)])
def test_the_ipport_iis_registers(info, ipport):
    assert H.ipport_of(info) == ipport


def test_outcomes():
    st = H.HttpSslCertUpdateState
    assert H.outcome(st(exit_code=0, output=["", "SSL Certificate successfully updated", ""])) == "updated"
    assert H.outcome(st(exit_code=1, output=["The following command was not found: http update sslcert "
                                             "ipport=0.0.0.0:443."])) == "unsupported"
    assert H.outcome(st(exit_code=1, output=["SSL Certificate update failed, Error: 2"])) == "failed"
