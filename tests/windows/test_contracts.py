"""The design of issue 13: every script's contract is declared once (a pydantic params/state pair in
ndes/windows/contracts/), the simulator's handler for it validates what it receives against that contract (an
unknown parameter is refused as PowerShell's binding refuses it), and the scripts share ONE prelude (no copies of
its functions)."""
from __future__ import annotations

import importlib
import re

import pytest

from ndes.windows.contracts import Contract
from .ps1_lint import SCRIPTS_DIR, prelude_functions, script_files

# HostPrep.ps1 is the one script an administrator runs at the host's console (ndes host-prep) before WinRM
# answers: it never goes through the WinRM client or the simulator's handlers; ndes/host_prep.py validates its
# parameters, and the simulator's /host-prep (lab/winrm_sim/listener.py) checks every key the script reads.
CONSOLE_SCRIPTS = {"HostPrep"}
SCRIPTS = sorted(p.stem for p in script_files() if not p.name.startswith("_") and p.stem not in CONSOLE_SCRIPTS)
CONTRACT_MODULE = {name: re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower() for name in SCRIPTS}


def contract_of(script: str):
    return importlib.import_module(f"ndes.windows.contracts.{CONTRACT_MODULE[script]}")


@pytest.mark.parametrize("script", SCRIPTS)
def test_every_script_has_a_declared_params_state_pair(script):
    mod = contract_of(script)
    assert mod.SCRIPT == script
    params, state = getattr(mod, f"{script}Params"), getattr(mod, f"{script}State")
    assert issubclass(params, Contract) and issubclass(state, Contract)
    assert "mode" in params.model_fields


@pytest.mark.parametrize("script", SCRIPTS)
def test_the_simulator_refuses_what_the_contract_does_not_declare(script):
    from lab.winrm_sim.handlers import HANDLERS, ScriptError, load_all
    load_all()
    with pytest.raises(ScriptError) as info:
        HANDLERS[script](object(), {"mode": "get", "notAParameterOfThisScript": 1})
    assert info.value.category == "InvalidArgument", info.value


@pytest.mark.parametrize("script", SCRIPTS)
def test_no_script_carries_its_own_copy_of_the_preludes_functions(script):
    text = "\n".join(line for line in (SCRIPTS_DIR / f"{script}.ps1").read_text().splitlines()
                     if not line.lstrip().startswith("#"))
    own = {m.lower() for m in re.findall(r"(?im)^\s*function\s+([A-Za-z][\w-]*)", text)}
    assert not own & set(prelude_functions()), (script, own & set(prelude_functions()))
    assert "HKLM:\\SOFTWARE\\Pulumi\\NDES\\Owners" not in text  # owner marks only through the prelude
