"""The base's delete keeps a live object a replacement or a moved resource took over (generations), and state
from an older release reads as today's (schema version, migrate, defaults). A fake plane stands for a server:
it keeps objects by natural key and writes the owner mark it is given, as every real plane does."""
from __future__ import annotations

from typing import Any, ClassVar

import pytest

from ndes.providers import generation as gen
from ndes.providers.base import SCHEMA_KEY, AlreadyExists, Existing, NdesProvider, ResourceInputs

SERVER: dict[str, dict[str, Any]] = {}


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
        SERVER[inp.name] = {"size": inp.size, "mark": inp.owner}
        return inp.name, {}

    def get(self, id_: str, inp: ThingInputs) -> dict[str, Any] | None:
        obj = SERVER.get(id_)
        return {"name": id_, "size": obj["size"]} if obj else None

    def remove(self, id_: str, inp: ThingInputs) -> None:
        SERVER.pop(id_, None)


class RecordProvider(ThingProvider):
    """A plane that names a record after the owner (as WindowsFeatures does): it cannot carry a generation."""

    kind: ClassVar[str] = "Record"
    stamps_generation: ClassVar[bool] = False


@pytest.fixture(autouse=True)
def fresh():
    SERVER.clear()
    gen.forget()
    yield
    gen.forget()


def props(**kw: Any) -> dict[str, Any]:
    return {"name": "tpl", "owner": "ndes/prod/directory-ssl-template", **kw}


def new_process() -> None:
    gen.forget()


def test_a_create_stamps_a_generation_on_the_live_object_and_keeps_it_in_state():
    res = ThingProvider().create(props())
    g = res.outs[gen.GENERATION_KEY]
    assert SERVER["tpl"]["mark"] == f"ndes/prod/directory-ssl-template#{g}"
    assert res.outs["owner"] == "ndes/prod/directory-ssl-template"  # inputs stay in the admin's words
    assert res.outs[SCHEMA_KEY] == ThingProvider.schema_version


def test_replace_create_before_delete_keeps_the_live_object(capsys):
    p = ThingProvider()
    old = p.create(props()).outs
    new = p.create(props()).outs  # the replacement takes its object back (same owner mark)
    assert new[gen.GENERATION_KEY] != old[gen.GENERATION_KEY]
    p.delete("tpl", old)  # the engine deletes the replaced resource
    assert "tpl" in SERVER
    assert "keep: Thing tpl" in capsys.readouterr().err
    p.delete("tpl", new)  # a later destroy removes it
    assert "tpl" not in SERVER


def test_a_pending_delete_in_a_later_deployment_keeps_what_a_newer_create_stamped(capsys):
    p = ThingProvider()
    old = p.create(props()).outs
    p.create(props())
    new_process()  # the update was interrupted; the next `pulumi up` runs the pending delete
    p.delete("tpl", old)
    assert "tpl" in SERVER
    assert "newer create took it over" in capsys.readouterr().err


def test_a_create_that_crashed_before_the_engine_recorded_it_is_taken_back():
    p = ThingProvider()
    p.create(props())  # its result never reached the state
    new_process()
    again = p.create(props())
    assert again.id == "tpl" and SERVER["tpl"]["mark"].endswith(again.outs[gen.GENERATION_KEY])


def test_another_owners_object_is_refused_without_adopt_and_kept_on_delete():
    p = ThingProvider()
    SERVER["tpl"] = {"size": 1, "mark": "other/stack/x#0123456789ab"}
    with pytest.raises(AlreadyExists, match="adopt: true"):
        p.create(props())
    mine = {**props(), gen.GENERATION_KEY: "aaaaaaaaaaaa"}
    p.delete("tpl", mine)
    assert SERVER["tpl"]["mark"] == "other/stack/x#0123456789ab"


def test_state_from_before_generations_deletes_its_plain_marked_object():
    p = ThingProvider()
    SERVER["tpl"] = {"size": 1, "mark": "ndes/prod/directory-ssl-template"}
    p.delete("tpl", props())
    assert "tpl" not in SERVER


def test_state_from_before_generations_keeps_an_object_a_newer_create_stamped():
    p = ThingProvider()
    SERVER["tpl"] = {"size": 1, "mark": "ndes/prod/directory-ssl-template"}
    legacy = props()
    p.create(props())  # a --replace after the upgrade
    new_process()
    p.delete("tpl", legacy)
    assert "tpl" in SERVER


def test_an_update_keeps_the_generation_so_the_resource_can_still_be_deleted():
    p = ThingProvider()
    outs = p.create(props()).outs
    upd = p.update("tpl", outs, props(size=2)).outs
    assert upd[gen.GENERATION_KEY] == outs[gen.GENERATION_KEY] and SERVER["tpl"]["size"] == 2
    new_process()
    p.delete("tpl", upd)
    assert "tpl" not in SERVER


def test_a_plane_that_cannot_carry_a_generation_is_kept_within_the_deployment():
    p = RecordProvider()
    old = p.create(props()).outs
    assert SERVER["tpl"]["mark"] == "ndes/prod/directory-ssl-template"  # no generation on the live object
    p.create(props())
    p.delete("tpl", old)
    assert "tpl" in SERVER
    new_process()
    p.delete("tpl", old)  # a plain destroy later removes it
    assert "tpl" not in SERVER


def test_an_adopted_object_is_taken_over_and_stamped():
    p = ThingProvider()
    SERVER["tpl"] = {"size": 1, "mark": None}  # built by hand
    res = p.create(props(adopt=True))
    assert SERVER["tpl"]["mark"].endswith(res.outs[gen.GENERATION_KEY])


# ---- upgrades ------------------------------------------------------------------------------------------------

class GrownInputs(ThingInputs):
    colour: str = "blue"


class GrownProvider(ThingProvider):
    """Release N+1 of Thing: a new input with a default, a renamed one, schema 2."""

    Inputs: ClassVar[type[ResourceInputs]] = GrownInputs
    schema_version: ClassVar[int] = 2
    seen: ClassVar[list[int]] = []

    def migrate(self, olds: dict[str, Any], version: int) -> dict[str, Any]:
        GrownProvider.seen.append(version)
        if "legacySize" in olds:
            olds = {**olds, "size": olds.pop("legacySize")}
        return olds


def test_an_input_added_with_its_default_is_no_change_for_old_state():
    old = ThingProvider().create(props()).outs
    news = GrownProvider().check({}, props()).inputs
    assert news["colour"] == "blue"
    assert not GrownProvider().diff("tpl", old, news).changes
    assert GrownProvider().diff("tpl", old, {**news, "colour": "red"}).changes


def test_migrate_runs_on_old_state_before_diff_and_delete():
    GrownProvider.seen.clear()
    old = {k: v for k, v in ThingProvider().create(props()).outs.items() if k != SCHEMA_KEY}
    old["legacySize"] = old.pop("size")
    news = GrownProvider().check({}, props()).inputs
    assert not GrownProvider().diff("tpl", old, news).changes
    assert GrownProvider.seen == [0]
    current = {**old, SCHEMA_KEY: 2}
    GrownProvider().diff("tpl", current, news)
    assert GrownProvider.seen == [0]  # state already at today's schema is not migrated
    GrownProvider().delete("tpl", old)
    assert "tpl" not in SERVER and GrownProvider.seen == [0, 0]


def test_internal_state_keys_never_reach_the_inputs():
    outs = ThingProvider().create(props()).outs
    assert ThingProvider().parse(outs).name == "tpl"
    read = ThingProvider().read("tpl", outs)
    assert gen.GENERATION_KEY not in read.inputs and SCHEMA_KEY not in read.inputs
    assert read.outs[gen.GENERATION_KEY] == outs[gen.GENERATION_KEY]


class OwnUpdateProvider(ThingProvider):
    """A plane with its own update (CertificateTemplate, ServiceAccount): it parses news and applies itself."""

    kind: ClassVar[str] = "OwnUpdate"

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]):
        from pulumi.dynamic import UpdateResult
        inp = self.parse(news)
        new_id, live = self.apply(inp, Existing(id_))
        return UpdateResult(self._outs(inp, new_id, live))


def test_a_planes_own_update_keeps_the_generation_on_the_live_object_and_in_state():
    p = OwnUpdateProvider()
    outs = p.create(props()).outs
    upd = p.update("tpl", outs, props(size=3)).outs
    assert SERVER["tpl"]["mark"] == f"ndes/prod/directory-ssl-template#{outs[gen.GENERATION_KEY]}"
    assert upd[gen.GENERATION_KEY] == outs[gen.GENERATION_KEY] and upd[SCHEMA_KEY] == p.schema_version
    assert upd["owner"] == "ndes/prod/directory-ssl-template"
    p.delete("tpl", upd)
    assert "tpl" not in SERVER


def test_every_real_provider_keeps_generations_through_its_update():
    from ndes.providers.certificate_template import CertificateTemplateProvider
    from ndes.providers.service_account import ServiceAccountProvider
    from ndes.providers.machine_certificate import MachineCertificateProvider
    from ndes.providers.windows_features import WindowsFeaturesProvider

    for cls in (CertificateTemplateProvider, ServiceAccountProvider):
        assert getattr(cls.update, "_keeps_generation", False), cls
    assert not WindowsFeaturesProvider.stamps_generation  # its script names a record after the owner
    assert not MachineCertificateProvider.stamps_generation  # its script keeps a taken-over FriendlyName


def test_an_unknown_identity_of_another_resource_is_no_change_at_preview():
    from pulumi.output import Unknown

    from ndes.providers.ca_access import CaAccessProvider
    from ndes.providers.iis_https_binding import IisHttpsBindingProvider

    assert CaAccessProvider.identity_inputs == {"accountSid"} and "thumbprint" in IisHttpsBindingProvider.identity_inputs
    p = CaAccessProvider()
    olds = {"caName": "CA", "account": "LAB\\svc", "accountSid": "S-1-5-21-1", "endpoint": {"host": "ca"}}
    assert not p.diff("id", olds, {**olds, "accountSid": Unknown()}).changes  # the account is only updated
    assert p.diff("id", olds, {**olds, "accountSid": "S-1-5-21-2"}).changes  # the up, re-diffed, sees a new SID
    assert p.diff("id", {**olds, "accountSid": None}, {**olds, "accountSid": Unknown()}).changes  # none known yet
