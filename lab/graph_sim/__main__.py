"""python -m lab.graph_sim serve|up|down|env

serve   run in the foreground (Graph on the topology's Graph address, the App Proxy front on its address)
up      start the lab instance detached (pid file), wait until it answers; reuse one that answers
down    stop the lab instance by its pid file
env     print the exports the lab stack reads (NDES_LAB_GRAPH_SECRET)
"""
from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path

from lab import topology


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m lab.graph_sim", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("command", choices=["serve", "up", "down", "env"])
    p.add_argument("--port", type=int, default=topology.GRAPH["https_port"],
                   help="port of Graph and of the App Proxy front (each on its own address)")
    p.add_argument("--state", type=Path, default=None, help="state file (default <lab_dir>/graph_sim/state.json)")
    args = p.parse_args(argv)
    if args.command == "serve":
        from .proxy import make_proxy_server
        from .server import make_graph_server, serve_forever
        from .state import State
        state = State(args.state)
        servers = [make_graph_server(state, port=args.port), make_proxy_server(state, port=args.port)]
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        print(f"graph simulator on https://{topology.GRAPH['address']}:{args.port}/, App Proxy front on "
              f"https://{topology.APP_PROXY['address']}:{args.port}/, state {state.path}", flush=True)
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
    from .server import client_secret
    print(f"export NDES_LAB_GRAPH_SECRET={client_secret()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
