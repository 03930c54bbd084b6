"""A resource's URN is its identity in every existing stack: the lab stack's URNs (computed under mocks) must stay
those committed in tests/unit/lab_stack_urns.txt, or answer to them through an alias. Otherwise the next
`pulumi up` deletes the old resource and creates a new one (docs: "Refactoring with aliases")."""
from __future__ import annotations

import pulumi
import pytest

from . import stack_urns as su


@pytest.fixture(scope="module")
def registered():
    return su.collect()


def committed() -> list[str]:
    return [line.strip() for line in su.URN_FILE.read_text().splitlines()
            if line.strip() and not line.startswith("#")]


def test_every_committed_urn_is_still_registered_or_aliased(registered):
    answered = set(registered)
    for res in registered.values():
        answered |= su.alias_urns(res, registered)
    lost = [u for u in committed() if u not in answered]
    assert not lost, (
        "these resources changed URN without an alias, so `pulumi up` would delete and re-create them: add "
        "opts=ResourceOptions(aliases=[...]) naming the old name/type/parent on the resource or its component, "
        "then run `.venv/bin/python -m tests.unit.stack_urns --write`:\n" + "\n".join(lost))


def test_every_registered_urn_is_in_the_committed_list(registered):
    new = sorted(set(registered) - set(committed()))
    assert not new, ("new resources: review their names (they are permanent), then run "
                     "`.venv/bin/python -m tests.unit.stack_urns --write`:\n" + "\n".join(new))


def test_the_check_sees_an_alias_that_covers_a_re_parented_resource():
    """The mechanism itself: a component inserted above a resource, with an alias to the old parent, answers to
    the old URN; its children follow the component's alias as the engine derives them."""
    monitor = su._Monitor(su._Echo())
    pulumi.runtime.set_mocks(monitor.mocks, project=su.PROJECT, stack=su.STACK, preview=False, monitor=monitor)

    @pulumi.runtime.test
    def run():
        top = pulumi.ComponentResource("ndes:index:NdesScepDeployment", "ndes")
        wrapper = pulumi.ComponentResource("ndes:index:Wrapper", "w", opts=pulumi.ResourceOptions(
            parent=top, aliases=[pulumi.Alias(type_="ndes:index:DirectoryPlane", name="directory")]))
        child = pulumi.ComponentResource("ndes:index:Leaf", "leaf", opts=pulumi.ResourceOptions(parent=wrapper))
        return child.urn

    run()
    reg = monitor.registered
    leaf = next(r for r in reg.values() if r.name == "leaf")
    assert su.urn("urn:pulumi:lab::ndes::ndes:index:NdesScepDeployment$ndes:index:DirectoryPlane::directory",
                  "ndes:index:Leaf", "leaf") in su.alias_urns(leaf, reg)
    assert leaf.urn == ("urn:pulumi:lab::ndes::ndes:index:NdesScepDeployment$ndes:index:Wrapper$"
                        "ndes:index:Leaf::leaf")
