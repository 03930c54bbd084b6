"""Fault points (ndes/providers/faults.py): NDES_FAULT names a resource type, a resource name and a phase; the
provider stops its own process exactly there (before anything is written, or after every write but before the
engine hears the answer), and nowhere else. Off unless set, and read once."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any, ClassVar

import pytest

from ndes.providers import faults
from ndes.providers import generation as gen
from ndes.providers.base import Existing, NdesProvider, ResourceInputs

SERVER: dict[str, dict[str, Any]] = {}
WRITES: list[str] = []


class ThingInputs(ResourceInputs):
    name: str
    size: int = 1


class ThingProvider(NdesProvider):
    kind: ClassVar[str] = "Thing"
    Inputs: ClassVar[type[ResourceInputs]] = ThingInputs

    def find(self, inp: ThingInputs) -> Existing | None:
        obj = SERVER.get(inp.name)
        return Existing(inp.name, obj["mark"]) if obj else None

    def apply(self, inp: ThingInputs, existing: Existing | None) -> tuple[str, dict[str, Any]]:
        WRITES.append(f"apply {inp.name}")
        SERVER[inp.name] = {"size": inp.size, "mark": inp.owner}
        return inp.name, {}

    def get(self, id_: str, inp: ThingInputs) -> dict[str, Any] | None:
        obj = SERVER.get(id_)
        return {"name": id_, "size": obj["size"]} if obj else None

    def remove(self, id_: str, inp: ThingInputs) -> None:
        WRITES.append(f"remove {id_}")
        SERVER.pop(id_, None)


class OwnUpdateProvider(ThingProvider):
    """A plane with its own update that calls the base's (as several do): still one step, one fault point."""

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]):
        result = super().update(id_, olds, news)
        WRITES.append("own update done")
        return result


class Stopped(BaseException):
    pass


@pytest.fixture(autouse=True)
def fresh(monkeypatch):
    SERVER.clear()
    WRITES.clear()
    gen.forget()
    faults.reset()
    stops: list[tuple] = []

    def fake_stop(point, type_, name):
        stops.append((type_, name, point.verb, point.when))
        raise Stopped()

    monkeypatch.setattr(faults, "stop", fake_stop)
    yield stops
    faults.reset()


def props(**kw: Any) -> dict[str, Any]:
    return {"name": "tpl", "owner": "ndes/prod/directory-ssl-template", **kw}


def arm(monkeypatch, spec: str) -> None:
    monkeypatch.setenv(faults.ENV, spec)
    faults.reset()


@pytest.mark.parametrize("spec,error", [
    ("Thing:x:create", "expected"),
    ("Thing:x:upsert:before", "verb"),
    ("Thing:x:create:during", "when"),
    ("Thing:x:create:before:everything", "scope"),
    ("Thing::create:before", "expected"),
])
def test_a_wrong_spec_is_refused_not_ignored(spec, error):
    with pytest.raises(faults.FaultSpecError, match=error):
        faults.parse(spec)


def test_a_spec_names_type_name_verb_when_and_scope():
    p = faults.parse("ServiceAccount:directory-service-account:create:after:session")
    assert p == faults.FaultPoint("ServiceAccount", "directory-service-account", "create", "after", "session")
    assert faults.parse("*:*:delete:before").scope == "process"
    assert p.matches("ServiceAccount", "directory-service-account", "create", "after")
    assert not p.matches("ServiceAccount", "directory-service-account", "create", "before")
    assert not p.matches("ServiceAccount", "other", "create", "after")
    assert not p.matches("CaAccess", "directory-service-account", "create", "after")


def test_off_unless_set_and_read_once(monkeypatch, fresh):
    monkeypatch.delenv(faults.ENV, raising=False)
    faults.reset()
    ThingProvider().create(props())
    assert faults.armed() is None and fresh == []
    monkeypatch.setenv(faults.ENV, "Thing:*:create:before")  # set after the first read: not seen by this process
    ThingProvider().create(props(name="other"))
    assert fresh == [] and sorted(SERVER) == ["other", "tpl"]


def test_before_create_stops_before_anything_is_written(monkeypatch, fresh):
    arm(monkeypatch, "Thing:directory-ssl-template:create:before")
    with pytest.raises(Stopped):
        ThingProvider().create(props())
    assert fresh == [("Thing", "directory-ssl-template", "create", "before")]
    assert WRITES == [] and SERVER == {}


def test_after_create_stops_once_the_object_exists_and_before_the_answer(monkeypatch, fresh):
    arm(monkeypatch, "Thing:directory-ssl-template:create:after")
    with pytest.raises(Stopped):
        ThingProvider().create(props())
    assert WRITES == ["apply tpl"] and gen.owner_of(SERVER["tpl"]["mark"]) == "ndes/prod/directory-ssl-template"
    # the rerun (another process: the point is not armed there) takes the object back by its owner mark
    monkeypatch.delenv(faults.ENV)
    faults.reset()
    gen.forget()
    res = ThingProvider().create(props())
    assert res.id == "tpl" and list(SERVER) == ["tpl"]


def test_another_resource_or_type_is_not_stopped(monkeypatch, fresh):
    arm(monkeypatch, "Thing:ndes-host-ndes1-features:create:before")
    ThingProvider().create(props())
    arm(monkeypatch, "Other:*:create:before")
    ThingProvider().create(props(name="b"))
    assert fresh == [] and sorted(SERVER) == ["b", "tpl"]


def test_update_phases_wrap_a_planes_own_update_as_one_step(monkeypatch, fresh):
    p = OwnUpdateProvider()
    state = p.create(props()).outs
    arm(monkeypatch, "OwnUpdate:*:update:after")
    WRITES.clear()
    with pytest.raises(Stopped):
        p.update("tpl", state, props(size=2))
    # fired once, after the plane's own work, not inside it when it called the base's update
    assert WRITES == ["apply tpl", "own update done"] and fresh == [("OwnUpdate", "directory-ssl-template", "update", "after")]
    assert SERVER["tpl"]["size"] == 2
    arm(monkeypatch, "OwnUpdate:*:update:before")
    WRITES.clear()
    with pytest.raises(Stopped):
        p.update("tpl", state, props(size=3))
    assert WRITES == [] and SERVER["tpl"]["size"] == 2


def test_delete_phases(monkeypatch, fresh):
    p = ThingProvider()
    state = p.create(props()).outs
    arm(monkeypatch, "Thing:directory-ssl-template:delete:before")
    with pytest.raises(Stopped):
        p.delete("tpl", state)
    assert "tpl" in SERVER
    arm(monkeypatch, "Thing:directory-ssl-template:delete:after")
    with pytest.raises(Stopped):
        p.delete("tpl", state)
    assert SERVER == {} and fresh[-1][2:] == ("delete", "after")


def test_every_provider_of_the_chain_is_guarded():
    import ndes.providers as pkg
    import importlib
    import pkgutil

    found = []
    for m in pkgutil.iter_modules(pkg.__path__):
        mod = importlib.import_module(f"ndes.providers.{m.name}")
        for obj in vars(mod).values():
            if isinstance(obj, type) and issubclass(obj, NdesProvider) and obj.__module__ == mod.__name__:
                for verb in faults.PROPS_AT:
                    assert getattr(getattr(obj, verb), "_fault_guarded", False), (obj.__name__, verb)
                found.append(obj.__name__)
    assert {"ServiceAccountProvider", "AppProxyApplicationProvider", "ScepProfileProvider",
            "WindowsFeaturesProvider", "TemplateIssuanceProvider"} <= set(found)


def test_the_process_really_dies_and_says_where(tmp_path: Path):
    """Without the test double: the provider's process is SIGKILLed at the point, after writing the report."""
    report = tmp_path / "fault.json"
    code = textwrap.dedent("""
        from tests.unit.test_provider_faults import ThingProvider, SERVER
        ThingProvider().create({"name": "tpl", "owner": "ndes/prod/directory-ssl-template"})
        print("answered", SERVER)
    """)
    env = {**os.environ, faults.ENV: "Thing:directory-ssl-template:create:after",
           faults.REPORT_ENV: str(report)}
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.run([sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == -signal.SIGKILL, proc.stdout + proc.stderr
    assert "answered" not in proc.stdout
    doc = json.loads(report.read_text())
    assert (doc["type"], doc["name"], doc["verb"], doc["when"]) == ("Thing", "directory-ssl-template", "create", "after")
    assert doc["pid"] > 0


def test_session_scope_kills_the_whole_session_though_the_provider_has_a_group_of_its_own(tmp_path: Path):
    """The engine starts each plugin in a process group of its own: `session` reaches the CLI all the same (here a
    parent standing for the CLI, its child in another process group standing for the provider)."""
    report = tmp_path / "fault.json"
    child = textwrap.dedent("""
        from tests.unit.test_provider_faults import ThingProvider
        ThingProvider().create({"name": "tpl", "owner": "ndes/prod/directory-ssl-template"})
    """)
    parent = textwrap.dedent(f"""
        import subprocess, sys, time
        subprocess.run([sys.executable, "-c", {child!r}], process_group=0)
        time.sleep(5)
        print("the parent outlived its provider")
    """)
    env = {**os.environ, faults.ENV: "Thing:*:create:before:session", faults.REPORT_ENV: str(report)}
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.Popen([sys.executable, "-c", parent], cwd=root, env=env, stdout=subprocess.PIPE, text=True,
                            start_new_session=True)
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == -signal.SIGKILL and "outlived" not in out
    doc = json.loads(report.read_text())
    assert doc["sid"] == proc.pid and doc["pid"] != proc.pid


def test_a_named_step_inside_a_verb(monkeypatch, fresh):
    """STEPS: a window between two writes of one create (the App Proxy application instantiated, not yet named)."""
    assert faults.parse("AppProxyApplication:app-proxy-ndes1:create:instantiated").when == "instantiated"
    with pytest.raises(faults.FaultSpecError, match="when"):
        faults.parse("AppProxyApplication:*:create:instanciated")
    arm(monkeypatch, "Thing:directory-ssl-template:create:instantiated")
    faults.step(ThingProvider(), "ndes/prod/other#0123456789ab", "create", "instantiated")
    assert fresh == []
    with pytest.raises(Stopped):
        faults.step(ThingProvider(), "ndes/prod/directory-ssl-template#0123456789ab", "create", "instantiated")
    assert fresh == [("Thing", "directory-ssl-template", "create", "instantiated")]


def test_the_app_proxy_create_has_its_instantiated_step():
    import inspect

    from ndes.providers import app_proxy_application as apa
    src = inspect.getsource(apa.AppProxyApplicationProvider.apply)
    assert src.index("ap.instantiate(") < src.index('faults.step(self, inp.owner, "create", "instantiated")')
