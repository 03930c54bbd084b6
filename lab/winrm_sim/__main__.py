"""python -m lab.winrm_sim serve | up | down | status"""
from __future__ import annotations

import json
import sys


def main(argv: list[str]) -> int:
    cmd = argv[0] if argv else "status"
    if cmd == "serve":
        from .server import serve
        return serve()
    from . import control
    if cmd == "up":
        print(json.dumps(control.up(), indent=1))
        return 0
    if cmd == "down":
        print("stopped" if control.down() else "not running")
        return 0
    if cmd == "status":
        h = control.health()
        print(json.dumps(h, indent=1) if h else "not running")
        return 0 if h else 1
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
