"""A grant added by hand to a template (Authenticated Users: Enroll, the ESC1 shape of SpecterOps' "Certified
Pre-Owned") shows up in `pulumi preview --refresh` and in ndes verify's directory checks against the lab's real
Samba DC; templates.client.removeExtraGrants: true removes it on `pulumi up`, and nothing else."""
from __future__ import annotations

import yaml

from ndes.directory import templates as tpl
from ndes.directory.security import (ACCESS_ALLOWED_OBJECT, ADS_RIGHT_DS_CONTROL_ACCESS, ENROLL_GUID, Ace,
                                     SecurityDescriptor, enroll_ace)
from ndes.model import load_config
from ndes.verify import Context
from ndes.verify.directory import template_checks
from tests.e2e.test_directory_e2e import client, world  # noqa: F401 - the fixture

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
AUTHENTICATED_USERS = "S-1-5-11"


def stack_config(cli):
    """The e2e stack's validated configuration, {fromEnv} read from the stack's environment."""
    import os
    doc = yaml.safe_load((cli.project_dir / f"Pulumi.{cli.stack}.yaml").read_text())
    return load_config(doc["config"], environ={**os.environ, **cli.env})


def verify_client_template(samba_dc, cli):
    ctx = Context(stack_config(cli), base=cli.project_dir)  # binds as the stack's bind account
    try:
        return {r.check: r for r in template_checks(ctx, "client-template")}
    finally:
        ctx.close()


def test_a_hand_made_enroll_grant_is_reported_and_removed_on_request(samba_dc, world):
    cli, names, _ = world
    cli.up()
    cli.preview("--refresh", "--expect-no-changes")  # what up made holds no extra grant
    label = f"client template {names['client']} other grants"
    assert verify_client_template(samba_dc, cli)[label].status == "pass"

    with client(samba_dc) as c:  # by hand, as an admin in certtmpl.msc would
        dn = tpl.template_dn(c, names["client"])
        sd = SecurityDescriptor.parse(c.read_dacl_sd(dn))
        assert sd.dacl.add(Ace(ACCESS_ALLOWED_OBJECT, 0, ADS_RIGHT_DS_CONTROL_ACCESS, AUTHENTICATED_USERS,
                               ENROLL_GUID))
        sd.owner = sd.group = sd.sacl = None
        c.write_dacl_sd(dn, sd.to_bytes())

    preview = cli.preview("--refresh", "--diff", check=False)
    assert "extraGrants" in preview.stdout and "Authenticated Users (S-1-5-11): Enroll" in preview.stdout, \
        preview.stdout
    r = verify_client_template(samba_dc, cli)[label]
    assert r.status == "fail" and "Authenticated Users (S-1-5-11): Enroll" in r.detail, r

    stack_file = cli.project_dir / f"Pulumi.{cli.stack}.yaml"
    doc = yaml.safe_load(stack_file.read_text())
    doc["config"]["ndes:templates"]["client"]["removeExtraGrants"] = True
    stack_file.write_text(yaml.safe_dump(doc))
    cli.up("--refresh")
    with client(samba_dc) as c:
        dn = tpl.template_dn(c, names["client"])
        dacl = SecurityDescriptor.parse(c.read_dacl_sd(dn)).dacl
        assert not any(a.sid == AUTHENTICATED_USERS and a.object_type == ENROLL_GUID for a in dacl.aces)
        service_sid = [a.sid for a in dacl.aces if a.same_grant(enroll_ace(a.sid)) and a.sid.startswith("S-1-5-21")]
        assert service_sid, "the service account's own Enroll must stay"
    assert verify_client_template(samba_dc, cli)[label].status == "pass"
    cli.preview("--refresh", "--expect-no-changes")
