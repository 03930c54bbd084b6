"""The Pulumi engine that scripts/install-pulumi provides really runs Python programs end to end."""

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
        # Built by scripts/install-pulumi from the pin.
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
