"""`ndes init --stack NAME [--answers FILE] [--project-dir DIR] [--force]`: asks for what it cannot discover (see
answers.py), discovers the rest read-only (discover.py), validates the whole configuration as `pulumi preview`
would (ndes.model.load_config), writes Pulumi.<stack>.yaml and sets every secret with
`pulumi config set --secret --path` (the value on stdin: never on a command line, never printed).
"""
from __future__ import annotations

import argparse
import copy
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from . import answers as A
from . import discover


class InitError(Exception):
    pass


def add_parser(sub: Any, func: Any) -> None:
    p = sub.add_parser("init", help="write a first Pulumi.<stack>.yaml: asks what it cannot discover, discovers the "
                                    "rest read-only (AD rootDSE and enrollment services, the tenant's domain)")
    p.add_argument("--stack", required=True, help="the stack to create or fill (e.g. prod)")
    p.add_argument("--answers", help="a YAML/JSON file with the answers (the ndes: keys, without the prefix): "
                                     "runs unattended")
    p.add_argument("--project-dir", default=".", help="the Pulumi project directory (default: .)")
    p.add_argument("--force", action="store_true", help="replace the ndes: keys of an existing Pulumi.<stack>.yaml")
    p.set_defaults(func=func)


def _read_text(path: Any) -> str | None:
    path = A.live(path)
    return Path(path).read_text() if path else None


def discover_directory(ans: dict, echo) -> None:
    from ..directory import DirectoryClient, DirectorySettings
    d = ans["domain"]
    settings = DirectorySettings(str(A.live(d["ldapUrl"])), str(A.live(d["bindUser"])),
                                 str(A.live(d["bindPassword"])), ca_bundle=_read_text(d.get("caBundle")),
                                 start_tls=bool(d.get("startTls", False)))
    client = DirectoryClient.connect(settings)
    try:
        dom = discover.domain(client)
        cas = discover.enterprise_cas(client)
    finally:
        client.close()
    d.setdefault("dnsName", dom.dns_name)
    d.setdefault("netbiosName", dom.netbios_name)
    echo(f"domain: {dom.dns_name} (NetBIOS {dom.netbios_name}), naming context {dom.domain_dn}, configuration "
         f"{dom.config_dn}")
    ca = ans.setdefault("ca", {})
    if not cas:
        raise InitError(f"no Enterprise CA in CN=Enrollment Services of {dom.config_dn}: install AD CS as an "
                        "Enterprise CA first (docs/getting-started.md)")
    want = ca.get("commonName")
    chosen = [c for c in cas if want is None or c.common_name.lower() == str(want).lower()]
    if len(chosen) != 1:
        names = ", ".join(f"'{c.common_name}' on {c.host}" for c in cas)
        raise InitError(f"choose the Enterprise CA with ca.commonName in the answers (found: {names})")
    ca.setdefault("commonName", chosen[0].common_name)
    ca.setdefault("host", chosen[0].host)
    echo(f"Enterprise CA: '{ca['commonName']}' on {ca['host']}")


def discover_tenant(ans: dict, echo) -> None:
    hosts = ans["ndesHosts"]
    if all(h.get("externalUrl") for h in hosts):
        return
    initial = ans.pop("tenantInitialDomain", None)
    if not initial:
        from ..graph import GraphSettings, client_for
        g = ans["graph"]
        try:
            client = client_for(GraphSettings(
                tenant_id=str(g["tenantId"]), client_id=g.get("clientId"), credential=str(g["credential"]),
                client_secret=A.live(g.get("clientSecret")), certificate_pem=_read_text(g.get("certificatePath")),
                cloud=str(g.get("cloud", "global")), graph_endpoint=g.get("graphEndpoint"),
                authority=g.get("authority"), ca_bundle_pem=_read_text(g.get("caBundle"))))
            try:
                initial = discover.initial_domain(client)
            finally:
                client.close()
        except Exception as exc:
            raise InitError(f"could not read the tenant's initial domain ({exc}): grant the app Organization.Read.All, "
                            "or answer tenantInitialDomain (contoso.onmicrosoft.com) or each "
                            "ndesHosts[i].externalUrl") from None
    echo(f"tenant: initial domain {initial}, App Proxy default domain <name>-{initial.split('.')[0]}.msappproxy.net")
    for h in hosts:
        h.setdefault("externalUrl", discover.external_url(h["fqdn"], initial))


def _hosts(value: Any) -> list[dict]:
    items = value if isinstance(value, list) else str(value).split(",")
    out = []
    for item in items:
        h = dict(item) if isinstance(item, dict) else {"fqdn": str(item).strip()}
        if not h.get("fqdn"):
            raise InitError("ndes:ndesHosts: every host needs an fqdn")
        out.append(h)
    return out


def build(ans: dict, echo) -> tuple[dict[str, Any], dict[str, str]]:
    """(plain `ndes:` config, secrets by `ndes:dotted.path`), discovered facts filled in."""
    ans["ndesHosts"] = _hosts(ans["ndesHosts"])
    discover_directory(ans, echo)
    discover_tenant(ans, echo)
    secrets: dict[str, str] = {}
    for key in sorted(A.SECRET_KEYS):
        value = A.get(ans, key)
        if isinstance(value, str):
            A.pop(ans, key)
            secrets[f"ndes:{key}"] = value
    return {f"ndes:{k}": v for k, v in ans.items()}, secrets


def validate(config: dict[str, Any], secrets: dict[str, str], stack: str) -> None:
    from ..cli import load
    full = copy.deepcopy(config)
    for key, value in secrets.items():
        top, _, rest = key.partition(".")
        A.put(full.setdefault(top, {}), rest, value)
    load(full, stack)


def pulumi(project: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    from ..cli import pulumi_binary
    proc = subprocess.run([pulumi_binary(project), *args], cwd=project, input=stdin, capture_output=True, text=True,
                          env=dict(os.environ, PULUMI_SKIP_UPDATE_CHECK="1"))
    if proc.returncode != 0:
        raise InitError(f"pulumi {args[0]} {args[1] if len(args) > 1 else ''} failed: {proc.stderr.strip()[-800:]}")
    return proc


def write_stack(project: Path, stack: str, config: dict, secrets: dict[str, str], force: bool) -> Path:
    path = project / f"Pulumi.{stack}.yaml"
    if path.exists():
        existing = yaml.safe_load(path.read_text()) or {}
        if any(k.startswith("ndes:") for k in (existing.get("config") or {})) and not force:
            raise InitError(f"{path} already holds ndes: keys: keep it, or pass --force to replace them")
    pulumi(project, "stack", "select", stack, "--create", "--non-interactive")
    doc = yaml.safe_load(path.read_text()) if path.exists() else None  # stack init may have written the salt
    doc = doc or {}
    kept = {k: v for k, v in (doc.get("config") or {}).items() if not k.startswith("ndes:")}
    doc["config"] = {**kept, **config}
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    for key, value in secrets.items():
        pulumi(project, "config", "set", "--secret", "--path", "--stack", stack, key, stdin=value)
    return path


def run_init(args: argparse.Namespace) -> int:
    from ..model import ConfigError
    project = Path(args.project_dir).resolve()

    def echo(msg: str) -> None:
        print(f"ndes init: {msg}", file=sys.stderr)

    try:
        ans: dict = {}
        if args.answers:
            loaded = yaml.safe_load(Path(args.answers).read_text())
            if not isinstance(loaded, dict):
                raise InitError(f"{args.answers} holds no answers (a mapping of ndes: keys)")
            ans = {k.removeprefix("ndes:"): v for k, v in loaded.items()}
        interactive = sys.stdin.isatty() and not args.answers
        A.complete(ans, interactive)
        config, secrets = build(ans, echo)
        validate(config, secrets, args.stack)
        path = write_stack(project, args.stack, config, secrets, args.force)
    except ConfigError as exc:
        print(f"ndes init: the answers make an invalid configuration:\n{exc}", file=sys.stderr)
        return 2
    except (A.MissingAnswers, InitError, ValueError, OSError) as exc:
        print(f"ndes init: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # a client error (DC or Graph unreachable, refused): say which, no trace
        print(f"ndes init: discovery failed: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {path} ({len(config)} ndes: keys, {len(secrets)} secrets set with pulumi config set --secret)")
    print("next, read-only:  ndes verify --stack " + args.stack + "   then   pulumi preview --stack " + args.stack)
    return 0
