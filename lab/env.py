"""Prints the shell exports the lab stack needs: the secrets Pulumi.lab.yaml reads with {fromEnv: ...}, and a
local file backend for Pulumi state. `eval "$(python -m lab.env)"`.

The lab's passphrase protects only lab state on this machine; it is not a secret worth keeping.
"""
from __future__ import annotations

import shlex
import sys
from pathlib import Path

from . import samba_dc
from .pki import ca_bundle_path, lab_dir
from .secrets import lab_secret

REPO = Path(__file__).resolve().parent.parent
LAB_PASSPHRASE = "ndes-lab-only"


def directory_environment() -> dict[str, str]:
    """The lab stack's directory secrets: the least-privilege bind account's password, and the administrator's
    used only to write the service account's SPNs (Pulumi.lab.yaml, docs/identities.md)."""
    from .samba_delegation import password

    return {"NDES_LAB_BIND_PASSWORD": password(), "NDES_LAB_SPN_ADMIN_PASSWORD": samba_dc.admin_password(create=True)}


def lab_environment(state_dir: Path | None = None) -> dict[str, str]:
    state = state_dir or (REPO / ".pulumi-state")
    state.mkdir(parents=True, exist_ok=True)
    return {
        "NDES_LAB_DIR": str(lab_dir()),
        "NDES_LAB_CA_BUNDLE": str(ca_bundle_path()),
        **directory_environment(),
        "NDES_LAB_WINRM_PASSWORD": lab_secret("winrm-password"),
        "NDES_LAB_CA_WINRM_PASSWORD": lab_secret("ca-winrm-password"),
        "NDES_LAB_SERVICE_PASSWORD": lab_secret("service-account-password"),
        "NDES_LAB_GRAPH_SECRET": lab_secret("graph-client-secret"),
        "PULUMI_BACKEND_URL": f"file://{state}",
        "PULUMI_CONFIG_PASSPHRASE": LAB_PASSPHRASE,
        "PULUMI_SKIP_UPDATE_CHECK": "1",
    }


def main() -> int:
    for k, v in lab_environment().items():
        sys.stdout.write(f"export {k}={shlex.quote(v)}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
