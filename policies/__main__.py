"""The NDES/SCEP CrossGuard policy pack: `pulumi preview --policy-pack policies` (see docs/policies.md).

The engine runs this file with the pack's virtualenv (PulumiPolicy.yaml: the repository's .venv, where
pulumi-policy and the ndes package are installed); the policies live in ndes_policies/, one module per topic.
"""
import os
import sys
from pathlib import Path

from pulumi_policy import EnforcementLevel, PolicyPack

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from ndes_policies import ALL_POLICIES  # noqa: E402
from ndes_policies import stack_config  # noqa: E402

PolicyPack(
    name="ndes-scep",
    policies=ALL_POLICIES,
    enforcement_level=EnforcementLevel.MANDATORY,
    initial_config=stack_config.load(HERE, os.environ.get("PULUMI_STACK", "")),
    description="Guardrails for NDES + SCEP deployments for Intune: a change that weakens the PKI fails its preview.",
)
