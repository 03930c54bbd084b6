"""Issue 13 item 3 through the real Pulumi CLI and a real SCEP client: NDES reads its MSCEP template values when
the SCEP application pool starts, so a key-usage change that `pulumi up` writes must reach devices at once.

On the lab as ./lab/up leaves it (the intune.scep shorthand: digitalSignature + keyEncipherment, so MSCEP
GeneralPurposeTemplate = NDES-Intune), the SCEP key usage (and the client template's, as the preview's key-usage
chain check asks) changes to digitalSignature; `pulumi up` moves NDES-Intune to SignatureTemplate and recycles the
SCEP pool; `scepclient` then enrolls through the App Proxy URL, and the certificate comes from NDES-Intune (its
template extension carries NDES-Intune's OID) with the new key usage. Without the recycle the simulated NDES still
holds the values of its last pool start (SignatureTemplate = IPSECIntermediateOffline, issued nowhere), and the
enrollment is refused. The lab is put back with the committed configuration afterwards.
"""
from __future__ import annotations

import pytest
from cryptography import x509

from lab import enroll, topology
from lab.graph_sim import control as graph_control
from lab.winrm_sim import ca, hostmodel, store

from .lab_chain import bent_project, ensure_lab_servers, lab_cli
from .lab_stack import lab_stack_config

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

NDES1 = topology.NDES_HOSTS[0]["name"]
SIGNATURE = ["digitalSignature"]


def _client_template_oid(name: str) -> str:
    view = ca.SambaView()
    conn = view.connect()
    try:
        tpl = view.template(conn, name)
    finally:
        conn.unbind()
    assert tpl is not None and tpl.oid, name
    return tpl.oid


def _enroll(tmp, tag: str) -> x509.Certificate:
    graph = graph_control.LAB.graph_url
    url = enroll.default_url()
    profile = enroll.profile_for(graph, url)
    ch = enroll.challenge(graph, profile["id"], {"upn": f"keyusage-{tag}@{topology.REALM}",
                                                 "deviceName": f"LAB-KU-{tag}"})
    return enroll.scepclient(url, ch, tmp / tag).certificate


def _template_oid(cert: x509.Certificate) -> str:
    value = cert.extensions.get_extension_for_oid(ca.TEMPLATE_INFO_V2_OID).value
    return value.template_id.dotted_string  # type: ignore[attr-defined]


def test_a_key_usage_change_reaches_the_scep_endpoint_after_up(tmp_path):
    ensure_lab_servers()
    cli = lab_cli()
    cli.up()
    graph = graph_control.LAB.graph_url
    enroll.register_connector(NDES1, graph)  # the person at the connector's sign-in, as ./lab/up plays it
    client = lab_stack_config()["config"]["ndes:templates"]["client"]["name"]
    # one profile and one client template, both moved to signature-only (the lab's second, signature-only template
    # and its Wi-Fi profile would hold that purpose already)
    first = lab_stack_config()["config"]["ndes:intune"]["scepProfiles"][0]
    bent = bent_project(tmp_path, {"intune.scepProfiles": [{**first, "keyUsage": SIGNATURE}],
                                   "templates.moreClients": [], "templates.client.keyUsage": SIGNATURE})
    try:
        before = _enroll(tmp_path, "before")
        assert _template_oid(before) == _client_template_oid(client)
        assert before.extensions.get_extension_for_class(x509.KeyUsage).value.key_encipherment

        bent.up()
        st = store.read_state(NDES1)
        values = {v: hostmodel.get_value(st, hostmodel.MSCEP_KEY, v)["value"] for v in hostmodel.MSCEP_VALUES}
        assert values == {"SignatureTemplate": client, "EncryptionTemplate": "IPSECIntermediateOffline",
                          "GeneralPurposeTemplate": "IPSECIntermediateOffline"}, values

        after = _enroll(tmp_path, "after")
        assert _template_oid(after) == _client_template_oid(client)  # from the template the new key usage maps to
        ku = after.extensions.get_extension_for_class(x509.KeyUsage).value
        assert ku.digital_signature and not ku.key_encipherment
        bent.preview("--expect-no-changes")
    finally:
        cli.up()  # the lab as ./lab/up leaves it (connector registered, as lab/up's enrollment step does)
