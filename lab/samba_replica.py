"""A second domain controller for the lab domain: `dc2.lab.contoso.test`, a real Samba DC joined to the lab DC
(`samba-tool domain join ... DC`) on its own loopback address 127.0.0.2, LDAPS verified with the lab CA, and
replication between the two by Samba's own DRS protocol (`samba-tool drs replicate --local`) on a short,
configurable schedule the lab controls. It stands for another site's DC (the one an Enterprise CA or an
Azure-joined NDES host reads): what is written on dc1 reaches dc2 only at the next replication.

Why a lab-driven schedule: Samba's own replication service finds its partner through DNS (`<NTDS GUID>._msdcs`)
and Kerberos, which the lab DC is provisioned without (--dns-backend=NONE); the DRS pull itself is Samba's.

    python -m lab.samba_replica run [--interval 10]   join once, start dc2, replicate every N s (Ctrl-C stops)

Python API: `up()` -> DcInfo-like facts of dc2, `down()`, `replicate_once()`, `Replicator(interval)` (a thread
that replicates both ways every `interval` seconds; `.start()` / `.stop()`), `info()`.
Needs lab.samba_dc up first (it joins that DC). Adds 127.0.0.2 to `lo` (Samba binds only to addresses an
interface holds) and removes it again in `down()`.
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

from lab import pki, process
from lab.samba_layout import (CONFIG_DN, DNS_DOMAIN, DOMAIN_DN, NETBIOS_DOMAIN, REALM, DcError, DcInfo, _tail,
                              admin_password, samba_dir, smb_conf_path)
from lab.samba_setup import _which

__all__ = ["HOST", "DC2_FQDN", "LDAP_URL", "up", "down", "info", "replicate_once", "Replicator", "assign_ca",
           "ca_reads"]

HOST = "127.0.0.2"
DC2 = "DC2"
DC2_FQDN = f"dc2.{DNS_DOMAIN}"
LDAP_URL = f"ldaps://{HOST}:636"
NCS = (CONFIG_DN, DOMAIN_DN)  # templates, OIDs, the CA object; accounts
_proc: subprocess.Popen | None = None
_added_address = False


def replica_dir() -> Path:
    return pki.lab_dir() / "samba-dc2"


def conf_path() -> Path:
    return replica_dir() / "etc" / "smb.conf"


def log_path() -> Path:
    return pki.lab_dir() / "samba-dc2.log"


def _env() -> dict[str, str]:
    return dict(os.environ, PASSWD=admin_password())  # samba-tool reads the password from PASSWD, not argv


def _run(cmd: list[str], timeout: float = 180) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, env=_env(), timeout=timeout, stdin=subprocess.DEVNULL)


def _ensure_address() -> None:
    global _added_address
    have = subprocess.run(["ip", "-o", "addr", "show", "dev", "lo"], capture_output=True, text=True).stdout
    if f" {HOST}/" not in have:
        proc = subprocess.run(["ip", "addr", "add", f"{HOST}/32", "dev", "lo"], capture_output=True, text=True)
        if proc.returncode != 0:
            raise DcError(f"cannot add {HOST} to lo (`ip addr add {HOST}/32 dev lo`): {proc.stderr.strip()}")
        _added_address = True


def _forget_dc2() -> None:
    """Remove DC2 from dc1's directory, as an administrator removes a dead DC (metadata cleanup)."""
    _run([_which("samba-tool") or "samba-tool", "domain", "demote", f"--remove-other-dead-server={DC2}",
          "-s", str(smb_conf_path()), "-H", str(samba_dir() / "private" / "sam.ldb")])


def _join() -> None:
    """A fresh join every time dc2 comes up (6 s here): a replica left from an earlier run would start from a
    state dc1 has long moved past."""
    if replica_dir().exists():
        _forget_dc2()
        shutil.rmtree(replica_dir(), ignore_errors=True)
    replica_dir().mkdir(parents=True)
    tool = _which("samba-tool") or "samba-tool"
    cmd = [tool, "domain", "join", DNS_DOMAIN, "DC", "--server=127.0.0.1", f"-U{NETBIOS_DOMAIN}\\Administrator",
           f"--targetdir={replica_dir()}", "--dns-backend=NONE", f"--option=interfaces={HOST}",
           "--option=bind interfaces only=yes", f"--option=netbios name={DC2}", f"--realm={REALM}"]
    proc = _run(cmd)
    if proc.returncode != 0 and "already exists" in (proc.stdout + proc.stderr).lower():
        _forget_dc2()  # dc2's files went missing after an earlier join
        shutil.rmtree(replica_dir(), ignore_errors=True)
        replica_dir().mkdir(parents=True)
        proc = _run(cmd)
    if proc.returncode != 0:
        raise DcError(f"samba-tool domain join (dc2) failed ({proc.returncode}):\n{(proc.stdout + proc.stderr)[-1500:]}")


def _configure() -> None:
    cert, key = pki.issue_server_cert("samba-dc2", [DC2_FQDN, "localhost"], [HOST])
    os.chmod(key, 0o600)
    run = replica_dir() / "run"
    run.mkdir(exist_ok=True)
    wanted = {"pid directory": str(run), "ncalrpc dir": str(run / "ncalrpc"),
              "winbindd socket directory": str(run / "winbindd"), "log file": str(replica_dir() / "log.%m"),
              "interfaces": HOST, "bind interfaces only": "yes", "tls enabled": "yes", "tls certfile": str(cert),
              "tls keyfile": str(key), "tls cafile": str(pki.ca_bundle_path())}
    lines = [ln for ln in conf_path().read_text().splitlines()
             if " ".join(ln.split("=", 1)[0].lower().split()) not in wanted]
    at = next(i for i, ln in enumerate(lines) if ln.strip().lower() == "[global]") + 1
    lines[at:at] = [f"\t{k} = {v}" for k, v in wanted.items()]
    conf_path().write_text("\n".join(lines) + "\n")


def _ca_marker() -> Path:
    return pki.lab_dir() / "samba-dc2-serves-the-ca"


def assign_ca(on: bool = True) -> None:
    """Make the simulated Enterprise CA read dc2 (as a CA in another site reads its own DC), or dc1 again."""
    if on:
        _ca_marker().write_text(HOST + "\n")
    else:
        _ca_marker().unlink(missing_ok=True)


def ca_reads() -> str | None:
    """The address of the DC the simulated CA reads, when it is dc2 (lab.winrm_sim.ca asks at every connect)."""
    try:
        return _ca_marker().read_text().strip() or None
    except OSError:
        return None


def info() -> DcInfo:
    from lab import samba_dc

    return dataclasses.replace(samba_dc.info(), ldap_url=LDAP_URL, host=HOST, dc_fqdn=DC2_FQDN)


def _healthy(dc: DcInfo) -> str | None:
    from lab.samba_layout import connect

    try:
        connect(dc).unbind()
        return None
    except Exception as exc:  # socket, TLS or bind errors while starting
        return f"{type(exc).__name__}: {exc}"


def up(timeout: float = 90.0) -> DcInfo:
    """Join once, start dc2 (a child of this process), wait for verified LDAPS on 127.0.0.2, replicate once."""
    global _proc
    _ensure_address()
    _join()
    _configure()
    dc = info()
    if _proc is None or _proc.poll() is not None:
        samba = _which("samba") or "samba"
        _proc = process.spawn([samba, "-s", str(conf_path()), "-i", "-M", "single"], log=log_path(),
                              cwd=replica_dir())
    proc, last = _proc, ["not tried"]

    def healthy() -> bool:
        if proc.poll() is not None:
            raise DcError(f"samba (dc2) exited with {proc.returncode}:\n{_tail(log_path())}")
        last[0] = _healthy(dc) or ""
        return not last[0]

    if process.wait_for(healthy, timeout, 0.5):
        replicate_once()
        return dc
    down()
    raise DcError(f"dc2 did not answer LDAPS on {HOST} within {timeout:.0f}s ({last[0]}):\n{_tail(log_path())}")


def down() -> None:
    global _proc, _added_address
    assign_ca(False)
    if _proc is not None and _proc.poll() is None:
        # samba leads its own process group (started in its own session): TERM the group, KILL it after 10 s
        process.stop(_proc.pid, 10.0, group=True, kill_wait=10.0, running=lambda _pid: _proc.poll() is None)
    _proc = None
    # the address is the lab's (no one else binds 127.0.0.2): remove it whoever added it, so a dc1 started later
    # with an older smb.conf (interfaces = lo) does not take it
    if f" {HOST}/" in subprocess.run(["ip", "-o", "addr", "show", "dev", "lo"], capture_output=True, text=True).stdout:
        subprocess.run(["ip", "addr", "del", f"{HOST}/32", "dev", "lo"], capture_output=True)
    _added_address = False


def replicate_once(direction: str = "both", full: bool = False) -> None:
    """One DRS pull per naming context: dc1 -> dc2 ("to_dc2"), dc2 -> dc1 ("to_dc1"), or both; `full` sends
    every object again (`--full-sync`), whatever the destination's up-to-dateness vector says."""
    tool = _which("samba-tool") or "samba-tool"
    pulls = []
    if direction in ("both", "to_dc2"):
        pulls.append((DC2, "127.0.0.1", conf_path()))
    if direction in ("both", "to_dc1"):
        pulls.append(("DC1", HOST, smb_conf_path()))
    for dest, source, conf in pulls:
        for nc in NCS:
            proc = _run([tool, "drs", "replicate", dest, source, nc, "--local", *(["--full-sync"] if full else []),
                         "-s", str(conf), f"-U{NETBIOS_DOMAIN}\\Administrator"], timeout=120)
            if proc.returncode != 0:
                raise DcError(f"samba-tool drs replicate {dest} {source} {nc} --local failed: "
                              f"{(proc.stdout + proc.stderr)[-800:]}")


class Replicator:
    """Replicates both ways every `interval` seconds in a daemon thread (the lab's replication schedule); every
    `full_every`-th round is a full sync.

    Why the full syncs: an incremental pull (`--local`) running while dc1 commits a write can leave that write
    behind for good: observed once in a full run, a template created on dc1 during a round never reached dc2 in
    52 later rounds, while writes made a few seconds later did. AD's replication does not lose a change: an
    originating write is replicated until every replica's up-to-dateness vector covers it (MS-DRSR 4.1.10; 5.166:
    the vector says every update up to its USN has been applied). So the lab's schedule re-sends everything now
    and then to keep that guarantee: a write reaches dc2 within `full_every` rounds at the latest."""

    def __init__(self, interval: float = 5.0, full_every: int = 5):
        self.interval = interval
        self.full_every = max(1, full_every)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.errors: list[str] = []
        self.rounds = 0  # finished rounds (both directions)
        self.begun = 0  # begun rounds: a reader DC may show a write before the round that carried it returns
        self.slowest = 0.0  # seconds of the slowest round

    def start(self) -> "Replicator":
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="lab-replication", daemon=True)
        self._thread.start()
        return self

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self.begun += 1
            started = time.monotonic()
            try:
                replicate_once(full=self.begun % self.full_every == 0)
                self.rounds += 1
            except Exception as exc:  # any failure is the round's: the schedule goes on, as AD's does
                self.errors.append(f"round {self.begun} ({time.monotonic() - started:.0f}s): "
                                   f"{type(exc).__name__}: {exc}")
            self.slowest = max(self.slowest, time.monotonic() - started)

    def summary(self) -> str:
        """Rounds begun and finished, the slowest round, and the last errors (for a test's failure message)."""
        tail = "; ".join(self.errors[-3:]) or "none"
        return (f"replication rounds begun {self.begun}, finished {self.rounds}, slowest {self.slowest:.0f}s, "
                f"{len(self.errors)} failed (last: {tail})")

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(150)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lab.samba_replica", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    run = sub.add_parser("run", help="join once, start dc2, replicate every --interval seconds until Ctrl-C")
    run.add_argument("--interval", type=float, default=10.0)
    args = parser.parse_args(argv)
    dc = up()
    print(f"[samba-dc2] {dc.ldap_url} up; replicating every {args.interval:g}s (Ctrl-C stops)", flush=True)
    rep = Replicator(args.interval).start()
    try:
        while True:
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        rep.stop()
        down()
    return 0


if __name__ == "__main__":
    sys.exit(main())
