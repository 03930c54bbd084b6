"""`{fromEnv: NAME}` anywhere in the stack config reads an environment variable (pipelines, the lab).

A stage of the config pipeline (load.py): pure, the environment is a parameter; the outermost caller (the program,
`ndes verify`, the providers' configure, the policy pack) passes os.environ."""
from __future__ import annotations

from typing import Any, Mapping

from .errors import Problem


def resolve_env_refs(value: Any, path: str, problems: list[Problem], environ: Mapping[str, str]) -> Any:
    """The value with every `{fromEnv: NAME}` replaced by environ[NAME]; a variable that is not set is a problem
    named by its config key (`path`, e.g. ndesHosts[0].winrm.password), and the value becomes None."""
    if isinstance(value, dict):
        if set(value) == {"fromEnv"}:
            name = value["fromEnv"]
            if not isinstance(name, str) or not name:
                problems.append(Problem(path, "fromEnv must name an environment variable",
                                        "write {fromEnv: NAME} with the variable's name"))
                return None
            if name not in environ:
                problems.append(Problem(path, f"reads the environment variable {name}, which is not set",
                                        f"export {name}=... before running pulumi, or set the value as a secret"))
                return None
            return environ[name]
        return {k: resolve_env_refs(v, f"{path}.{k}" if path else k, problems, environ) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve_env_refs(v, f"{path}[{i}]", problems, environ) for i, v in enumerate(value)]
    return value
