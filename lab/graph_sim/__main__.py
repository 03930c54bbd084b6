"""python -m lab.graph_sim serve|up|down|env"""
from __future__ import annotations

import argparse
import signal
import sys

from lab import topology


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m lab.graph_sim", description=__doc__)
    p.add_argument("command", choices=["serve", "up", "down", "env"])
    args = p.parse_args(argv)
    if args.command == "serve":
        from .proxy import make_proxy_server
        from .server import make_graph_server, serve_forever
        from .state import State
        state = State()
        servers = [make_graph_server(state), make_proxy_server(state)]
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        print(f"graph simulator on https://{topology.GRAPH['address']}/, App Proxy front on "
              f"https://{topology.APP_PROXY['address']}/", flush=True)
        serve_forever(servers)
        return 0
    from . import control
    if args.command == "up":
        started = control.up()
        print(("started" if started else "already running") + f": {control.graph_url()}")
        return 0
    if args.command == "down":
        print("stopped" if control.down() else "not running")
        return 0
    from lab.pki import ca_bundle_path
    from .server import client_secret
    print(f"export NDES_LAB_GRAPH_SECRET={client_secret()}")
    print(f"export NDES_LAB_GRAPH_CA={ca_bundle_path()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
