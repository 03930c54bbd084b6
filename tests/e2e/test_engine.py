"""The Pulumi engine that lab/engine/install provides really runs Python programs end to end."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.e2e.pulumi_cli import PINNED_VERSION, REPO_ROOT, PulumiCLI, engine_bin

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

VENV = REPO_ROOT / ".venv"

PROGRAM = textwrap.dedent(
    '''
    import pulumi
    from pulumi.dynamic import CreateResult, ReadResult, Resource, ResourceProvider


    class EchoProvider(ResourceProvider):
        """Creates nothing anywhere: the output is the input with a mark, so the test sees the provider ran."""

        def create(self, props):
            return CreateResult(id_="echo-" + props["text"], outs={"text": props["text"], "echo": props["text"] + "!"})

        def read(self, id_, props):
            return ReadResult(id_=id_, outs=props)

        def delete(self, id_, props):
            pass


    class Echo(Resource):
        echo: pulumi.Output[str]

        def __init__(self, name, text, opts=None):
            super().__init__(EchoProvider(), name, {"text": text, "echo": None}, opts)


    config = pulumi.Config()
    echo = Echo("greeting", config.require("text"))
    pulumi.export("echo", echo.echo)
    pulumi.export("token", config.require_secret("token"))
    '''
)


def write_project(directory: Path, name: str = "enginecheck") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "Pulumi.yaml").write_text(
        f"name: {name}\n"
        "runtime:\n"
        "  name: python\n"
        "  options:\n"
        f"    virtualenv: {VENV}\n"
    )
    (directory / "__main__.py").write_text(PROGRAM)
    return directory


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.lstrip("v").split("-")[0].split("."))


def test_engine_version_is_the_pin(tmp_path: Path):
    assert PINNED_VERSION == "v3.274.1"
    bin_dir = engine_bin()
    for name in ("pulumi", "pulumi-language-python", "pulumi-language-python-exec", "pulumi-resource-pulumi-python"):
        assert (bin_dir / name).exists(), f"{name} missing from {bin_dir}"
    version = PulumiCLI(tmp_path, stack="unused", state_dir=tmp_path / "state").version()
    if "ndes-pulumi" in bin_dir.parts:
        # Built by lab/engine/install from the pin.
        assert version == PINNED_VERSION
    else:
        # A pulumi already on PATH is used only when it is at least the pin.
        assert _version_key(version) >= _version_key(PINNED_VERSION), version


@pytest.mark.skipif(not (VENV / "bin" / "python").exists(), reason="needs the project venv at .venv")
def test_dynamic_provider_up_refresh_destroy(tmp_path: Path):
    cli = PulumiCLI(write_project(tmp_path / "project"), stack="t", state_dir=tmp_path / "state")
    cli.stack_init()
    cli.config_set("text", "hello")
    cli.config_set("token", "s3cr3t", secret=True)

    preview = cli.preview()
    assert "+ 2 to create" in preview.stdout, preview.stdout

    cli.up()
    outputs = cli.outputs(show_secrets=True)
    assert outputs["echo"] == "hello!"
    assert outputs["token"] == "s3cr3t"
    assert cli.outputs()["token"] == "[secret]"

    state = cli.export()
    types = {r["type"] for r in state["deployment"]["resources"]}
    assert "pulumi-python:dynamic:Resource" in types

    refreshed = cli.refresh()
    assert "2 unchanged" in refreshed.stdout, refreshed.stdout
    no_changes = cli.preview("--diff", "--expect-no-changes")
    assert no_changes.returncode == 0

    cli.destroy()
    assert cli.outputs() == {}
    remaining = [r for r in cli.export()["deployment"].get("resources") or [] if r["type"] != "pulumi:pulumi:Stack"]
    assert remaining == []


SLOW_PROGRAM = textwrap.dedent(
    '''
    import time
    import pulumi
    time.sleep(120)  # the engine is killed while the program runs
    pulumi.export("never", "reached")
    '''
)


def _children(pid: int) -> list[int]:
    kids = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            kids += [int(k) for k in (task / "children").read_text().split()]
        except OSError:
            pass
    return kids


def _descendants_named(pid: int, name: str) -> list[int]:
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        for kid in _children(p):
            todo.append(kid)
            try:
                if Path(f"/proc/{kid}/comm").read_text().strip() == name[:15]:
                    found.append(kid)
            except OSError:
                pass
    return found


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


def test_a_killed_pulumi_leaves_no_language_host_behind(tmp_path: Path):
    """A killed engine (a cancelled pipeline, a runner that dies) leaves neither its language host nor the program
    the host runs: the host watches the engine (rpcutil.Healthcheck, as upstream hosts do) and stops serving."""
    import os
    import signal
    import subprocess
    import time

    project = write_project(tmp_path / "project", name="orphancheck")
    (project / "__main__.py").write_text(SLOW_PROGRAM)
    cli = PulumiCLI(project, stack="t", state_dir=tmp_path / "state")
    cli.stack_init()
    env = {**cli.env, "NDES_LANGHOST_HEALTHCHECK_INTERVAL": "1s"}
    proc = subprocess.Popen([str(cli.bin_dir / "pulumi"), "preview", "--stack", "t", "--non-interactive"],
                            cwd=project, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        # the engine may start a host more than once (plugin queries, then the program): wait for the one that runs
        # the program, and take every host alive at that moment
        deadline = time.monotonic() + 60
        hosts: list[int] = []
        program: list[int] = []
        while not program and time.monotonic() < deadline:
            time.sleep(0.3)
            hosts = _descendants_named(proc.pid, "pulumi-language-python")
            program = [k for h in hosts for k in _children(h)]
        assert hosts, "the engine never started its language host"
        assert program, "the language host never started the program"
        assert proc.poll() is None, "pulumi ended before the test could kill it"
        # Kill the engine alone (as a runner that dies or a `kill -9` does): its children are left to themselves.
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        deadline = time.monotonic() + 20
        while any(_alive(p) for p in hosts + program) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert not any(_alive(h) for h in hosts), "the language host outlived its engine by 20 s"
        assert not any(_alive(p) for p in program), "the program the language host ran outlived the engine by 20 s"
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
