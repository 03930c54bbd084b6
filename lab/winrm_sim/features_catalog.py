"""Windows Server 2022 roles and features the lab hosts know (names as Get-WindowsFeature lists them), with
their parent (sub-feature of), what installing them pulls in, and whether removing them asks for a restart.
A name not in here is refused as Install-WindowsFeature refuses it. NET-HTTP-Activation (.NET 3.5) has its
payload removed from the image, as on a stock Server 2012 R2+ install: it installs only with -Source."""
from __future__ import annotations

from typing import Iterable

# name: (display name, parent, requires, restart on uninstall, payload removed)
_F = {
    "AD-Certificate": ("Active Directory Certificate Services", None, [], False, False),
    "ADCS-Cert-Authority": ("Certification Authority", "AD-Certificate", [], True, False),
    "ADCS-Device-Enrollment": ("Network Device Enrollment Service", "AD-Certificate",
                               ["Web-Default-Doc", "Web-Dir-Browsing", "Web-Http-Errors", "Web-Static-Content",
                                "Web-Http-Logging", "Web-Stat-Compression", "Web-Filtering", "Web-Asp-Net45",
                                "Web-Mgmt-Console", "Web-Metabase", "RSAT-ADCS-Mgmt"], False, False),
    "ADCS-Enroll-Web-Pol": ("Certificate Enrollment Policy Web Service", "AD-Certificate",
                            ["Web-Asp-Net45", "Web-Windows-Auth"], False, False),
    "ADCS-Enroll-Web-Svc": ("Certificate Enrollment Web Service", "AD-Certificate",
                            ["Web-Asp-Net45", "Web-Windows-Auth"], False, False),
    "ADCS-Web-Enrollment": ("Certification Authority Web Enrollment", "AD-Certificate",
                            ["Web-Asp-Net45", "Web-Windows-Auth"], False, False),
    "ADCS-Online-Cert": ("Online Responder", "AD-Certificate", ["Web-Asp-Net45"], False, False),
    "Web-Server": ("Web Server (IIS)", None, [], True, False),
    "Web-WebServer": ("Web Server", "Web-Server", [], True, False),
    "Web-Common-Http": ("Common HTTP Features", "Web-WebServer", [], False, False),
    "Web-Default-Doc": ("Default Document", "Web-Common-Http", [], False, False),
    "Web-Dir-Browsing": ("Directory Browsing", "Web-Common-Http", [], False, False),
    "Web-Http-Errors": ("HTTP Errors", "Web-Common-Http", [], False, False),
    "Web-Static-Content": ("Static Content", "Web-Common-Http", [], False, False),
    "Web-Http-Redirect": ("HTTP Redirection", "Web-Common-Http", [], False, False),
    "Web-Health": ("Health and Diagnostics", "Web-WebServer", [], False, False),
    "Web-Http-Logging": ("HTTP Logging", "Web-Health", [], False, False),
    "Web-Performance": ("Performance", "Web-WebServer", [], False, False),
    "Web-Stat-Compression": ("Static Content Compression", "Web-Performance", [], False, False),
    "Web-Security": ("Security", "Web-WebServer", [], False, False),
    "Web-Filtering": ("Request Filtering", "Web-Security", [], False, False),
    "Web-Basic-Auth": ("Basic Authentication", "Web-Security", [], False, False),
    "Web-Windows-Auth": ("Windows Authentication", "Web-Security", [], False, False),
    "Web-Cert-Auth": ("IIS Client Certificate Mapping Authentication", "Web-Security", [], False, False),
    "Web-App-Dev": ("Application Development", "Web-WebServer", [], False, False),
    "Web-Net-Ext45": (".NET Extensibility 4.8", "Web-App-Dev", ["NET-Framework-45-Core"], False, False),
    "Web-Asp-Net45": ("ASP.NET 4.8", "Web-App-Dev",
                      ["Web-Net-Ext45", "Web-ISAPI-Ext", "Web-ISAPI-Filter", "NET-Framework-45-ASPNET",
                       "Web-Default-Doc"], False, False),
    "Web-ISAPI-Ext": ("ISAPI Extensions", "Web-App-Dev", [], False, False),
    "Web-ISAPI-Filter": ("ISAPI Filters", "Web-App-Dev", [], False, False),
    "Web-Mgmt-Tools": ("Management Tools", "Web-Server", [], False, False),
    "Web-Mgmt-Console": ("IIS Management Console", "Web-Mgmt-Tools", [], False, False),
    "Web-Mgmt-Compat": ("IIS 6 Management Compatibility", "Web-Mgmt-Tools", [], False, False),
    "Web-Metabase": ("IIS 6 Metabase Compatibility", "Web-Mgmt-Compat", [], False, False),
    "Web-WMI": ("IIS 6 WMI Compatibility", "Web-Mgmt-Compat", ["Web-Metabase"], False, False),
    "Web-Scripting-Tools": ("IIS Management Scripts and Tools", "Web-Mgmt-Tools", [], False, False),
    "NET-Framework-Features": (".NET Framework 3.5 Features", None, [], False, False),
    "NET-Framework-Core": (".NET Framework 3.5 (includes .NET 2.0 and 3.0)", "NET-Framework-Features", [], False,
                           True),
    "NET-HTTP-Activation": ("HTTP Activation", "NET-Framework-Features",
                            ["NET-Framework-Core", "WAS-Process-Model", "WAS-NET-Environment",
                             "WAS-Config-APIs"], False, True),
    "NET-Framework-45-Features": (".NET Framework 4.8 Features", None, [], False, False),
    "NET-Framework-45-Core": (".NET Framework 4.8", "NET-Framework-45-Features", [], True, False),
    "NET-Framework-45-ASPNET": ("ASP.NET 4.8", "NET-Framework-45-Features", ["NET-Framework-45-Core"], False,
                                False),
    "NET-WCF-Services45": ("WCF Services", "NET-Framework-45-Features", ["NET-Framework-45-Core"], False, False),
    "NET-WCF-HTTP-Activation45": ("HTTP Activation", "NET-WCF-Services45",
                                  ["NET-Framework-45-ASPNET", "WAS-Process-Model", "WAS-Config-APIs",
                                   "Web-Asp-Net45"], False, False),
    "NET-WCF-TCP-PortSharing45": ("TCP Port Sharing", "NET-WCF-Services45", [], False, False),
    "WAS": ("Windows Process Activation Service", None, [], False, False),
    "WAS-Process-Model": ("Process Model", "WAS", [], False, False),
    "WAS-NET-Environment": (".NET Environment 3.5", "WAS", ["NET-Framework-Core"], False, False),
    "WAS-Config-APIs": ("Configuration APIs", "WAS", [], False, False),
    "RSAT": ("Remote Server Administration Tools", None, [], False, False),
    "RSAT-Role-Tools": ("Role Administration Tools", "RSAT", [], False, False),
    "RSAT-ADCS": ("Active Directory Certificate Services Tools", "RSAT-Role-Tools", [], False, False),
    "RSAT-ADCS-Mgmt": ("Certification Authority Management Tools", "RSAT-ADCS", [], False, False),
    "RSAT-Online-Responder": ("Online Responder Tools", "RSAT-ADCS", [], False, False),
    "FileAndStorage-Services": ("File and Storage Services", None, [], True, False),
    "Storage-Services": ("Storage Services", "FileAndStorage-Services", [], True, False),
    "FS-FileServer": ("File Server", "FileAndStorage-Services", [], True, False),
    "PowerShellRoot": ("Windows PowerShell", None, [], True, False),
    "PowerShell": ("Windows PowerShell 5.1", "PowerShellRoot", ["NET-Framework-45-Core"], True, False),
    "WoW64-Support": ("WoW64 Support", None, [], True, False),
    "Windows-Defender": ("Microsoft Defender Antivirus", None, [], True, False),
    "System-DataArchiver": ("System Data Archiver", None, [], True, False),
}

CATALOG: dict[str, dict] = {
    name: {"displayName": d, "parent": p, "requires": list(r), "restartOnUninstall": rs, "payloadRemoved": pr}
    for name, (d, p, r, rs, pr) in _F.items()
}
DEFAULT_INSTALLED = ["FileAndStorage-Services", "Storage-Services", "FS-FileServer", "NET-Framework-45-Features",
                     "NET-Framework-45-Core", "NET-WCF-Services45", "NET-WCF-TCP-PortSharing45", "PowerShellRoot",
                     "PowerShell", "WoW64-Support", "Windows-Defender", "System-DataArchiver"]


def canonical(name: str) -> str | None:
    for key in CATALOG:
        if key.lower() == name.strip().lower():
            return key
    return None


def closure_of(names: Iterable[str]) -> set[str]:
    """Everything installing `names` installs: each feature, its parents, and what they require."""
    out: set[str] = set()
    todo = [canonical(n) or n for n in names]
    while todo:
        n = todo.pop()
        if n in out or n not in CATALOG:
            continue
        out.add(n)
        info = CATALOG[n]
        if info["parent"]:
            todo.append(info["parent"])
        todo.extend(info["requires"])
    return out


def dependents_of(names: Iterable[str], installed: Iterable[str]) -> set[str]:
    """Everything uninstalling `names` removes: each feature, its sub-features, and installed features that
    need one of them."""
    installed = set(installed)
    out = {canonical(n) or n for n in names}
    changed = True
    while changed:
        changed = False
        for n in installed - out:
            info = CATALOG.get(n, {})
            if info.get("parent") in out or any(r in out for r in info.get("requires", [])):
                out.add(n)
                changed = True
    return out & installed
