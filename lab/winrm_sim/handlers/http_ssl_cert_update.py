"""HttpSslCertUpdate on a simulated NDES host: `netsh http update sslcert ipport=.. certhash=.. appid=..
certstorename=MY` as netsh plays it
(contract: ndes/windows/contracts/http_ssl_cert_update.py).

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
    if p.certhash not in certstore.store(state):
        raise ScriptError(f"the certificate {p.certhash} is not in LocalMachine\\My", "NotSpecified")
    if str((state.get("os") or {}).get("version", "10.0")).startswith("6.3"):
        line = (f"The following command was not found: http update sslcert ipport={p.ipport} "
                f"certhash={p.certhash} appid={p.appid} certstorename=MY.")
        return result({"exitCode": 1, "output": [line]})
    found = http_sys.records(state, p.ipport)
    if not found:
        return result({"exitCode": 1, "output": ["", "SSL Certificate update failed, Error: 2",
                                                 "The system cannot find the file specified.", ""]})
    for b in found:  # one HTTP.sys record: every IIS binding on that ipport reads it back
        b["certificateHash"], b["certificateStoreName"], b["appId"] = p.certhash, "My", p.appid
    return result({"exitCode": 0, "output": ["", "SSL Certificate successfully updated", ""]}, changed=True)
