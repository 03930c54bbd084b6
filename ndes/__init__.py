"""NDES + SCEP for Intune as declared, previewable, refreshable resources.

The library API (README, "Use it from your program"): `ndes.IntuneProfiles`, `ndes.DirectoryPlane`, `ndes.CaHost`,
`ndes.NdesHost`, `ndes.AppProxy`, `ndes.NdesScepDeployment` and their `*Args`. They are loaded on first use, so
`import ndes.model` or a client (ndes.directory, ndes.windows, ndes.graph) does not import Pulumi.
"""
from __future__ import annotations

from importlib import import_module
from importlib.metadata import PackageNotFoundError, version as _version
from typing import Any

try:
    __version__ = _version("ndes")
except PackageNotFoundError:  # a source checkout that is not installed
    __version__ = "0+unknown"

_COMPONENTS = ("DirectoryPlane", "CaHost", "NdesHost", "AppProxy", "IntuneProfiles")
_ARGS = ("LdapConnectionArgs", "WinrmConnectionArgs", "GraphConnectionArgs", "ServiceAccountArgs",
         "CertificateTemplateArgs", "GroupRefArgs", "ScepSettingsArgs", "ScepProfileArgs", "TrustedRootArgs",
         "InstallCredentialArgs", "NdesRoleArgs", "DirectoryPlaneArgs", "CaHostArgs", "NdesHostArgs",
         "AppProxyApplicationArgs", "AppProxyArgs", "IntuneProfilesArgs", "DeploymentSecretsArgs",
         "NdesScepDeploymentArgs")
_WHERE = {**{n: "ndes.components.library" for n in _COMPONENTS}, **{n: "ndes.components.args" for n in _ARGS},
          "NdesScepDeployment": "ndes.components.deployment", "protection": "ndes.components.protection"}
__all__ = ["__version__", *_WHERE]


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'ndes' has no attribute {name!r}")
