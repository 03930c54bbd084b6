"""Upgrades: state written by the last release (golden fixtures, tests/unit/golden_state/<Kind>.json, captured with
tests/unit/golden_state.py from that release's code) must still work with today's code: the provider pickle
imports (state names classes by module path), old outputs parse (refresh and destroy run `parse` first), and
today's program previews no change against them (no spurious update or replace after an upgrade)."""
from __future__ import annotations

import base64
import json

import dill
import pytest

from ndes.providers.base import NdesProvider

from . import golden_state as gs

GOLDEN = {p.stem: json.loads(p.read_text()) for p in sorted(gs.GOLDEN_DIR.glob("*.json"))}


# What an upgrade from the golden release DOES change, on purpose (an update in place, never a replace). Anything
# else that differs is a spurious change the upgrade would show every existing stack.
INTENDED_UPDATES: dict[str, set[str]] = {
    # none from 2a15dbe (the release the golden state was captured from, with its own lab config)
}


@pytest.fixture(scope="module")
def today():
    """Today's program with the golden release's lab config (tests/unit/golden_state/Pulumi.lab.yaml)."""
    return gs.capture(gs.GOLDEN_DIR / "Pulumi.lab.yaml")


def test_there_is_golden_state_for_every_kind_the_lab_program_makes(today):
    assert sorted(GOLDEN) == sorted({r["kind"] for r in today.values()})


@pytest.mark.parametrize("kind", sorted(GOLDEN))
def test_the_pickled_provider_of_old_state_imports(kind):
    provider = dill.loads(base64.b64decode(GOLDEN[kind]["provider"]))
    assert isinstance(provider, NdesProvider) and type(provider).__name__ == f"{kind}Provider"


@pytest.mark.parametrize("kind", sorted(GOLDEN))
def test_old_outputs_parse_with_todays_inputs_model(kind):
    provider = dill.loads(base64.b64decode(GOLDEN[kind]["provider"]))
    old = provider.upgraded(GOLDEN[kind]["outputs"])
    provider.parse(old)  # read and delete start here: a stricter validator or a new required field fails it


@pytest.mark.parametrize("kind", sorted(GOLDEN))
def test_todays_program_previews_no_change_against_old_state(kind, today):
    provider = dill.loads(base64.b64decode(GOLDEN[kind]["provider"]))
    news = today[GOLDEN[kind]["name"]]["inputs"]  # the same resource, as today's program declares it
    res = provider.diff(f"{kind}-id", GOLDEN[kind]["outputs"], news)
    # `connection` (the reference to the stack config's connection) is new: absent from old state it is no change
    # (the old state's inline connection serves until the resource next updates, which records the reference)
    changed = [n for n in provider.compared_fields() if json.dumps(GOLDEN[kind]["outputs"].get(n), sort_keys=True)
               != json.dumps(news.get(n), sort_keys=True) and not (n == "connection" and n not in GOLDEN[kind]["outputs"])]
    assert not res.replaces, f"{kind}: an upgrade would replace {res.replaces}"
    unintended = set(changed) - INTENDED_UPDATES.get(kind, set())
    assert not (res.changes and unintended), f"{kind}: an upgrade would update {sorted(unintended)}"
