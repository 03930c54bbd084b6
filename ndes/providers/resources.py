"""The project's Pulumi resources: one declaration per provider (ndes/providers/<kind>.py holds the provider,
its Inputs and hooks; this module is where the Pulumi SDK comes in). Components and programs import the
resources from here; `ndes verify` imports the providers alone and reads through them without the SDK.
"""
from __future__ import annotations

from typing import Any

from .resource import NdesResource
from .app_proxy_application import AppProxyApplicationProvider
from .ca_access import CaAccessProvider
from .ca_certificate import CaCertificateProvider
from .certificate_template import CertificateTemplateProvider
from .host_ready import HostReadyProvider
from .iis_https_binding import IisHttpsBindingProvider
from .iis_request_limits import IisRequestLimitsProvider
from .intune_connector import IntuneConnectorProvider
from .local_group_member import LocalGroupMemberProvider
from .machine_certificate import MachineCertificateProvider
from .mscep_template_mapping import MscepTemplateMappingProvider
from .ndes_role import NdesRoleProvider
from .ra_renewal import RaCertificateRenewalProvider
from .reboot import HostRebootProvider
from .registry_values import RegistryValuesProvider
from .scep_pool_identity import ScepPoolIdentityProvider
from .scep_profile import ScepProfileProvider
from .service_account import ServiceAccountProvider
from .template_issuance import TemplateIssuanceProvider
from .trusted_certificate_profile import TrustedCertificateProfileProvider
from .windows_features import WindowsFeaturesProvider

__all__ = ["AppProxyApplication", "CaAccess", "CaCertificate", "CertificateTemplate", "HostReady", "HostReboot", "IisHttpsBinding", "IisRequestLimits", "IntuneConnector", "LocalGroupMember", "MachineCertificate", "MscepTemplateMapping", "NdesRole", "RaCertificateRenewal", "RegistryValues", "ScepPoolIdentity", "ScepProfile", "ServiceAccount", "TemplateIssuance", "TrustedCertificateProfile", "WindowsFeatures"]


class AppProxyApplication(NdesResource, provider=AppProxyApplicationProvider,
                          outputs={"applicationId": str, "objectId": str, "servicePrincipalId": str},
                          echoes={"externalUrl": str}):
    """One NDES host published through App Proxy. Outputs: applicationId (appId), objectId, servicePrincipalId,
    externalUrl."""


class CaAccess(NdesResource, provider=CaAccessProvider,
               outputs={"resolvedSid": str, "mask": int, "denied": bool, "restarted": bool, "notes": list[str]}):
    """Request Certificates on the CA for one account. Outputs: resolvedSid, mask, denied, restarted, notes."""


class CaCertificate(NdesResource, provider=CaCertificateProvider,
                    outputs={"issuingDerBase64": str, "issuingPem": str, "issuingThumbprint": str,
                             "issuingSubject": str, "issuingNotAfter": str, "rootDerBase64": str, "rootPem": str,
                             "rootThumbprint": str, "rootSubject": str, "rootNotAfter": str, "rootIsIssuing": bool}):
    """The CA's issuing and root certificates (DER base64, PEM, thumbprint, subject, notAfter)."""


class CertificateTemplate(NdesResource, provider=CertificateTemplateProvider,
                          outputs={"dn": str, "oid": str, "enrollSids": list[str], "schemaVersion": int,
                                   "minorRevision": int}):
    """A certificate template with its OID object and Read + Enroll ACEs. Outputs: dn, oid, enrollSids,
    schemaVersion, minorRevision."""


class HostReady(NdesResource, provider=HostReadyProvider,
                outputs={"winrmUrl": str, "bootId": str, "waitedSeconds": float, "notes": list[str]},
                echoes={"fqdn": str, "domainMember": bool}):
    """Waits for a new host's domain identity over WinRM. Outputs: fqdn, winrmUrl (hand these to the Windows
    plane), bootId, domainMember, waitedSeconds, notes."""


class IisHttpsBinding(NdesResource, provider=IisHttpsBindingProvider, outputs={"bindingInformation": str}):
    """The site's https binding. Outputs: bindingInformation (and the live hostName, thumbprint, sslFlags)."""


class IisRequestLimits(NdesResource, provider=IisRequestLimitsProvider, echoes={"maxUrl": int, "maxQueryString": int}):
    """requestFiltering/requestLimits of an IIS site. Outputs: maxUrl, maxQueryString (live)."""


class IntuneConnector(NdesResource, provider=IntuneConnectorProvider,
                      outputs={"installed": bool, "version": str, "servicesRunning": bool, "services": None,
                               "registered": bool, "certificateNotAfter": str, "certificateDaysLeft": int,
                               "instruction": str, "notes": list[str]}):
    """The Intune Certificate Connector. Outputs: installed, version, servicesRunning, registered,
    certificateNotAfter, certificateDaysLeft, instruction, notes."""


class LocalGroupMember(NdesResource, provider=LocalGroupMemberProvider,
                       outputs={"memberName": str, "principalSource": str}):
    """A member of a local group. Outputs: memberName (as Windows lists it), principalSource."""


class MachineCertificate(NdesResource, provider=MachineCertificateProvider,
                         outputs={"thumbprint": str, "subject": str, "issuer": str, "notBefore": str, "notAfter": str,
                                  "daysLeft": int}):
    """A certificate in LocalMachine\\My from an Enterprise CA template. Outputs: thumbprint, subject, notAfter,
    daysLeft, issuer, notBefore (and the live commonName, dnsNames, template)."""


class MscepTemplateMapping(NdesResource, provider=MscepTemplateMappingProvider,
                           outputs={"registryValue": str, "mscepValues": dict}):
    """The MSCEP template mapping. Outputs: registryValue (the value the key usage selects), mscepValues (all
    three, live)."""


class NdesRole(NdesResource, provider=NdesRoleProvider,
               outputs={"raCertificates": list[dict[str, Any]], "raNotAfter": str, "raDaysLeft": int,
                        "notes": list[str]}):
    """NDES installed and configured. Outputs: raCertificates, raNotAfter, raDaysLeft, notes."""


class RaCertificateRenewal(NdesResource, provider=RaCertificateRenewalProvider,
                           outputs={"raCertificates": list[dict[str, Any]], "raNotAfter": str, "raDaysLeft": int,
                                    "hostTime": str, "notes": list[str]}):
    """NDES's RA certificates renewed before they expire. Outputs: raCertificates, raNotAfter, raDaysLeft,
    hostTime, notes."""


class HostReboot(NdesResource, provider=HostRebootProvider,
                 outputs={"rebooted": bool, "bootId": str, "pendingReasons": list[str], "notes": list[str]}):
    """A restart once when one is pending. Outputs: rebooted, bootId, pendingReasons, notes."""


class RegistryValues(NdesResource, provider=RegistryValuesProvider,
                     outputs={"rebootRequired": bool, "lastChange": str},
                     echoes={"values": list}):
    """HKLM registry values. Outputs: values (live), rebootRequired (the last change needs a restart),
    lastChange (new after every write that changed something)."""


class ScepPoolIdentity(NdesResource, provider=ScepPoolIdentityProvider,
                       outputs={"poolState": str, "poolUserName": str, "notes": list[str]}):
    """The SCEP app pool's identity password kept equal to ndes:serviceAccount.password (rotation without an
    outage). Outputs: poolState, poolUserName, notes."""


class ScepProfile(NdesResource, provider=ScepProfileProvider, outputs={"profileId": str, "managedGroups": None}):
    """Outputs: profileId."""


class ServiceAccount(NdesResource, provider=ServiceAccountProvider,
                     outputs={"dn": str, "sid": str, "objectGuid": str, "spns": list[str], "pwdLastSet": str,
                              "notes": list[str]},
                     echoes={"upn": str}):
    """The NDES service account and its HTTP SPNs. Outputs: dn, sid, objectGuid, upn, spns."""


class TemplateIssuance(NdesResource, provider=TemplateIssuanceProvider,
                       outputs={"enrollmentServiceDn": str},
                       echoes={"issued": bool, "templateName": str}):
    """A template issued on an Enterprise CA. Outputs: issued, templateName, enrollmentServiceDn."""


class TrustedCertificateProfile(NdesResource, provider=TrustedCertificateProfileProvider,
                                outputs={"profileId": str, "thumbprint": str, "managedGroups": None}):
    """Outputs: profileId, thumbprint (SHA-1 of the certificate, as Windows shows it)."""


class WindowsFeatures(NdesResource, provider=WindowsFeaturesProvider,
                      outputs={"installedByPulumi": list, "rebootRequired": bool, "notes": list},
                      echoes={"features": list}):
    """Windows roles/features on a host. Outputs: features (installed ones), installedByPulumi,
    rebootRequired, notes."""


def resource_of(provider: type) -> type[NdesResource]:
    """The Resource declared for a provider class (ndes/declare names providers; components instantiate these)."""
    for name in __all__:
        cls = globals()[name]
        if cls.provider_class is provider:
            return cls
    raise KeyError(f"no Resource declared for {provider.__name__}")
