"""Cross-checks of each SCEP profile (the intune.scep shorthand, or every intune.scepProfiles entry) against the
client template that issues its certificates: the one its key usage picks through NDES's MSCEP mapping
(SignatureTemplate / EncryptionTemplate / GeneralPurposeTemplate, ndes.model.keyusage).

Each Problem names the profile's own key (`intune.scep.keySize`, `intune.scepProfiles[1].validity`) or the
template's (`templates.moreClients[0].keyUsage`), so a stack with several profiles learns which one is wrong.
A profile whose key usage no template serves is reported by checks.check_key_usage_chain; the checks here skip it.
"""
from __future__ import annotations

from .config import ClientTemplateConfig, DeploymentConfig, ScepConfig
from .errors import Problem, set_hint
from .graph_enums import PLATFORMS, subject_name_problem
from .keyusage import mscep_value_for
from .rules import apple_refuses, key_too_small, uncovered


def profile_templates(c: DeploymentConfig) -> list[tuple[str, ScepConfig, list[str], str, ClientTemplateConfig]]:
    """(profile key, profile, platforms, template key, template) for every SCEP profile a template serves. The
    shorthand with one client template is compared with templates.client whatever its purpose (the key usage chain
    check names a mismatch there)."""
    served = c.templates.clients_by_mscep_value()
    single = not c.intune.scep_profiles and not c.templates.more_clients
    out = []
    for key, prof, platforms in c.intune.scep_profile_entries():
        hit = ("templates.client", c.templates.client) if single else served.get(mscep_value_for(prof.key_usage))
        if hit is not None:
            out.append((key, prof, platforms, hit[0], hit[1]))
    return out


def _who(key: str, prof: ScepConfig, verb: str) -> str:
    """'profile 'VPN user' asks' for a named profile, 'the SCEP profiles ask' for the shorthand."""
    name = getattr(prof, "name", None)
    return f"profile '{name}' {verb}{'es' if verb.endswith('o') else 's'}" if name else f"the SCEP profiles {verb}"


def check_profile_key_sizes(c: DeploymentConfig) -> list[Problem]:
    out: list[Problem] = []
    served = {key: (tkey, t) for key, _, _, tkey, t in profile_templates(c)}
    for key, prof, _ in c.intune.scep_profile_entries():
        if key_too_small(prof.key_size):
            out.append(Problem(f"{key}.keySize", f"{prof.key_size}-bit keys are too weak: NDES and Intune need at "
                               "least 2048", set_hint(f"{key}.keySize", "2048")))
            continue
        if key in served and prof.key_size < served[key][1].minimum_key_size:
            tkey, t = served[key]
            out.append(Problem(f"{key}.keySize", f"devices would make {prof.key_size}-bit keys but the client "
                               f"template {t.name} ({tkey}) requires at least {t.minimum_key_size}: the CA would "
                               "refuse every request", set_hint(f"{key}.keySize", str(t.minimum_key_size))))
    return out


def check_profile_templates(c: DeploymentConfig) -> list[Problem]:
    """Each profile's EKUs and validity against its template; Apple platforms against nonRepudiation."""
    out: list[Problem] = []
    for key, prof, platforms, tkey, t in profile_templates(c):
        missing = [e for e in prof.extended_key_usage
                   if e not in t.extended_key_usage and "anyPurpose" not in t.extended_key_usage]
        if missing:
            out.append(Problem(f"{key}.extendedKeyUsage", f"{_who(key, prof, 'ask')} for {', '.join(missing)} which the "
                               f"client template {t.name} does not allow",
                               f"add them to {tkey}.extendedKeyUsage or remove them"))
        v = prof.validity_period
        if v.hours > t.validity_period.hours:
            out.append(Problem(f"{key}.validity", f"{_who(key, prof, 'ask')} for {v} but the client template {t.name} "
                               f"issues at most {t.validity}: devices would get the shorter one",
                               f"set {key}.validity to {t.validity} or less"))
        apple = [p for p in platforms if apple_refuses(p, t.key_usage)]
        if apple:
            out.append(Problem(f"{tkey}.keyUsage", f"nonRepudiation is set but {_who(key, prof, 'target')} "
                               f"{', '.join(apple)}: iOS/macOS devices refuse a SCEP certificate whose template has "
                               "'Signature is proof of origin'", f"remove nonRepudiation from {tkey}.keyUsage"))
    return out


def check_profile_platform_fields(c: DeploymentConfig) -> list[Problem]:
    """Settings a platform's profile type does not offer: refused here, never dropped on the way to Graph."""
    out: list[Problem] = []
    for key, prof, platforms in c.intune.scep_profile_entries():
        fmt = prof.subject_name_format
        refusing = [PLATFORMS[p] for p in platforms if subject_name_problem(p, fmt)]
        if not refusing:
            continue
        allowed = [f for f in PLATFORMS[refusing[0].name].subject_name_formats
                   if all(f in p.subject_name_formats for p in refusing)]
        where = "intune.platforms" if key == "intune.scep" else f"{key}.platforms"
        out.append(Problem(f"{key}.subjectNameFormat",
                           f"{fmt} is not offered for {', '.join(p.title for p in refusing)} profiles (Graph's "
                           f"appleSubjectNameFormat has no device-id formats); those platforms accept "
                           f"{', '.join(allowed)}",
                           "use custom with a subjectName such as CN={{AAD_Device_ID}}, or one of the formats listed, "
                           f"or remove the platform from {where}"))
    return out


def check_profile_groups(c: DeploymentConfig) -> list[Problem]:
    roots = {g.key for g in c.intune.trusted_root_groups}
    out: list[Problem] = []
    for key, prof, _ in c.intune.scep_profile_entries():
        keys = uncovered([g.key for g in prof.include_groups], roots)
        missing = [g for g in prof.include_groups if g.key in keys]
        if missing:
            names = ", ".join(g.id or g.name or "" for g in missing)
            follow = "intune.scep.groups" if key == "intune.scep" else "the SCEP profiles' include groups"
            out.append(Problem("intune.trustedRoot.groups", f"{_who(key, prof, 'go')} to {names} but the trusted root "
                               "does not: devices there would refuse the certificate's chain",
                               f"add those groups to intune.trustedRoot.groups (or leave it unset to follow {follow})"))
    return out


PROFILE_CHECKS = (check_profile_key_sizes, check_profile_templates, check_profile_platform_fields,
                  check_profile_groups)
