"""CertificateTemplate: one certificate template (the NDES SSL or the NDES client/SCEP template) in the
Configuration partition, with its msPKI-Enterprise-Oid companion and Read + Enroll for the given principals.

Inputs are in the admin's words (kind ssl|client, validity "2 years", exportable false, ...); the raw attribute
values come from `ndes.model.templates.template_attributes` and `read` maps the live values back with
`template_settings`, so an out-of-band ldapmodify of msPKI-Private-Key-Flag shows as `exportable: true`.

- The template's OID hangs under the forest base OID (created when missing, as the console does) and stays for
  the template's life: an existing template's OID is always kept (adopt reads it from the live object).
- A change of `name` replaces the template (a template's cn is its identity for the CA and MSCEP); any other
  change updates it in place and bumps msPKI-Template-Minor-Revision, as the console does.
- Read + Enroll ACEs are added to the DACL once for each principal (sAMAccountName such as NDES1$, or a SID)
  and removed for principals dropped from the list; the output `enrollSids` records what this resource granted.
"""
from __future__ import annotations

from typing import Any, ClassVar, Literal

from .results import UpdateResult
from pydantic import field_validator

from ..directory import DirectoryClient, DirectoryError, NotFound
from ..directory import accounts as acc
from ..directory import templates as tpl
from ..directory.escape import check_name
from ..model.durations import parse_period
from ..model.field_rules import as_recorded
from ..model.template_fields import TemplateFields
from ..model.templates import CT_FLAG_MACHINE_TYPE, TemplateSettings, template_attributes, template_settings
from ..directory import replication, rights
from .base import Existing
from ._directory import DirectoryInputs, DirectoryProvider

MINOR = "msPKI-Template-Minor-Revision"
OID_ATTR = "msPKI-Cert-Template-OID"



class CertificateTemplateInputs(DirectoryInputs, TemplateFields):
    """The template's settings (ndes.model.template_fields.TemplateFields, shared with ndes:templates), its
    kind and who may enroll."""
    kind: Literal["ssl", "client"]
    display_name: str
    enroll_principals: list[str] = []
    """Who gets Read + Enroll: sAMAccountNames (NDES1$, svc-ndes, LAB\\svc-ndes) or SIDs."""
    extra_grants: list[str] = []
    """Always declared empty: read fills it with the grants found, so refresh and preview show them as drift."""

    @field_validator("enroll_principals")
    @classmethod
    def _principals(cls, v: list[str]) -> list[str]:
        out = []
        for p in v:
            check_name(p, "an enroll principal", 256)
            if p not in out:
                out.append(p)
        return out

    # read: the display name and periods a hand edit left (ADSI Edit: a 65-character name, a 200-year validity)
    _recorded_template = as_recorded("display_name", "validity", "renewal_period")

    def template(self) -> TemplateSettings:
        return TemplateSettings(kind=self.kind, name=self.name, display_name=self.display_name,
                                validity=parse_period(self.validity), renewal_period=parse_period(self.renewal_period),
                                minimum_key_size=self.minimum_key_size, key_usage=list(self.key_usage),
                                extended_key_usage=list(self.extended_key_usage), exportable=self.exportable,
                                enrollee_supplies_subject=self.enrollee_supplies_subject,
                                publish_to_ad=self.publish_to_ad)


def _resolve(c: DirectoryClient, names: list[str], strict: bool, wait: int = 0) -> dict[str, str]:
    """Principal names -> SIDs. Strict: a missing principal is retried for `wait` seconds (a computer joined
    through another site's DC reaches the write DC by replication), then NotFound."""
    out = {}
    for n in names:
        try:
            out[n] = replication.retry(lambda n=n: acc.resolve_sid(c, n), wait if strict else 0)
        except NotFound:
            if strict:
                raise
    return out


def _deployer(c: DirectoryClient) -> list[str]:
    """The bind account's SID: its delegated full control of the templates is the stack's own, not an extra grant
    (security.extra_grants)."""
    try:
        me = acc.bound_account(c)
    except DirectoryError:
        return []
    return [me.sid] if me is not None and me.sid else []


class CertificateTemplateProvider(DirectoryProvider):
    Inputs = CertificateTemplateInputs
    replace_on: ClassVar[frozenset[str]] = frozenset({"name"})

    preflight_needs: ClassVar[frozenset[str]] = frozenset({"name"})

    def preflight(self, conn: DirectoryInputs, props: dict[str, Any]) -> list[str]:
        with conn.client() as c:
            oid = c.get(tpl.oid_container_dn(c), ["msPKI-Cert-Template-OID"], kind="OID container")
            missing_base = not (oid and oid["attributes"].get("msPKI-Cert-Template-OID"))
            return [m.message(conn.bind_user) for m in rights.template_rights(c, tpl.template_dn(c, props["name"]),
                                                                                missing_base)]

    def find(self, inp: CertificateTemplateInputs) -> Existing | None:
        with inp.client() as c:
            live = tpl.read_template(c, tpl.template_dn(c, inp.name))
        return Existing(live["dn"], acc.owner_of(live)) if live else None

    def apply(self, inp: CertificateTemplateInputs, existing: Existing | None,
              olds: dict[str, Any] | None = None) -> tuple[str, dict[str, Any]]:
        olds = olds or {}
        with inp.client() as c:
            dn = tpl.template_dn(c, inp.name)
            live = tpl.read_template(c, dn)
            sids = _resolve(c, inp.enroll_principals, strict=True, wait=inp.wait_seconds())  # before writing
            desired: dict[str, Any] = dict(template_attributes(inp.template()))
            created = live is None
            oid = live.get(OID_ATTR) if live else None
            if not oid:
                oid = tpl.new_template_oid(tpl.forest_base_oid(c))
            desired[OID_ATTR] = oid
            if live is not None:
                others = {k: v for k, v in desired.items() if k != MINOR}
                probe = {k: v for k, v in others.items()
                         if (sorted(live.get(k) or []) != sorted(v) if k in tpl.MULTI_ATTRS else live.get(k) != v)}
                desired[MINOR] = int(live.get(MINOR, 0)) + 1 if probe else int(live.get(MINOR, 0))
            owner_attr = acc.OWNER_PREFIX + inp.owner if inp.owner else None
            tpl.write_template(c, dn, desired, live, owner_attr)
            try:
                tpl.ensure_oid_object(c, oid, inp.display_name)
                dropped = [s for s in (olds.get("enrollSids") or []) if s not in sids.values()]
                if dropped:
                    tpl.revoke(c, dn, dropped)
                tpl.grant(c, dn, list(sids.values()))
                if inp.remove_extra_grants:
                    tpl.remove_grants(c, dn, list(sids.values()), _deployer(c))
            except DirectoryError:
                if created:  # leave nothing half-created
                    c.delete(dn, kind="certificate template")
                    tpl.delete_oid_objects(c, oid)
                raise
            out = self._live(c, dn, inp)
        if out is None:
            raise DirectoryError(f"failed to read certificate template '{inp.name}' on {inp.ldap_url} after writing it")
        out["enrollSids"] = list(sids.values())
        return out["dn"], out

    def _live(self, c: DirectoryClient, dn: str, inp: CertificateTemplateInputs) -> dict[str, Any] | None:
        live = tpl.read_template(c, dn)
        if live is None:
            return None
        words = template_settings(inp.kind, live.get("cn") or inp.name, live)
        sids = _resolve(c, inp.enroll_principals, strict=False)
        have = set(tpl.granted(c, dn, list(sids.values())))
        return {
            "kind": "ssl" if int(live.get("flags", 0)) & CT_FLAG_MACHINE_TYPE else "client",
            "name": words.name,
            "displayName": words.display_name,
            "validity": str(words.validity),
            "renewalPeriod": str(words.renewal_period),
            "minimumKeySize": words.minimum_key_size,
            "keyUsage": words.key_usage,
            "extendedKeyUsage": words.extended_key_usage,
            "exportable": words.exportable,
            "enrolleeSuppliesSubject": words.enrollee_supplies_subject,
            "publishToAd": words.publish_to_ad,
            "enrollPrincipals": [n for n, s in sids.items() if s in have],
            "extraGrants": [str(g) for g in tpl.audit_grants(c, dn, list(sids.values()), _deployer(c))],
            "dn": live["dn"],
            "oid": live.get(OID_ATTR) or "",
            "schemaVersion": int(live.get("msPKI-Template-Schema-Version", 0)),
            "minorRevision": int(live.get(MINOR, 0)),
        }

    def get(self, id_: str, inp: CertificateTemplateInputs) -> dict[str, Any] | None:
        with inp.client() as c:
            return self._live(c, tpl.template_dn(c, inp.name), inp)

    def remove(self, id_: str, inp: CertificateTemplateInputs) -> None:
        with inp.client() as c:
            dn = tpl.template_dn(c, inp.name)
            live = tpl.read_template(c, dn)
            if live is None:
                return
            c.delete(dn, kind="certificate template")
            if live.get(OID_ATTR):
                tpl.delete_oid_objects(c, live[OID_ATTR])

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        inp = self.parse(news)
        new_id, live = self.apply(inp, self.find(inp) or Existing(id_), olds=olds)
        return UpdateResult(self._outs(inp, new_id, live))
