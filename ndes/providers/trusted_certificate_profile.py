"""TrustedCertificateProfile: an Intune trusted certificate profile for one platform and one CA certificate.

The seed: iOS/macOS trust the root; Android (work profile, device owner) needs the root and the issuing CA
as two profiles; Windows puts the root in computerCertStoreRoot and the issuing CA in
computerCertStoreIntermediate (or, for an extra certificate an admin lists, userCertStoreIntermediate). Assigned to groups; targets an admin added in the portal are kept (keepUnmanaged).
"""
from __future__ import annotations

import base64
import hashlib
from typing import Any, ClassVar, Literal

from pydantic import field_validator


from ..model.field_rules import as_recorded
from ..graph import intune
from ..model.graph_enums import (DESTINATION_STORE_ROLES, PLATFORM_BY_TRUSTED_ROOT_TYPE, PLATFORMS,
                                 WINDOWS_DESTINATION_STORES)
from .base import Existing
from .graph_connection import IntuneProfileInputs, IntuneProfileProvider, normalize_groups, split_mark, with_mark

KIND = "trusted certificate profile"
DEFAULT_DESCRIPTION = "CA certificate for NDES/SCEP (managed by Pulumi)"


class TrustedCertificateInputs(IntuneProfileInputs):
    role: Literal["root", "issuing", "userIssuing"] = "root"
    """root: a root CA; issuing: an intermediate CA (Windows: the computer's intermediate store); userIssuing: an
    intermediate CA in the user's intermediate store on Windows (an intermediate CA elsewhere)."""
    display_name: str
    description: str = DEFAULT_DESCRIPTION
    certificate: str
    """Base64 of the CA certificate's DER."""
    cert_file_name: str

    @field_validator("certificate")
    @classmethod
    def _der(cls, v: str) -> str:
        from cryptography import x509
        try:
            der = base64.b64decode(v, validate=True)
            x509.load_der_x509_certificate(der)
        except Exception:  # noqa: BLE001 - any decoding failure says the same
            raise ValueError("certificate must be the base64 of a DER X.509 certificate") from None
        return base64.b64encode(der).decode()

    # read: deploymentChannel as Graph holds it (unknownFutureValue: appleDeploymentChannel is an evolvable enum)
    _recorded_trusted = as_recorded("deployment_channel")

    @property
    def odata_type(self) -> str:
        return PLATFORMS[self.platform].trusted_root_type


def thumbprint(b64: str) -> str:
    return hashlib.sha1(base64.b64decode(b64)).hexdigest().upper()  # noqa: S324 - the Windows thumbprint is SHA-1


class TrustedCertificateProfileProvider(IntuneProfileProvider):
    label = KIND
    Inputs = TrustedCertificateInputs
    replace_on: ClassVar[frozenset[str]] = frozenset({"platform", "deploymentChannel"})

    def body(self, inp: TrustedCertificateInputs) -> dict[str, Any]:
        b = {"@odata.type": inp.odata_type, "displayName": inp.display_name,
             "description": with_mark(inp.description, inp.owner), "trustedRootCertificate": inp.certificate,
             "certFileName": inp.cert_file_name}
        if inp.platform == "windows":
            b["destinationStore"] = WINDOWS_DESTINATION_STORES[inp.role]
        if inp.deployment_channel is not None:
            b["deploymentChannel"] = inp.deployment_channel
        return b

    def apply(self, inp: TrustedCertificateInputs, existing: Existing | None) -> tuple[str, dict[str, Any]]:
        c = inp.client()
        body = self.body(inp)
        if existing is None:
            pid = intune.create_profile(c, body, KIND, self.mine(inp))["id"]
        else:
            pid = existing.id
            have = intune.get_profile(c, pid, KIND, wait_for=True) or {}
            changed = {k: v for k, v in body.items()
                       if k not in ("@odata.type", "deploymentChannel") and have.get(k) != v}
            if changed:
                intune.update_profile(c, pid, {"@odata.type": inp.odata_type, **changed}, KIND)
        return pid, {"profileId": pid, "thumbprint": thumbprint(inp.certificate),
                     "managedGroups": self.assign(c, pid, inp, KIND)}

    def get(self, id_: str, inp: TrustedCertificateInputs) -> dict[str, Any] | None:
        if not id_:  # find found nothing: Graph reads an object by its id (an empty one reads the collection)
            return None
        c = inp.client()
        p = intune.get_profile(c, id_, KIND)
        if p is None:
            return None
        platform = PLATFORM_BY_TRUSTED_ROOT_TYPE.get(p.get("@odata.type"), p.get("@odata.type"))
        role = DESTINATION_STORE_ROLES.get(p.get("destinationStore"), p.get("destinationStore")) \
            if platform == "windows" else inp.role
        cert = p.get("trustedRootCertificate") or ""
        return {"platform": platform, "role": role, "displayName": p.get("displayName"),
                "description": split_mark(p.get("description"))[0], "certificate": cert,
                "certFileName": p.get("certFileName"), "groups": intune.get_assigned_groups(c, id_, KIND),
                "deploymentChannel": (p.get("deploymentChannel") or inp.deployment_channel)
                if inp.deployment_channel is not None else None,  # absent: made before it was sent, not a change
                "profileId": id_, "thumbprint": thumbprint(cert) if cert else None}

    def remove(self, id_: str, inp: TrustedCertificateInputs) -> None:
        intune.delete_profile(inp.client(), id_, KIND)
