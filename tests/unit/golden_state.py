"""Golden state: what a release wrote into a stack's state for each resource kind, for the upgrade test.

`capture()` runs the lab program under mocks with the `ndes` package that is importable (a release's), and for
each dynamic resource records what the engine would keep in state after `pulumi up`: the `__provider` pickle
(by reference: module and class name), the inputs as the provider's `check` normalised them, and the outputs.
The outputs are the checked inputs plus the live fields a server would have returned; those are stand-ins
(fixed plausible values below), because the upgrade test compares inputs, never live values.

Capture a release (its `ndes` first on the path, these tests second; run from the release's folder: `python -m`
puts the working directory first on the path, and the worktree's own `ndes` would win):

    REV=$(git -C <repo> rev-parse <commit>)    # the full hash: the release is a commit, no tag needed
    git -C <repo> archive $REV ndes | tar -x -C /tmp/rel
    cd /tmp/rel && PYTHONPATH=/tmp/rel:<repo> <repo>/.venv/bin/python -m tests.unit.golden_state --write $REV

tests/unit/test_state_compat.py reads tests/unit/golden_state/<Kind>.json with today's code. `--write` also names
the release in lab/winrm_sim/RELEASE, so the simulated hosts run its scripts (the upgrade e2e deploys with them).
"""
from __future__ import annotations

import base64
import json
import sys
import uuid
from pathlib import Path
from typing import Any

import dill
import pulumi

from . import stack_urns as su

GOLDEN_DIR = Path(__file__).with_name("golden_state")
# the lab's copy of the release's name: the simulated hosts also run that release's scripts (lab/winrm_sim/releases.py)
RELEASE_FILE = Path(__file__).resolve().parents[2] / "lab" / "winrm_sim" / "RELEASE"
RELEASE_HEADER = ("# The golden release: the commit tests/unit/golden_state/ was captured from (tests/unit/golden_state.py "
                  "--write\n# writes this file). The simulated hosts also run its scripts where today's handlers "
                  "model them (releases.py).\n")
SECRET = "golden-secret"


def _der() -> str:
    """A real self-signed certificate (the Intune profiles check that theirs is one)."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519
    from cryptography.x509.oid import NameOID

    key = ed25519.Ed25519PrivateKey.from_private_bytes(bytes(range(32)))  # deterministic: same bytes each run
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Golden Lab Root CA")])
    start = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(start).not_valid_after(start + datetime.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, None))
    return base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()


DER = _der()
LIVE: dict[str, dict[str, Any]] = {
    "ServiceAccount": {"dn": "CN=svc-ndes,CN=Users,DC=lab,DC=contoso,DC=test", "sid": "S-1-5-21-1-2-3-1105",
                       "objectGuid": "0b7f3c1e-0000-4000-8000-000000000001",
                       "spns": ["http/ndes1.lab.contoso.test"], "pwdLastSet": "2026-11-01T00:00:00Z", "notes": []},
    "CertificateTemplate": {"dn": "CN={name},CN=Certificate Templates,CN=Public Key Services,CN=Services,"
                                  "CN=Configuration,DC=lab,DC=contoso,DC=test",
                            "oid": "1.3.6.1.4.1.311.21.8.1.2.3.4", "enrollSids": ["S-1-5-21-1-2-3-1105"],
                            "schemaVersion": 2, "minorRevision": 0},
    "TemplateIssuance": {"issued": True, "enrollmentServiceDn": "CN=Lab Issuing CA,CN=Enrollment Services"},
    "CaCertificate": {"rootDerBase64": DER, "issuingDerBase64": DER, "rootPem": "", "issuingPem": "",
                      "rootThumbprint": "AB" * 20, "issuingThumbprint": "CD" * 20, "rootSubject": "CN=Lab Root CA",
                      "issuingSubject": "CN=Lab Issuing CA", "rootNotAfter": "2036-01-01T00:00:00Z",
                      "issuingNotAfter": "2031-01-01T00:00:00Z", "rootIsIssuing": False},
    "CaAccess": {"resolvedSid": "S-1-5-21-1-2-3-1105", "mask": 512, "denied": False, "restarted": False, "notes": []},
    "MachineCertificate": {"thumbprint": "EF" * 20, "subject": "CN=ndes1-lab.msappproxy.net",
                           "issuer": "CN=Lab Issuing CA", "notBefore": "2026-11-01T00:00:00Z",
                           "notAfter": "2027-11-01T00:00:00Z", "daysLeft": 336},
    "NdesRole": {"raCertificates": [], "raNotAfter": "2028-11-01T00:00:00Z", "raDaysLeft": 700, "notes": []},
    "ScepPoolIdentity": {"poolState": "Started", "poolUserName": "LAB\\svc-ndes", "notes": []},
    "RaCertificateRenewal": {"raCertificates": [], "raNotAfter": "2028-11-01T00:00:00Z", "raDaysLeft": 700,
                             "hostTime": "2026-11-30T00:00:00Z", "notes": []},
    "AppProxyApplication": {"applicationId": "00000000-0000-4000-8000-00000000a001",
                            "objectId": "00000000-0000-4000-8000-00000000a002",
                            "servicePrincipalId": "00000000-0000-4000-8000-00000000a003"},
    "TrustedCertificateProfile": {"profileId": "{uuid}", "thumbprint": "AB" * 20},
    "ScepProfile": {"profileId": "{uuid}"},
    "HostReboot": {"rebooted": False, "bootId": "boot-1", "pendingReasons": [], "notes": []},
    "RegistryValues": {"rebootRequired": False, "lastChange": ""},
    "IntuneConnector": {"installed": False, "version": "", "servicesRunning": False, "registered": False,
                        "certificateNotAfter": "", "certificateDaysLeft": 0, "instruction": "", "notes": []},
    "IisHttpsBinding": {"bindingInformation": "*:443:"},
    "LocalGroupMember": {"memberName": "LAB\\svc-ndes", "principalSource": "ActiveDirectory"},
    "MscepTemplateMapping": {"registryValue": "GeneralPurposeTemplate", "mscepValues": {}},
    "WindowsFeatures": {"installedByPulumi": [], "rebootRequired": False, "notes": []},
}


def _live(kind: str, inputs: dict[str, Any], name: str) -> dict[str, Any]:
    out = {}
    fields = {k: v for k, v in inputs.items() if isinstance(v, str)}
    for k, v in LIVE.get(kind, {}).items():
        out[k] = v.format(uuid=str(uuid.uuid5(uuid.NAMESPACE_URL, name)), **fields) \
            if isinstance(v, str) and "{" in v else v
    return out


def _plain(value: Any) -> Any:
    """Secrets unwrapped (the state holds them encrypted), the lab's stand-in passwords renamed."""
    if isinstance(value, dict):
        if value.get("4dabf18193072939515e22adb298388d") == "1b47061264138c4ac30d75fd1eb44270":
            return _plain(value.get("value"))
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if value == su.DUMMY_SECRET:
        return SECRET
    return value


class _Live(su._Echo):
    def new_resource(self, args):
        kind = args.typ.rsplit(":", 1)[-1]
        return f"{args.name}-id", {**dict(args.inputs), **_live(kind, _plain(dict(args.inputs)), args.name)}


def capture(config: Path | None = None) -> dict[str, dict[str, Any]]:
    """Resource name -> its state record, for every dynamic resource the lab program registers (with the lab
    stack's config, or the stack file `config`)."""
    from pulumi.dynamic.dynamic import serialize_provider

    from ndes.components.deployment import NdesScepDeployment
    from ndes.program import secret_outputs

    cfg = su.lab_config(config)
    mocks = _Live()
    monitor = su._Monitor(mocks)
    seen: list[Any] = []
    orig = monitor.mocks.new_resource

    def record(args):
        seen.append(args)
        return orig(args)

    monitor.mocks.new_resource = record  # type: ignore[method-assign]
    pulumi.runtime.set_mocks(monitor.mocks, project=su.PROJECT, stack=su.STACK, preview=False, monitor=monitor)

    @pulumi.runtime.test
    def run():
        return NdesScepDeployment("ndes", cfg, secret_outputs(cfg)).urn

    run()
    out: dict[str, dict[str, Any]] = {}
    for args in seen:
        if not args.typ.startswith("pulumi-python:dynamic/ndes:"):
            continue
        kind = args.typ.rsplit(":", 1)[-1]
        raw = _plain({k: v for k, v in dict(args.inputs).items() if k != "__provider"})
        provider_cls = type(dill.loads(base64.b64decode(_plain(args.inputs["__provider"]))))
        provider = su.configured(provider_cls(), config)  # the engine configures providers with the stack config
        checked = provider.check({}, raw)
        assert not checked.failures, (kind, [(f.property, f.reason) for f in checked.failures])
        inputs = _plain(checked.inputs)
        outputs = {**inputs, **_live(kind, inputs, args.name)}
        if "connection" in inputs and hasattr(provider, "connection"):  # the copy a create keeps (a secret)
            outputs["__connection"] = provider.connection(inputs)[0]
        out[args.name] = {
            "type": args.typ, "name": args.name, "kind": kind,
            "provider": serialize_provider(provider_cls()),
            "inputs": inputs,
            "outputs": outputs,
        }
    return out


def per_kind(records: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """One record per kind: the first by resource name (deterministic)."""
    out: dict[str, dict[str, Any]] = {}
    for name in sorted(records):
        out.setdefault(records[name]["kind"], records[name])
    return out


def main(argv: list[str]) -> int:
    records = per_kind(capture())
    if "--write" in argv:
        release = argv[argv.index("--write") + 1] if len(argv) > argv.index("--write") + 1 else "unknown"
        GOLDEN_DIR.mkdir(exist_ok=True)
        for kind, rec in sorted(records.items()):
            (GOLDEN_DIR / f"{kind}.json").write_text(json.dumps({"release": release, **rec}, indent=1,
                                                                sort_keys=True) + "\n")
        RELEASE_FILE.write_text(f"{RELEASE_HEADER}{release}\n")
        print(f"wrote {len(records)} kinds to {GOLDEN_DIR}, the release to {RELEASE_FILE}")
    else:
        print(json.dumps(records, indent=1, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
