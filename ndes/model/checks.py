"""Cross-checks the seed guide makes in prose, run before anything touches a server.

Each returns Problems naming the config key to change and how.
"""
from __future__ import annotations

from .azure import azure_host_problems
from .config import DeploymentConfig
from .errors import Problem, set_hint
from .identities import IDENTITY_CHECKS
from .keyusage import mscep_value_for, template_purpose, PURPOSES
from .rules import (INSECURE_TLS_STACKS, key_too_small, missing_names, same_server, template_serves,
                    tls_off_allowed)
from .profile_checks import PROFILE_CHECKS
from .urls import external_url_problem


def check_key_usage_chain(c: DeploymentConfig) -> list[Problem]:
    """SCEP key usage <-> MSCEP registry value <-> client template purpose."""
    out: list[Problem] = []
    purpose = template_purpose(c.templates.client.key_usage)
    served = c.templates.clients_by_mscep_value()
    if c.intune.scep_profiles or c.templates.more_clients:  # each profile's key usage must find its template
        for key, prof, _ in c.intune.scep_profile_entries():
            wanted = mscep_value_for(prof.key_usage)
            if wanted not in served:
                who = f"profile '{prof.name}'" if c.intune.scep_profiles else "intune.scep"  # type: ignore[attr-defined]
                have = ", ".join(f"{k} ({PURPOSES[v]})" for v, (k, _) in served.items()) or "none with a purpose"
                out.append(Problem(
                    f"{key}.keyUsage",
                    f"{who} asks for key usage {', '.join(prof.key_usage)}: the Intune connector reads MSCEP "
                    f"{wanted} for it, which needs a client template whose purpose is '{PURPOSES[wanted]}'; the "
                    f"client templates are {have}: no template issues this profile's certificates",
                    f"add a template with that purpose under templates.moreClients (keyUsage "
                    f"{', '.join(prof.key_usage)}), or give {key}.keyUsage the key usage of a template above"))
        return out
    wanted = mscep_value_for(c.intune.scep.key_usage)
    if not template_serves(wanted, c.templates.client.key_usage):
        out.append(Problem(
            "templates.client.keyUsage",
            f"the SCEP profiles' key usage ({', '.join(c.intune.scep.key_usage)}) makes the Intune connector read "
            f"MSCEP {wanted}, which needs a template whose purpose is '{PURPOSES[wanted]}', but the client "
            f"template's key usage ({', '.join(c.templates.client.key_usage) or 'none'}) gives "
            f"'{purpose or 'no signature or encryption purpose'}'",
            "give templates.client.keyUsage the same digitalSignature/keyEncipherment as intune.scep.keyUsage",
        ))
    return out


def check_key_sizes(c: DeploymentConfig) -> list[Problem]:
    """The templates' own minimums (each SCEP profile against its template: profile_checks)."""
    out: list[Problem] = []
    if key_too_small(c.templates.client.minimum_key_size):
        out.append(Problem("templates.client.minimumKeySize", f"{c.templates.client.minimum_key_size} is below "
                           "2048, the minimum the guide asks for", set_hint("templates.client.minimumKeySize", "2048")))
    if key_too_small(c.templates.ssl.minimum_key_size):
        out.append(Problem("templates.ssl.minimumKeySize", "the SSL template needs at least 2048-bit keys",
                           set_hint("templates.ssl.minimumKeySize", "2048")))
    if key_too_small(c.ssl_certificate.key_size, c.templates.ssl.minimum_key_size):
        out.append(Problem("sslCertificate.keySize", f"{c.ssl_certificate.key_size} is below the SSL template's "
                           f"minimum of {c.templates.ssl.minimum_key_size}",
                           set_hint("sslCertificate.keySize", str(c.templates.ssl.minimum_key_size))))
    return out


def check_hosts(c: DeploymentConfig) -> list[Problem]:
    out: list[Problem] = []
    for i, h in enumerate(c.ndes_hosts):
        if same_server(h.fqdn, c.ca.host):
            out.append(Problem(f"ndesHosts[{i}].fqdn", f"{h.fqdn} is also the CA (ca.host): the guide requires the "
                               "CA and the NDES server to be separate servers",
                               "put NDES on another server than the Enterprise CA"))
    seen: dict[str, int] = {}
    for i, h in enumerate(c.ndes_hosts):
        for what, value in (("fqdn", h.fqdn), ("externalUrl", h.scep_url)):
            key = f"{what}={value}"
            if key in seen:
                out.append(Problem(f"ndesHosts[{i}].{what}", f"{value} is already used by ndesHosts[{seen[key]}]",
                                   "each NDES server needs its own host name and its own published URL"))
            seen.setdefault(key, i)
    short: dict[str, int] = {}
    for i, h in enumerate(c.ndes_hosts):
        name = h.short_name.casefold()
        if name in short:
            out.append(Problem(f"ndesHosts[{i}].fqdn", f"the short name {h.short_name} is already used by "
                               f"ndesHosts[{short[name]}]: both would be the computer account {h.computer_account}",
                               "give each NDES server its own host name (the first DNS label)"))
        short.setdefault(name, i)
    return out


def check_external_urls(c: DeploymentConfig) -> list[Problem]:
    """App Proxy's default domain only (the tenant's own suffix is checked against Graph at preview)."""
    out: list[Problem] = []
    for i, h in enumerate(c.ndes_hosts):
        why = external_url_problem(h.external_url, None)
        if why:
            out.append(Problem(f"ndesHosts[{i}].externalUrl", why,
                               f"publish {h.fqdn} as https://{h.short_name}-<tenant prefix>.msappproxy.net/ (the "
                               "prefix is your <prefix>.onmicrosoft.com initial domain)"))
    return out


def check_ssl_names(c: DeploymentConfig) -> list[Problem]:
    out: list[Problem] = []
    for i, h in enumerate(c.ndes_hosts):
        _, names = c.ssl_names_of(h)
        internal_host = h.internal.split("://", 1)[1].split("/", 1)[0].split(":", 1)[0]
        if missing_names(names, [internal_host]):
            out.append(Problem(f"ndesHosts[{i}].internalUrl", f"App Proxy would reach NDES as {internal_host}, a name "
                               f"the SSL certificate does not hold ({', '.join(names)})",
                               "point internalUrl at the NDES host's FQDN or add the name to "
                               "sslCertificate.subjectAlternativeNames"))
    return out


def check_client_template(c: DeploymentConfig) -> list[Problem]:
    out: list[Problem] = []
    t = c.templates.client
    if "clientAuth" not in t.extended_key_usage and "anyPurpose" not in t.extended_key_usage:
        out.append(Problem("templates.client.extendedKeyUsage", "the client template lacks Client Authentication, "
                           "which the guide requires under Application Policies", "add clientAuth"))
    if not t.enrollee_supplies_subject:
        out.append(Problem("templates.client.enrolleeSuppliesSubject", "NDES passes the device's subject in the "
                           "request: the template must take the subject from the request",
                           set_hint("templates.client.enrolleeSuppliesSubject", "true")))
    if not c.templates.ssl.enrollee_supplies_subject:
        out.append(Problem("templates.ssl.enrolleeSuppliesSubject", "the SSL certificate's names are supplied in the "
                           "request (CN and both FQDNs)", set_hint("templates.ssl.enrolleeSuppliesSubject", "true")))
    if "serverAuth" not in c.templates.ssl.extended_key_usage:
        out.append(Problem("templates.ssl.extendedKeyUsage", "the SSL template needs Server Authentication",
                           "add serverAuth"))
    if t.name.casefold() == c.templates.ssl.name.casefold():
        out.append(Problem("templates.client.name", "the client and SSL templates need different names (AD compares "
                           "template names ignoring case)", "rename one of them"))
    for key, tpl in (("templates.ssl", c.templates.ssl), ("templates.client", t)):
        if tpl.renewal.hours >= tpl.validity_period.hours:
            out.append(Problem(f"{key}.renewalPeriod", f"the renewal period ({tpl.renewal_period}) is not shorter "
                               f"than the validity ({tpl.validity}): certificates would renew as soon as issued",
                               f"set {key}.renewalPeriod shorter than {key}.validity"))
    return out


def check_tls(c: DeploymentConfig, stack: str | None = None) -> list[Problem]:
    if tls_off_allowed(stack):
        return []
    where = f"stack '{stack}'" if stack else "a stack whose name is not known"
    fix = f"give caBundle instead and remove it (it is accepted only on the stacks {', '.join(INSECURE_TLS_STACKS)})"
    opts = [("domain", c.domain), ("graph", c.graph), ("winrm", c.winrm), ("ca.winrm", c.ca.winrm)]
    opts += [(f"ndesHosts[{i}].winrm", h.winrm) for i, h in enumerate(c.ndes_hosts)]
    return [Problem(f"{key}.insecureSkipTlsVerify", f"TLS verification is off on {where}: anyone on the path could "
                    "pose as the server and read the credentials", fix)
            for key, opt in opts if opt is not None and opt.insecure_skip_tls_verify]


ALL_CHECKS = (check_key_usage_chain, check_key_sizes, check_hosts, check_external_urls, check_ssl_names,
              check_client_template, *PROFILE_CHECKS, azure_host_problems, *IDENTITY_CHECKS)


def cross_check(c: DeploymentConfig, stack: str | None = None) -> list[Problem]:
    """Every cross-check; `stack` is the Pulumi stack's name (None when unknown: TLS verification cannot be off)."""
    out: list[Problem] = []
    for check in ALL_CHECKS:
        out.extend(check(c))
    out.extend(check_tls(c, stack))
    return out
