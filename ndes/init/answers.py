"""The questions `ndes init` asks (what it cannot discover), and where the answers come from: a YAML/JSON answers
file in the shape of the stack's `ndes:` keys (without the `ndes:` prefix), else a prompt on the terminal.

A value may be written as `{env: NAME}`: read from the environment now (a secret then goes into the stack encrypted
with `pulumi config set --secret`), or as `{fromEnv: NAME}`: kept as it is, for the program to read at run time (as
Pulumi.lab.yaml and CI do). Keys of the answers file that are not questions (for example `winrm.operationTimeoutSeconds`,
a host's `winrm.url`, `intune.platforms`) are written as given: the file may hold any key of docs/ (README
"Configuration").
"""
from __future__ import annotations

import getpass
import os
import secrets
import string
import sys
from dataclasses import dataclass
from typing import Any, Callable, TextIO


@dataclass(frozen=True)
class Question:
    key: str
    """dotted path under `ndes:` (e.g. domain.bindUser)"""
    prompt: str
    secret: bool = False
    required: bool = True
    default: str | None = None
    when: Callable[[dict], bool] | None = None
    """asked only when this holds for the answers so far (e.g. a password only with its user)"""


def _has(key: str) -> Callable[[dict], bool]:
    return lambda a: bool(get(a, key))


QUESTIONS: list[Question] = [
    Question("domain.ldapUrl", "LDAPS URL of a domain controller (ldaps://dc1.contoso.com:636)"),
    Question("domain.caBundle", "PEM file of the CA that issued the DC's LDAPS certificate (empty: the system store)",
             required=False),
    Question("domain.bindUser", "AD bind account (pulumi-ndes@contoso.com; docs/identities.md)"),
    Question("domain.bindPassword", "its password", secret=True),
    Question("domain.spnAdminUser", "a Domain Admin that only writes the http/<host> SPN (empty: the bind account is "
             "an administrator)", required=False),
    Question("domain.spnAdminPassword", "its password", secret=True, when=_has("domain.spnAdminUser")),
    Question("ndesHosts", "NDES host FQDNs, comma-separated (ndes1.contoso.com)"),
    Question("winrm.username", "NDES-host WinRM account, local admin there (CONTOSO\\pulumi-winrm)"),
    Question("winrm.password", "its password", secret=True),
    Question("ca.winrm.username", "CA-host WinRM account, local admin on the CA only (CONTOSO\\pulumi-ca)"),
    Question("ca.winrm.password", "its password", secret=True, when=_has("ca.winrm.username")),
    Question("ndesRole.installCredential.username", "Domain Admins member for the NDES install (CONTOSO\\ndes-install)"),
    Question("ndesRole.installCredential.password", "its password", secret=True),
    Question("serviceAccount.name", "NDES service account to create", default="svc-ndes"),
    Question("serviceAccount.ou", "OU to create it in (empty: CN=Users)", required=False),
    Question("serviceAccount.password", "its password (empty: a random one)", secret=True, required=False),
    Question("graph.tenantId", "Entra tenant id"),
    Question("graph.clientId", "Intune Graph app's client id (docs/identities.md, Intune Graph app)"),
    Question("graph.credential", "its credential: clientSecret, certificate or workloadIdentity", default="clientSecret"),
    Question("graph.clientSecret", "its client secret", secret=True, when=lambda a: get(a, "graph.credential") == "clientSecret"),
    Question("graph.certificatePath", "PEM file with its certificate and key", when=lambda a: get(a, "graph.credential") == "certificate"),
    Question("graph.appProxy.credential", "App Proxy admin sign-in: azureCli, deviceCode or none", default="azureCli"),
    Question("ndesRole.raCompany", "RA company (the RA certificates' O=)", required=False),
    Question("ndesRole.raCountry", "RA country, two letters", required=False),
]

SECRET_KEYS = {q.key for q in QUESTIONS if q.secret}


class MissingAnswers(Exception):
    def __init__(self, keys: list[str]):
        self.keys = keys
        super().__init__("no answer for " + ", ".join(f"ndes:{k}" for k in keys) +
                         ": add them to the answers file (or run ndes init on a terminal to be asked)")


def get(doc: dict, dotted: str) -> Any:
    node: Any = doc
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def put(doc: dict, dotted: str, value: Any) -> None:
    *parents, last = dotted.split(".")
    node = doc
    for part in parents:
        node = node.setdefault(part, {})
    node[last] = value


def pop(doc: dict, dotted: str) -> Any:
    *parents, last = dotted.split(".")
    node: Any = doc
    for part in parents:
        node = node.get(part) if isinstance(node, dict) else None
    return node.pop(last, None) if isinstance(node, dict) else None


def resolve(value: Any, key: str) -> Any:
    """`{env: NAME}` -> the variable's value now (ValueError naming the key when unset); anything else as is."""
    if isinstance(value, dict) and set(value) == {"env"}:
        name = str(value["env"])
        if name not in os.environ:
            raise ValueError(f"ndes:{key}: the answers file reads ${name}, which is not set")
        return os.environ[name]
    return value


def live(value: Any) -> Any:
    """The value to use for discovery now: `{fromEnv: NAME}` read from the environment as the program would (the
    model's resolver); None when the variable is not set (the validation that follows names the key)."""
    from ..model.env_refs import resolve_env_refs
    return resolve_env_refs(value, "", [], os.environ)


def random_password(length: int = 32) -> str:
    """A password AD's complexity rules accept (all four character classes)."""
    classes = [string.ascii_lowercase, string.ascii_uppercase, string.digits, "!#%+-.:=?@_~"]
    chars = [secrets.choice(c) for c in classes] + [secrets.choice("".join(classes)) for _ in range(length - 4)]
    secrets.SystemRandom().shuffle(chars)
    return "".join(chars)


def complete(answers: dict, interactive: bool, out: TextIO = sys.stderr) -> dict:
    """Every question answered: from the file, its default, or a prompt; MissingAnswers when unattended."""
    missing = []
    for q in QUESTIONS:
        if q.when is not None and not q.when(answers):
            continue
        current = get(answers, q.key)
        if current not in (None, ""):
            put(answers, q.key, resolve(current, q.key))
            continue
        if q.default is not None and not interactive:
            put(answers, q.key, q.default)
            continue
        if interactive:
            hint = f" [{q.default}]" if q.default else ""
            out.write(f"ndes:{q.key} - {q.prompt}{hint}: ")
            out.flush()
            value = getpass.getpass("") if q.secret else input().strip()
            value = value or (q.default or "")
            if value:
                put(answers, q.key, value.split(",") if q.key == "ndesHosts" else value)
                continue
        if q.required:
            missing.append(q.key)
    if missing:
        raise MissingAnswers(missing)
    if not get(answers, "serviceAccount.password"):
        put(answers, "serviceAccount.password", random_password())
    return answers
