"""The crash matrix's own harness (tests/e2e/test_crash_matrix_e2e.py), checked without a lab: what it repairs
after a killed CLI (only the engine's own leftovers, and it says so) and how an update cell makes the next `up`
update a resource whose every own input replaces it (its connection reference)."""
from __future__ import annotations

from pathlib import Path

from tests.e2e import test_crash_matrix_e2e as cm


def _backend(tmp_path: Path) -> Path:
    stacks = tmp_path / ".pulumi" / "stacks" / "ndes"
    stacks.mkdir(parents=True)
    (stacks / "lab.json").write_text('{"version": 3}')
    locks = tmp_path / ".pulumi" / "locks" / "ndes" / "lab"
    locks.mkdir(parents=True)
    return stacks


def test_repair_removes_the_lock_and_an_emptied_sidecar_and_says_so(tmp_path):
    stacks = _backend(tmp_path)
    (tmp_path / ".pulumi" / "locks" / "ndes" / "lab" / "0b5c.json").write_text("{}")
    (stacks / "lab.json.attrs").write_text("")
    done = cm._repair(tmp_path)
    assert not (stacks / "lab.json.attrs").exists()
    assert (stacks / "lab.json").read_text() == '{"version": 3}'  # the state itself is never touched
    assert any("lock" in d for d in done) and any("lab.json.attrs" in d and "save" in d for d in done)


def test_repair_also_covers_the_backup_and_history_sidecars(tmp_path):
    _backend(tmp_path)
    history = tmp_path / ".pulumi" / "history" / "ndes" / "lab"
    history.mkdir(parents=True)
    (history / "lab-1.checkpoint.json.attrs").write_text("")
    (history / "lab-1.checkpoint.json").write_text("{}")
    assert len(cm._repair(tmp_path)) == 1
    assert not (history / "lab-1.checkpoint.json.attrs").exists() and (history / "lab-1.checkpoint.json").exists()


def test_repair_keeps_a_whole_sidecar_and_reports_nothing(tmp_path):
    stacks = _backend(tmp_path)
    (stacks / "lab.json.attrs").write_text('{"user.content_type":"application/octet-stream"}\n')
    assert cm._repair(tmp_path) == []
    assert (stacks / "lab.json.attrs").exists()


def test_a_connection_reference_is_bent_by_its_fingerprint_only():
    ref = {"ref": "winrm:ca1.lab.example", "fingerprint": "ab12", "host": "ca1.lab.example"}
    assert cm._bent(ref) == {**ref, "fingerprint": "ab12-was"}
    assert cm._bent({"not": "a reference"}) is None


def test_types_whose_inputs_all_replace_them_are_updated_through_their_connection():
    for type_ in ("CaAccess", "LocalGroupMember", "NdesRole"):
        cls = cm._provider_class(type_)
        assert cm._candidates(cls) == ["connection"], type_
        outs = {"connection": {"ref": "winrm:ndes1.lab.example", "fingerprint": "ab12"}}
        assert cm._valid(cls, outs, "connection"), type_

