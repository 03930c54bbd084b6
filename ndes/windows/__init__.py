"""WinRM client for the project's PowerShell scripts (pywinrm over HTTPS; no Pulumi here).

    host = WindowsHost(Endpoint(host="ndes1.contoso.com", url="https://ndes1.contoso.com:5986/wsman",
                                username="CONTOSO\\\\pulumi", password=..., ca_bundle_pem=pem))
    result = host.run_script("WindowsFeatures", {"mode": "get", "features": ["Web-Server"]})

Every script returns {"changed", "state", "rebootRequired", "warnings"}; failures raise the exceptions below.
"""
from __future__ import annotations

from ._endpoint import Endpoint
from ._exceptions import (AuthenticationFailed, OperationTimeout, ScriptFailed, StillRunning, TlsFailure,
                          Unreachable, WindowsHostError)
from ._host import WindowsHost

__all__ = ["AuthenticationFailed", "Endpoint", "OperationTimeout", "ScriptFailed", "StillRunning", "TlsFailure",
           "Unreachable", "WindowsHost", "WindowsHostError"]
