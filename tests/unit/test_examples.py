"""Every program in examples/ runs under Pulumi mocks (what `pulumi preview` runs, with no server): each declares
its plane's resources, with only the connection that plane needs, and exports what it promises."""
from __future__ import annotations

import base64
import runpy
from pathlib import Path

import pulumi
import pulumi.runtime
import pytest
import yaml

from .sample_config import GROUP

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
DER = base64.b64encode(b"not-checked-under-mocks").decode()
SECRET_KEYS = {"clientSecret", "bindPassword", "serviceAccountPassword", "winrmPassword", "installPassword",
               "spnAdminPassword"}

CONFIG = {
    "intune-profiles": {"tenantId": "t", "clientId": "c", "clientSecret": "s3cret",
                        "scepUrls": '["https://ndes01-contoso.msappproxy.net/certsrv/mscep/mscep.dll"]',
                        "rootCertificateDer": DER, "issuingCertificateDer": DER, "groupIds": f'["{GROUP}"]'},
    "directory-plane": {"ldapUrl": "ldaps://dc01.contoso.com", "bindUser": "pulumi-ndes@contoso.com",
                        "bindPassword": "b", "serviceAccountPassword": "Svc-Pa55!word", "dnsName": "contoso.com",
                        "netbiosName": "CONTOSO", "caCommonName": "Contoso Issuing CA",
                        "ndesHosts": '["ndes01.contoso.com"]'},
    "ca-host": {"caHost": "ca01.contoso.com", "caCommonName": "Contoso Issuing CA", "winrmUser": "CONTOSO\\pulumi-ca",
                "winrmPassword": "w", "serviceAccount": "CONTOSO\\svc-ndes"},
    "ndes-host": {"fqdn": "ndes01.contoso.com", "externalUrl": "https://ndes01-contoso.msappproxy.net/",
                  "winrmUser": "CONTOSO\\pulumi-winrm", "winrmPassword": "w",
                  "caConfig": "ca01.contoso.com\\Contoso Issuing CA", "serviceAccount": "CONTOSO\\svc-ndes",
                  "serviceAccountPassword": "Svc-Pa55!word", "installUser": "CONTOSO\\ndes-install",
                  "installPassword": "i"},
    "app-proxy": {"tenantId": "t", "hosts": '[{"fqdn": "ndes01.contoso.com", '
                                            '"externalUrl": "https://ndes01-contoso.msappproxy.net/"}]'},
    "whole-chain": {"tenantId": "t", "clientId": "c", "clientSecret": "s3cret", "groupId": GROUP, "bindPassword": "b",
                    "winrmPassword": "w", "serviceAccountPassword": "Svc-Pa55!word", "installPassword": "i"},
}
KINDS = {  # the resource kinds each example declares, and the identities (inputs) it must not carry
    "intune-profiles": ({"TrustedCertificateProfile", "ScepProfile"}, {"ldapUrl", "endpoint"}),
    "directory-plane": ({"ServiceAccount", "CertificateTemplate", "TemplateIssuance"}, {"tenantId", "endpoint"}),
    "ca-host": ({"CaAccess", "CaCertificate"}, {"tenantId", "ldapUrl"}),
    "ndes-host": ({"WindowsFeatures", "NdesRole", "MachineCertificate", "IntuneConnector", "MscepTemplateMapping"},
                  {"tenantId", "ldapUrl"}),
    "app-proxy": ({"AppProxyApplication"}, {"ldapUrl", "endpoint"}),
    "whole-chain": ({"ServiceAccount", "CaAccess", "NdesRole", "AppProxyApplication", "ScepProfile"}, set()),
}


class Mocks(pulumi.runtime.Mocks):
    def __init__(self):
        self.resources: list[pulumi.runtime.MockResourceArgs] = []

    def new_resource(self, args):
        self.resources.append(args)
        return f"{args.name}-id", dict(args.inputs)

    def call(self, args):
        return {}


def python_examples() -> set[str]:
    return {p.name for p in EXAMPLES.iterdir() if (p / "Pulumi.yaml").exists()
            and yaml.safe_load((p / "Pulumi.yaml").read_text())["runtime"] != "yaml"}


def test_every_example_is_covered():
    assert python_examples() == set(CONFIG)


@pytest.mark.parametrize("example", sorted(CONFIG))
def test_example_previews_under_mocks(example):
    project = yaml.safe_load((EXAMPLES / example / "Pulumi.yaml").read_text())["name"]
    mocks = Mocks()
    pulumi.runtime.set_mocks(mocks, project=project, stack="unit", preview=True)
    config = CONFIG[example]
    pulumi.runtime.set_all_config({f"{project}:{k}": v for k, v in config.items()},
                                  [f"{project}:{k}" for k in config if k in SECRET_KEYS])

    @pulumi.runtime.test
    def run():
        runpy.run_path(str(EXAMPLES / example / "__main__.py"), run_name="__main__")
        return pulumi.Output.from_input(None)

    try:
        run()
    finally:
        pulumi.runtime.set_all_config({})
    want, forbidden = KINDS[example]
    declared = [r for r in mocks.resources if r.typ.startswith("pulumi-python:dynamic/ndes:")]
    assert want <= {r.typ.rsplit(":", 1)[-1] for r in declared}
    for r in declared:
        assert not forbidden & set(r.inputs), (r.typ, sorted(forbidden & set(r.inputs)))
