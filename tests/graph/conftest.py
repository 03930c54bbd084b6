"""Graph simulator fixtures: a private simulator instance for the test session (the lab's addresses, a free
port, its own state file: its resets and knobs never touch a lab run going on meanwhile), a clean tenant per
test, and the connection inputs the Graph providers take."""
from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any, Iterator

import pytest

from lab import topology
from lab.graph_sim import control
from lab.graph_sim.server import CLIENT_ID, client_secret
from lab.pki import ca_bundle_path, ensure_ca, ensure_enterprise_ca

LAB_GROUP = "6f1c1e0a-1111-4a4a-9b9b-000000000001"
OTHER_GROUP = "6f1c1e0a-1111-4a4a-9b9b-000000000002"


@dataclass
class GraphSim:
    inst: control.Instance
    url: str
    tenant_id: str
    client_id: str
    secret: str
    ca_bundle: str

    def admin(self, path: str, body: Any = None, method: str | None = None) -> Any:
        return control.admin(path, body, method, inst=self.inst)

    def state(self) -> dict:
        return self.admin("/state")

    def stats(self) -> dict[str, int]:
        return self.admin("/stats")

    @property
    def proxy_url(self) -> str:
        """The App Proxy front of this instance (send the external host name in Host)."""
        address, port = self.inst.proxy_address
        return f"https://{address}:{port}"

    def connection(self, **over: Any) -> dict[str, Any]:
        """Provider inputs (wire names) to reach the simulator."""
        conn = {"tenantId": self.tenant_id, "clientId": self.client_id, "credential": "clientSecret",
                "clientSecret": self.secret, "cloud": "custom", "graphEndpoint": self.url + "/",
                "authority": self.url + "/", "caBundle": self.ca_bundle, "retryBudgetSeconds": 20.0,
                "retryAttempts": 6}
        conn.update(over)
        return conn

    def app_proxy_connection(self, **over: Any) -> dict[str, Any]:
        """Provider inputs of the App Proxy plane: a user signs in (device code; the simulator's lab App Proxy
        admin completes it), as App Proxy's Graph APIs require (docs/identities.md)."""
        return self.connection(**{"credential": "deviceCode", "clientId": None, "clientSecret": None, **over})


@pytest.fixture(scope="session")
def graph_sim_server(tmp_path_factory) -> Iterator[GraphSim]:
    port = control.free_port()
    inst = control.Instance(port=port, state_path=tmp_path_factory.mktemp("graph-sim") / "state.json",
                            name=f"test-{port}")
    control.up(inst)
    try:
        yield GraphSim(inst, inst.graph_url, topology.GRAPH["tenant_id"], CLIENT_ID, client_secret(),
                       ca_bundle_path().read_text())
    finally:
        control.down(inst)


@pytest.fixture
def graph_sim(graph_sim_server: GraphSim) -> GraphSim:
    """The simulator with a fresh tenant (seeded connector group and lab groups, no knobs)."""
    graph_sim_server.admin("/reset")
    return graph_sim_server


def _der_b64(pem_path) -> str:
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding
    cert = x509.load_pem_x509_certificate(pem_path.read_bytes())
    return base64.b64encode(cert.public_bytes(Encoding.DER)).decode()


@pytest.fixture(scope="session")
def lab_ca_der() -> dict[str, str]:
    """Base64 DER of the lab root and issuing CA certificates."""
    root_pem, _ = ensure_ca()
    issuing_pem, _ = ensure_enterprise_ca()
    return {"root": _der_b64(root_pem), "issuing": _der_b64(issuing_pem)}
