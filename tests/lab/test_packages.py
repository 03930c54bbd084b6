"""The lab's Debian packages are named explicitly: every file the lab uses at run time belongs to a package in
lab/packages.py, whatever else this machine has installed (a package that is only *recommended* by one in the
list is never installed by lab/bootstrap's --no-install-recommends, so a file it brings must not be counted on)."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from lab import packages

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(shutil.which("dpkg") is None, reason="needs dpkg (Debian)")


@pytest.mark.parametrize("path", packages.RUNTIME_FILES)
def test_each_runtime_file_belongs_to_a_listed_package(path):
    owner = packages.owner_of(path)
    assert owner is not None, f"{path}: no Debian package owns it (is lab/bootstrap's list complete?)"
    assert owner in packages.PACKAGES, (
        f"{path} comes from the Debian package {owner!r}, which lab/packages.py does not name: add it to PACKAGES "
        f"(it may be installed here only because something else pulled it in, or by hand)")


def test_the_samba_provision_schema_is_a_runtime_file():
    # the file whose absence stopped a new machine: samba-ad-dc only recommends samba-ad-provision
    assert any(p.endswith("AD_DS_Attributes__Windows_Server_2012_R2.ldf") for p in packages.RUNTIME_FILES)
    assert "samba-ad-provision" in packages.PACKAGES


def test_every_binary_the_lab_runs_is_a_runtime_file():
    from lab import samba_layout
    runtime_names = {Path(p).name for p in packages.RUNTIME_FILES}
    for binary in samba_layout._REQUIRED_BINARIES + ["scepclient", "openssl"]:
        assert binary in runtime_names, f"{binary} is run by the lab but is not in lab/packages.py RUNTIME_FILES"


def test_check_names_what_is_missing_in_one_line(monkeypatch, capsys):
    monkeypatch.setattr(packages, "RUNTIME_FILES", ("/usr/share/samba/setup/no-such-file.ldf",))
    assert packages.main(["packages.py", "--check"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no-such-file.ldf" in err[0] and "samba-ad-provision" in err[0]


def test_the_bootstrap_installs_the_list_without_recommends():
    text = (REPO / "lab" / "bootstrap").read_text()
    assert "lab/packages.py --list" in text and "--no-install-recommends" in text
    assert "lab/packages.py --check" in text
    listed = subprocess.run(["python3", "lab/packages.py", "--list"], cwd=REPO, capture_output=True, text=True,
                            check=True).stdout.split()
    assert listed == list(packages.PACKAGES)
