"""`{fromEnv: NAME}` anywhere in the stack config reads an environment variable (pipelines, the lab).

Used by the program (ndes/program.py) and by the providers' configure() (ndes/providers/connections.py), which
read the same stack config."""
from __future__ import annotations

import os
from typing import Any

from .model.errors import Problem


def resolve_env_refs(value: Any, path: str, problems: list[Problem]) -> Any:
    """The value with every `{fromEnv: NAME}` replaced by $NAME; a variable that is not set is a problem."""
    if isinstance(value, dict):
        if set(value) == {"fromEnv"}:
            name = value["fromEnv"]
            if name not in os.environ:
                problems.append(Problem(path, f"reads the environment variable {name}, which is not set",
                                        f"export {name}=... before running pulumi, or set the value as a secret"))
                return None
            return os.environ[name]
        return {k: resolve_env_refs(v, f"{path}.{k}" if path else k, problems) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve_env_refs(v, f"{path}[{i}]", problems) for i, v in enumerate(value)]
    return value
