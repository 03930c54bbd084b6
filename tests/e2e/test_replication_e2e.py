"""A first `pulumi up` of the lab stack in a two-DC forest converges without a rerun: the product writes to dc1,
the simulated Enterprise CA reads dc2 (another site's DC, lab.samba_replica) and issues the NDES SSL certificate
only for templates its own DC shows; with ndes:domain.readerUrls the directory plane waits for dc2 first.
Without readerUrls (and with replication held back) the same first up fails at the NDES SSL certificate with
"The requested certificate template is not supported by this CA. 0x80094800" (checked by hand; not kept as a
test, to keep the run short)."""
from __future__ import annotations

import uuid

import pytest

from lab import samba_replica

from .lab_chain import bent_project, ensure_lab_servers, lab_cli
from .pulumi_cli import PulumiError


def dc2_log_tail(lines: int = 30) -> str:
    try:
        return "dc2 log:\n" + "\n".join(samba_replica.log_path().read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "dc2 log: none"

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.fixture
def two_dcs():
    ensure_lab_servers()
    dc2 = samba_replica.up()
    samba_replica.assign_ca(True)
    rep = samba_replica.Replicator(3.0).start()
    try:
        yield dc2, rep
    finally:
        rep.stop()
        samba_replica.down()  # the CA reads dc1 again
        lab_cli().up()  # leave the lab deployed with its own config, as ./lab/up does


def test_first_up_converges_with_the_ca_reading_another_dc(two_dcs, tmp_path):
    dc2, rep = two_dcs
    lab = lab_cli()
    lab.destroy()  # a first up: nothing of the stack in the forest yet
    # a template name of this test's own: the NDES host must request a new certificate from a new template
    ssl_name = f"NDES-SSL-R{uuid.uuid4().hex[:6]}"
    bent = bent_project(tmp_path, {"domain.readerUrls": [dc2.ldap_url], "domain.replicationTimeout": 240,
                                   "templates.ssl.name": ssl_name})
    try:
        out = bent.up()  # no rerun
    except PulumiError as exc:  # the lab's replication is part of the evidence: say how it went
        raise AssertionError(f"{rep.summary()}\n{dc2_log_tail()}\n{exc}") from None
    assert "MachineCertificate" in out.stdout or "created" in out.stdout
    assert samba_replica.ca_reads() == samba_replica.HOST and rep.rounds >= 1 and not rep.errors, rep.summary()
    ssl = [r for r in bent.resources() if r["type"].endswith(":MachineCertificate")]
    assert ssl and ssl[0]["outputs"].get("thumbprint") and ssl[0]["outputs"].get("template") == ssl_name, ssl
    bent.preview("--expect-no-changes")
