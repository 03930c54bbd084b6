"""The MSCEP registry mapping (MscepTemplateMapping) agrees with the SCEP profiles' key usage and with the
client template's purpose (a stack policy).

Intune's connector reads the MSCEP value that the SCEP key usage selects: digitalSignature -> SignatureTemplate,
keyEncipherment -> EncryptionTemplate, both -> GeneralPurposeTemplate (ndes.model.keyusage); the template named
there must have the matching Request Handling purpose (Signature / Encryption / Signature and encryption).
Without a MscepTemplateMapping in the stack, the SCEP profiles are compared with the client template directly.
With templates.moreClients the mapping also writes the other purposes' values (its `additional` input): a SCEP
profile may select any value the mapping writes, and each template named there must have that value's purpose.
"""
from __future__ import annotations

from typing import Any

from pulumi_policy import EnforcementLevel, ReportViolation, StackValidationPolicy

from ndes.model.keyusage import PURPOSES, mscep_value_for, normalize_key_usage, template_purpose
from ndes.model.rules import template_serves

from ._common import as_list, config_key, known_str, message, resources_of

KIND = "MscepTemplateMapping"
WHY = ("NDES hands every SCEP request to the template named in the MSCEP registry value the key usage selects; "
       "a template with another purpose, or a value left pointing elsewhere, makes the CA refuse the devices' "
       "requests")


def _ku(value: Any) -> list[str] | None:
    ku = as_list(value)
    if ku is None:
        return None
    try:
        return normalize_key_usage([str(k) for k in ku])
    except ValueError:
        return None


def _mscep_value(ku: list[str] | None) -> str | None:
    if not ku:
        return None
    try:
        return mscep_value_for(ku)
    except ValueError:
        return None


def validate(args: Any, report_violation: ReportViolation) -> None:
    mappings = list(resources_of(args, KIND))
    sceps = [(r, p, _ku(p.get("keyUsage"))) for r, p in resources_of(args, "ScepProfile")]
    clients = [(r, p) for r, p in resources_of(args, "CertificateTemplate") if p.get("kind") == "client"]

    def check_template(urn: str, value: str, template: tuple[Any, dict[str, Any]], source: str) -> None:
        tr, tp = template
        tku = _ku(tp.get("keyUsage"))
        if tku is None:
            return
        if not template_serves(value, tku):
            purpose = template_purpose(tku)
            report_violation(message(
                f"{source} selects MSCEP {value}, which needs a template whose purpose is '{PURPOSES[value]}', but "
                f"client template '{tp.get('name')}' ({', '.join(tku) or 'no key usage'}) has purpose "
                f"'{purpose or 'neither signature nor encryption'}'",
                WHY, config_key(tp, "ndes:templates.client", "keyUsage"),
                "give it the same digitalSignature/keyEncipherment as ndes:intune.scep.keyUsage"), urn)

    for mr, mp in mappings:
        mku = _ku(mp.get("keyUsage"))
        value = _mscep_value(mku)
        if value is None:
            continue
        # templates.moreClients: the other purposes' values the mapping writes (MSCEP value -> template name)
        additional = {k: v for k, v in (mp.get("additional") or {}).items() if k in PURPOSES} \
            if isinstance(mp.get("additional"), dict) else {}
        written = {value, *additional}
        for sr, sp, sku in sceps:
            wanted = _mscep_value(sku) if sku is not None else None
            if wanted is not None and wanted not in written:
                report_violation(message(
                    f"the MSCEP mapping on {(mp.get('endpoint') or {}).get('host', '?')} writes "
                    f"{', '.join(sorted(written))} (key usage {', '.join(mku or [])}"
                    f"{', templates.moreClients' if additional else ''}) but SCEP profile '{sp.get('displayName')}' "
                    f"asks for {', '.join(sku or [])} ({wanted})", WHY,
                    config_key(sp, "ndes:intune.scep", "keyUsage"),
                    "give that profile the key usage of a client template, or add a template with that purpose "
                    "under ndes:templates.moreClients; the MSCEP mapping follows them"), mr.urn)
        for extra_value, extra_name in additional.items():
            named = [t for t in clients if t[1].get("name") == known_str(extra_name)]
            if named:
                check_template(mr.urn, extra_value, named[0], f"the MSCEP mapping ({extra_value})")
        name = known_str(mp.get("templateName"))
        if name is None:
            continue
        named = [t for t in clients if t[1].get("name") == name]
        if named:
            check_template(mr.urn, value, named[0], f"the MSCEP mapping (key usage {', '.join(mku or [])})")
        elif clients:
            report_violation(message(
                f"the MSCEP mapping names template '{name}' but the stack's client template is "
                f"'{clients[0][1].get('name')}'", WHY, "ndes:templates.client.name",
                "let the mapping follow the client template (it is derived, never typed by hand)"), mr.urn)

    if not mappings and clients:
        seen: set[str] = set()
        for sr, sp, sku in sceps:
            value = _mscep_value(sku)
            if value is not None and value not in seen:  # one message per key usage, not one per platform
                seen.add(value)
                check_template(sr.urn, value, clients[0],
                               f"SCEP profile '{sp.get('displayName')}' (key usage {', '.join(sku or [])})")


mscep_consistent = StackValidationPolicy(
    name="mscep-mapping-consistent",
    description="The MSCEP template mapping matches the SCEP key usage and the client template's purpose.",
    validate=validate,
    enforcement_level=EnforcementLevel.MANDATORY,
)

POLICIES = [mscep_consistent]
