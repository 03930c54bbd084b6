"""The Debian packages the offline lab needs, each named explicitly, and the files the lab uses at run time.

`lab/bootstrap` installs PACKAGES with `apt-get --no-install-recommends` (so a package that is only recommended by
another one is never counted on: Debian 12's samba-ad-dc only *recommends* samba-ad-provision, whose schema files
the domain provisioning reads), then runs `python3 lab/packages.py --check`: one line naming what is missing.
tests/lab/test_packages.py asserts, through `dpkg -S`, that every file in RUNTIME_FILES belongs to a package in
PACKAGES, whatever else this machine happens to have installed.

This is lab tooling: the product (`scripts/bootstrap`, the workflows, `ndes verify`) installs no Debian package.
Standard library only: it runs before the virtual environment exists.
"""
from __future__ import annotations

import os
import subprocess
import sys

PACKAGES: tuple[str, ...] = (
    "samba",               # /usr/sbin/samba: the AD DC itself
    "samba-common-bin",    # samba-tool (provision, dsacl, user/group admin)
    "python3-samba",       # samba-tool's provision code
    "samba-ad-dc",         # the AD DC role's dependencies
    "samba-ad-provision",  # the AD schema and provisioning LDIFs (only *recommended* by samba-ad-dc)
    "samba-dsdb-modules",  # the directory database's LDB modules
    "winbind",             # winbindd, which `samba` starts as a DC
    "krb5-user",           # kinit (Kerberos checks of the lab accounts)
    "ldb-tools",           # ldbsearch
    "smbclient",           # smbclient
    "scep",                # scepclient, the real SCEP client the e2e enrollment uses
    "openssl",             # the CSRs lab.enroll writes (scepclient cannot put SANs in one)
)

# Files the lab reads or runs at run time. Each must belong to a package in PACKAGES.
RUNTIME_FILES: tuple[str, ...] = (
    "/usr/sbin/samba",
    "/usr/bin/samba-tool",
    "/usr/lib/python3/dist-packages/samba/provision/__init__.py",
    "/usr/share/samba/setup/provision.ldif",
    "/usr/share/samba/setup/ad-schema/AD_DS_Attributes__Windows_Server_2012_R2.ldf",
    "/usr/share/samba/setup/ad-schema/AD_DS_Classes__Windows_Server_2012_R2.ldf",
    "/usr/lib/x86_64-linux-gnu/samba/ldb/samba_dsdb.so",
    "/usr/sbin/winbindd",
    "/usr/bin/kinit",
    "/usr/bin/ldbsearch",
    "/usr/bin/smbclient",
    "/usr/bin/scepclient",
    "/usr/bin/openssl",
)


def missing_files() -> list[str]:
    return [f for f in RUNTIME_FILES if not os.path.exists(f)]


def owner_of(path: str) -> str | None:
    """The Debian package that owns `path` (dpkg -S), without its architecture; None when no package does."""
    proc = subprocess.run(["dpkg", "-S", path], capture_output=True, text=True)
    if proc.returncode != 0:
        return None
    # "pkg[:arch][, pkg2]: /path" -- a path shared by several packages lists them all; the first is enough here.
    first = proc.stdout.splitlines()[0].split(": ", 1)[0].split(",")[0].strip()
    return first.split(":", 1)[0]


def main(argv: list[str]) -> int:
    if argv[1:] == ["--list"]:
        print(" ".join(PACKAGES))
        return 0
    if argv[1:] == ["--check"]:
        missing = missing_files()
        if missing:
            print(f"lab bootstrap: missing after install: {' '.join(missing)} "
                  f"(install the Debian packages: {' '.join(PACKAGES)})", file=sys.stderr)
            return 1
        return 0
    print("usage: python3 lab/packages.py --list | --check", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
