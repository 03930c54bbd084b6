"""IIS absent from a Windows host, as the IIS resources' scripts report it (the one place that decides it).

IisRequestLimits.ps1, IisHttpsBinding.ps1 and ScepPoolIdentity.ps1 begin with `Import-Module -Name
'WebAdministration'`, MscepTemplateMapping.ps1 imports it to recycle the SCEP pool. On a host without IIS (never
installed, or removed by hand: the module ships with IIS's management scripts, Web-Scripting-Tools) Windows
PowerShell's Import-Module writes the error ModuleNotFound: a FileNotFoundException whose message is the
Modules.resx string "The specified module '{0}' was not loaded because no valid module file was found in any
module directory.", error id Modules_ModuleNotFound, category ResourceUnavailable (PowerShell/PowerShell
src/System.Management.Automation/engine/Modules/ImportModuleCommand.cs and resources/Modules.resx; Windows
PowerShell 5.1 prints the same CategoryInfo/FullyQualifiedErrorId, e.g. microsoft/Intune-Resource-Access#23).
The scripts run under $ErrorActionPreference = 'Stop', so the error ends the script, and the bootstrap's catch
forwards `$_.Exception.Message` and `$_.CategoryInfo.Category` (the original record, not the Stop wrapper:
PowerShell/PowerShell#6200): ScriptFailed.message and .category. The error id and the exception type do not
travel, so `iis_absent` matches the category and the exact message for WebAdministration, nothing looser.

What the providers decide from it: with no IIS there is no site, binding or pool, so `find` and `get` report
the object gone (refresh shows it deleted, adoption finds nothing) and `remove` has nothing to remove; `apply`
stops with what to install. Every other failure is raised as before.
"""
from __future__ import annotations

import functools
from typing import Any, Callable, TypeVar

from ..windows import ScriptFailed

__all__ = ["MODULE", "MODULE_NOT_FOUND", "iis_absent", "none_without_iis", "needs_iis"]

MODULE = "WebAdministration"
MODULE_NOT_FOUND = ("The specified module '{0}' was not loaded because no valid module file was found in any "
                    "module directory.")
"""Modules.resx ModuleNotFound (en-US; a host whose PowerShell answers in another language does not match, and
its error is raised as any other)."""
CATEGORY = "ResourceUnavailable"
INSTALL = ("IIS is not installed on {host}: install the Windows features Web-Server and Web-Scripting-Tools (IIS "
           "Management Scripts and Tools, which carries this module). This host's WindowsFeatures resource "
           "(ndes:ndesHosts) declares them: `pulumi refresh` then `pulumi up` puts them back, or run "
           "Install-WindowsFeature Web-Server, Web-Scripting-Tools on the host")


F = TypeVar("F", bound=Callable[..., Any])


def iis_absent(exc: BaseException) -> bool:
    """True exactly when `exc` is a script's report that Import-Module found no WebAdministration module."""
    return (isinstance(exc, ScriptFailed) and exc.category == CATEGORY
            and exc.message.strip() == MODULE_NOT_FOUND.format(MODULE))


def none_without_iis(hook: F) -> F:
    """A provider hook (find, get, remove) that answers None when the host has no IIS: nothing exists there."""
    @functools.wraps(hook)
    def wrapped(self: Any, *args: Any) -> Any:
        try:
            return hook(self, *args)
        except ScriptFailed as exc:
            if not iis_absent(exc):
                raise
            return None
    return wrapped  # type: ignore[return-value]


def needs_iis(hook: F) -> F:
    """A provider's apply(inp, existing): on a host without IIS it fails naming what to install (and where)."""
    @functools.wraps(hook)
    def wrapped(self: Any, inp: Any, *args: Any) -> Any:
        try:
            return hook(self, inp, *args)
        except ScriptFailed as exc:
            if not iis_absent(exc):
                raise
            raise ScriptFailed(exc.script, exc.host, f"{self.what(inp)}: {exc.message} "
                               + INSTALL.format(host=inp.endpoint.host), exc.category) from None
    return wrapped  # type: ignore[return-value]
