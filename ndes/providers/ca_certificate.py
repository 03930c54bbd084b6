"""CaCertificate (read-only): the Enterprise CA's certificate and the root it chains to, exported from the CA
host as `certutil -ca.cert` would (CaCertificate.ps1: CACertHash + LocalMachine\\My + an X509Chain).

Creating it changes nothing on the host; deleting it changes nothing either. Outputs (plain: certificates are
public): issuing* and root* — derBase64, pem, thumbprint, subject, notAfter — for the trusted-certificate
profiles (iOS/macOS: root; Android: root and issuing). A renewed CA certificate shows on `pulumi refresh`.
"""
from __future__ import annotations

from typing import Any, ClassVar


from ..windows import ScriptFailed
from ..windows.contracts import call
from ..windows.contracts import ca_certificate as C
from ._windows import host_of, WindowsInputs, WindowsProvider
from .base import Existing

SCRIPT = "CaCertificate"
FIELDS = ("derBase64", "pem", "thumbprint", "subject", "notAfter")


class CaCertificateInputs(WindowsInputs):
    ca_name: str
    """The CA's common name: the host's active CA (CertSvc\\Configuration Active) must carry it."""


class CaCertificateProvider(WindowsProvider):
    Inputs = CaCertificateInputs
    replace_on: ClassVar[frozenset[str]] = frozenset()

    def _export(self, inp: CaCertificateInputs) -> dict[str, Any] | None:
        st = call(host_of(inp), C.SCRIPT, C.CaCertificateParams(mode="get", ca_name=inp.ca_name),
                  C.CaCertificateState).state
        if not C.is_ca(st, inp.ca_name):
            return None
        live: dict[str, Any] = {}
        for which in ("issuing", "root"):
            facts = getattr(st, which).wire()
            for f in FIELDS:
                live[which + f[0].upper() + f[1:]] = facts[f]
        live["rootIsIssuing"] = st.issuing.thumbprint == st.root.thumbprint  # type: ignore[union-attr]
        return live

    def find(self, inp: CaCertificateInputs) -> Existing | None:
        return None  # nothing to take over: reading creates nothing

    def apply(self, inp: CaCertificateInputs, existing: Existing | None) -> tuple[str, dict[str, Any]]:
        live = self._export(inp)
        if live is None:
            raise ScriptFailed(SCRIPT, inp.endpoint.host, f"no certification authority named '{inp.ca_name}' is "
                               f"configured on this host ({inp.config_key or 'ndes:ca'}.commonName)", "ObjectNotFound")
        return f"{inp.ca_name}/{live['issuingThumbprint']}", live

    def get(self, id_: str, inp: CaCertificateInputs) -> dict[str, Any] | None:
        return self._export(inp)

    def remove(self, id_: str, inp: CaCertificateInputs) -> None:
        return None  # read-only: the CA keeps its certificate


OUTPUTS = [w + f[0].upper() + f[1:] for w in ("issuing", "root") for f in FIELDS] + ["rootIsIssuing"]
