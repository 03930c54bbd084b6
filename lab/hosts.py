"""The lab's names in /etc/hosts, in one marked block (added by lab/up, removed by lab/down).

Clients no one here wrote (scepclient, a browser, curl) resolve the lab's names the ordinary way; the project's
own clients connect by the loopback addresses in the lab stack config and verify TLS against the same names.
"""
from __future__ import annotations

import sys
from pathlib import Path

from .topology import APP_PROXY, CA, DC, GRAPH, NDES_HOSTS

BEGIN, END = "# ndes-lab begin (lab/up adds, lab/down removes)", "# ndes-lab end"


def lab_lines() -> list[str]:
    lines = [f"{DC['address']}\t{DC['name']}", f"{CA['address']}\t{CA['name']}", f"{GRAPH['address']}\t{GRAPH['name']}"]
    for h in NDES_HOSTS:
        lines.append(f"{h['address']}\t{h['name']}")
        ext = h["external_url"].split("://", 1)[1].split("/", 1)[0]
        lines.append(f"{APP_PROXY['address']}\t{ext}")
    return lines


def _without_block(text: str) -> list[str]:
    out, inside = [], False
    for line in text.splitlines():
        if line == BEGIN:
            inside = True
        elif line == END:
            inside = False
        elif not inside:
            out.append(line)
    return out


def add(path: Path = Path("/etc/hosts")) -> None:
    lines = _without_block(path.read_text()) + [BEGIN, *lab_lines(), END]
    path.write_text("\n".join(lines) + "\n")


def remove(path: Path = Path("/etc/hosts")) -> None:
    if path.exists():
        path.write_text("\n".join(_without_block(path.read_text())) + "\n")


if __name__ == "__main__":
    cmd = sys.argv[1] if len(sys.argv) > 1 else ""
    try:
        {"add": add, "remove": remove}[cmd]()
    except KeyError:
        raise SystemExit("usage: python -m lab.hosts add|remove")
    except PermissionError:
        raise SystemExit("cannot write /etc/hosts: run as root, or add these lines yourself:\n" + "\n".join(lab_lines()))
