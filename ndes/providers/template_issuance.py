"""TemplateIssuance: a template issued by an Enterprise CA, i.e. its name in `certificateTemplates` of the CA's
pKIEnrollmentService object (CN=<ndes:ca.commonName>,CN=Enrollment Services,...).

`issued` is an input (true): `read` reports the live value, so a name removed out of band shows as
`issued: false` and the next `pulumi up` issues it again. Delete removes only this template's name; the other
names on the CA stay. A name already on the CA when the resource is created belongs to this stack when the
template carries this stack's owner mark (a template it created); otherwise `adopt: true` is needed.
"""
from __future__ import annotations

from typing import Any, ClassVar

from pydantic import field_validator

from ..directory import DirectoryError, NotFound
from ..directory import accounts as acc
from ..directory import issuance as iss
from ..directory import templates as tpl
from ..directory.escape import check_name
from ..directory import rights
from .base import Existing
from ._directory import DirectoryInputs, DirectoryProvider


class TemplateIssuanceInputs(DirectoryInputs):
    ca_common_name: str
    template_name: str
    issued: bool = True

    @field_validator("ca_common_name")
    @classmethod
    def _ca(cls, v: str) -> str:
        return check_name(v, "the CA common name", 64)

    @field_validator("template_name")
    @classmethod
    def _tpl(cls, v: str) -> str:
        return check_name(v, "a template name", 64)


def _stack(owner: str | None) -> str:
    return owner.rsplit("/", 1)[0] if owner and "/" in owner else ""


class TemplateIssuanceProvider(DirectoryProvider):
    Inputs = TemplateIssuanceInputs
    replace_on: ClassVar[frozenset[str]] = frozenset({"caCommonName", "templateName"})

    @staticmethod
    def _id(inp: TemplateIssuanceInputs) -> str:
        return f"{inp.ca_common_name}/{inp.template_name}"

    preflight_needs: ClassVar[frozenset[str]] = frozenset({"caCommonName"})

    def preflight(self, conn: DirectoryInputs, props: dict[str, Any]) -> list[str]:
        with conn.client() as c:
            return [m.message(conn.bind_user)
                    for m in rights.issuance_rights(c, iss.enrollment_service_dn(c, props["caCommonName"]))]

    def find(self, inp: TemplateIssuanceInputs) -> Existing | None:
        with inp.client() as c:
            if not iss.is_issued(c, inp.ca_common_name, inp.template_name):
                return None
            live = tpl.read_template(c, tpl.template_dn(c, inp.template_name))
        ours = live is not None and inp.owner and _stack(acc.owner_of(live)) == _stack(inp.owner)
        return Existing(self._id(inp), inp.owner if ours else None)

    def apply(self, inp: TemplateIssuanceInputs, existing: Existing | None) -> tuple[str, dict[str, Any]]:
        with inp.client() as c:
            if inp.issued:
                if tpl.read_template(c, tpl.template_dn(c, inp.template_name)) is None:
                    raise NotFound(f"failed to issue template '{inp.template_name}' on CA '{inp.ca_common_name}': "
                                   f"the template does not exist in {tpl.templates_dn(c)}")
                iss.add(c, inp.ca_common_name, inp.template_name)
            else:
                iss.remove(c, inp.ca_common_name, inp.template_name)
            live = self._live(c, inp)
        if inp.issued:  # the CA's own view decides issuance: wait until the DCs it and the hosts read agree

            def visible(r) -> bool:
                return (tpl.read_template(r, tpl.template_dn(r, inp.template_name)) is not None
                        and iss.is_issued(r, inp.ca_common_name, inp.template_name))

            inp.wait_for_readers(visible, f"template '{inp.template_name}' issued on CA '{inp.ca_common_name}'")
        if live is None:
            raise DirectoryError(f"failed to read enrollment service '{inp.ca_common_name}' on {inp.ldap_url}")
        return self._id(inp), live

    def _live(self, c, inp: TemplateIssuanceInputs) -> dict[str, Any] | None:
        try:
            issued = iss.is_issued(c, inp.ca_common_name, inp.template_name)
        except NotFound:
            return None
        return {"caCommonName": inp.ca_common_name, "templateName": inp.template_name, "issued": issued,
                "enrollmentServiceDn": iss.enrollment_service_dn(c, inp.ca_common_name)}

    def get(self, id_: str, inp: TemplateIssuanceInputs) -> dict[str, Any] | None:
        with inp.client() as c:
            return self._live(c, inp)

    def remove(self, id_: str, inp: TemplateIssuanceInputs) -> None:
        with inp.client() as c:
            iss.remove(c, inp.ca_common_name, inp.template_name)
