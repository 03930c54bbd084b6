"""`Import-Module -Name 'WebAdministration'` on a simulated host, as Windows PowerShell answers it (shared by the
handlers of the scripts that import it: IisRequestLimits, IisHttpsBinding, ScepPoolIdentity, and
MscepTemplateMapping's recycle). Without IIS the module is absent: ImportModuleCommand writes ModuleNotFound, a
FileNotFoundException with the Modules.resx text below, error id Modules_ModuleNotFound, category
ResourceUnavailable (PowerShell/PowerShell src/System.Management.Automation/engine/Modules/ImportModuleCommand.cs,
resources/Modules.resx); under $ErrorActionPreference = 'Stop' it ends the script and the bootstrap reports its
message and category. The simulator counts the module present when IIS is (hostmodel.iis_installed); that it
ships with Web-Scripting-Tools is not modelled (docs/lab-fidelity.md)."""
from __future__ import annotations

from .. import hostmodel as hm
from . import ScriptError

MODULE_NOT_FOUND = ("The specified module '{0}' was not loaded because no valid module file was found in any "
                    "module directory.")


def import_webadministration(state: dict) -> None:
    """Import-Module -Name 'WebAdministration': nothing when IIS is installed, else the ModuleNotFound error."""
    if not hm.iis_installed(state):
        raise ScriptError(MODULE_NOT_FOUND.format("WebAdministration"), "ResourceUnavailable")
