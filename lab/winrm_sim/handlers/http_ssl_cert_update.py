"""HttpSslCertUpdate on a simulated NDES host: `netsh http show sslcert ipport=..` (mode read) and `netsh http
update sslcert ipport=.. certhash=.. appid=.. certstorename=MY [name=value ...]` (mode update) as netsh plays them
(contract: ndes/windows/contracts/http_ssl_cert_update.py).

- read: the record as `show sslcert` prints it (`http_sys.show_lines`, the settings `state["httpSys"]["settings"]`
  holds); no record: exit code 1, "The system cannot find the file specified." (a **guess**);
- update REPLACES the record's settings with the ones given: every setting not passed is back at netsh's default.
  HttpUpdateServiceConfiguration takes a whole HTTP_SERVICE_CONFIG_SSL_SET, and tools calling it with only a new
  certificate lost DS mapper / client certificate negotiation (win-acme/win-acme#2831) and Disable Legacy TLS /
  QUIC / HTTP2 (webprofusion/certify#588); that netsh itself does the same is a **guess** (undocumented:
  MicrosoftDocs/windowsserverdocs#4791), the stricter of the two possibilities;

- the ipport's existing SSL record gets the new certificate IN PLACE (HttpUpdateServiceConfiguration "updates
  atomically", learn.microsoft.com/windows/win32/api/http/nf-http-httpupdateserviceconfiguration): no absence is
  recorded (lab/winrm_sim/http_sys.py), and the SCEP endpoint serves the new certificate from the next handshake;
- no record on that ipport: netsh fails, exit code 1, "SSL Certificate update failed, Error: 2" / "The system
  cannot find the file specified." (ERROR_FILE_NOT_FOUND; the wording is a guess modelled on netsh's documented
  add/delete failures, see docs/lab-fidelity.md);
- Windows Server 2012 R2 (os.version 6.3.*): its netsh has no `http update` (MilestoneSystemsInc/
  PowerShellSamples#9): "The following command was not found: http update sslcert ...", exit code 1;
- the certificate not in LocalMachine\\My: the script's own check throws before netsh runs.
"""
from __future__ import annotations

from typing import Any

from ndes.windows.contracts.http_ssl_cert_update import HttpSslCertUpdateParams

from .. import certstore, http_sys
from . import ScriptError, handler, result, validated


@handler("HttpSslCertUpdate")
def http_ssl_cert_update(ctx: Any, raw: dict[str, Any]) -> dict[str, Any]:
    p = validated(HttpSslCertUpdateParams, raw)
    state = ctx.state
    if p.mode == "read":
        found = http_sys.records(state, p.ipport)
        if not found:
            return result({"exitCode": 1, "output": ["", "The system cannot find the file specified.", ""]})
        return result({"exitCode": 0, "output": http_sys.show_lines(state, p.ipport, found[0])})
    if p.certhash not in certstore.store(state):
        raise ScriptError(f"the certificate {p.certhash} is not in LocalMachine\\My", "NotSpecified")
    if str((state.get("os") or {}).get("version", "10.0")).startswith("6.3"):
        line = (f"The following command was not found: http update sslcert ipport={p.ipport} "
                f"certhash={p.certhash} appid={p.appid} certstorename=MY{''.join(' ' + s for s in p.settings)}.")
        return result({"exitCode": 1, "output": [line]})
    found = http_sys.records(state, p.ipport)
    if not found:
        return result({"exitCode": 1, "output": ["", "SSL Certificate update failed, Error: 2",
                                                 "The system cannot find the file specified.", ""]})
    for b in found:  # one HTTP.sys record: every IIS binding on that ipport reads it back
        b["certificateHash"], b["certificateStoreName"], b["appId"] = p.certhash, "My", p.appid
    # the whole record is replaced: what was not passed again is back at netsh's default
    http_sys.set_settings(state, p.ipport, dict(s.split("=", 1) for s in p.settings))
    return result({"exitCode": 0, "output": ["", "SSL Certificate successfully updated", ""]}, changed=True)
