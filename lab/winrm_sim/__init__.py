"""The lab's Windows host simulator: a real WS-Management (WinRM) server over HTTPS with NTLM.

One process serves every lab Windows host (lab/topology.py: the CA and the NDES hosts), each on its own
loopback address with a TLS certificate from lab.pki carrying its name and address. pywinrm talks to it
unchanged. It runs only the project's bootstrap with the project's own scripts (byte-identical to
ndes/windows/scripts/<Name>.ps1, or to the golden release's text where its contract is unchanged: releases.py)
and answers each with the script's contract, played by a Python handler
against a model of the host (lab/winrm_sim/handlers/), persisted as JSON under <lab_dir>/winrm_sim/.

    python -m lab.winrm_sim serve | up | down | status

Test knobs (admin HTTP API on 127.0.0.1:ADMIN_PORT, see control.py): added latency, a dropped connection,
an HTTP 500, a restart (the host refuses connections for N seconds), request counters; host state is edited
"behind the module's back" with store.edit_state().
"""
from __future__ import annotations

import os

ADMIN_PORT = int(os.environ.get("NDES_WINRM_SIM_ADMIN_PORT", "15985"))
ADMIN_HOST = "127.0.0.1"
