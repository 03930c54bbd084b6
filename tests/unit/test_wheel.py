"""The package as a user installs it: `pip wheel` of the repository, installed in a fresh virtualenv, carries every
PowerShell script the providers send to Windows (package data, not only source files), its version, and the
library API."""
from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    # a clean copy of what a clone holds: an ndes.egg-info left by the editable install would list the scripts
    # for setuptools whatever pyproject.toml says
    src = tmp_path_factory.mktemp("src")
    shutil.copy(REPO / "pyproject.toml", src / "pyproject.toml")
    shutil.copy(REPO / "README.md", src / "README.md")
    shutil.copytree(REPO / "ndes", src / "ndes", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    # --no-build-isolation: the dev environment's setuptools builds it, so this runs offline
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w",
                           str(out), str(src)], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (whl,) = out.glob("ndes-*.whl")
    return whl


def test_wheel_carries_every_script_and_is_versioned(wheel):
    import tomllib
    version = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
    assert wheel.name.startswith(f"ndes-{version}-")
    names = set(zipfile.ZipFile(wheel).namelist())
    scripts = {p.relative_to(REPO).as_posix() for p in (REPO / "ndes").rglob("*.ps1")}
    assert scripts and scripts <= names, sorted(scripts - names)
    assert "ndes/py.typed" in names and "ndes/components/args.py" in names
    assert not any(n.startswith(("tests/", "lab/", "examples/")) for n in names)


def test_installed_wheel_finds_its_scripts(wheel, tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    py = venv / "bin" / "python"
    site = subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    # the wheel installed by pip (this environment's pip, into the new venv, offline); its dependencies from this
    # environment through a path entry, which does not activate the checkout's editable install living there
    proc = subprocess.run([sys.executable, "-m", "pip", "--python", str(py), "install", "--no-deps", "--no-index",
                           "-q", str(wheel)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (Path(site) / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    probe = ("import ndes, ndes.windows._scripts as s; from ndes.components.args import IntuneProfilesArgs;"
             "print(ndes.__file__); print(ndes.__version__); print(s.script_path('NdesRole'));"
             "print(len(s.prelude_bytes())); print(ndes.IntuneProfiles.__name__)")
    proc = subprocess.run([str(py), "-c", probe], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    file, version, script, prelude, comp = proc.stdout.split()
    assert file.startswith(site) and script.startswith(site), proc.stdout
    assert Path(script).read_bytes() == (REPO / "ndes/windows/scripts/NdesRole.ps1").read_bytes()
    assert int(prelude) > 0 and comp == "IntuneProfiles"
    import tomllib
    assert version == tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
