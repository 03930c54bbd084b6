"""The adoption report a create with `adopt: true` prints at preview (ndes/providers/adoption.py), with a fake
provider: one line per differing field, a line when nothing matches, nothing for values unknown at preview,
nothing without adopt or on an update, a failed lookup reported instead of raised."""
from __future__ import annotations

from typing import Any, ClassVar

from pulumi.output import Unknown

from ndes.providers import adoption
from ndes.providers.base import Existing, NdesProvider, ResourceInputs


class Inputs(ResourceInputs):
    site: str
    host_name: str = ""
    thumbprint: str
    password: str = ""


class FakeProvider(NdesProvider):
    kind: ClassVar[str] = "IisHttpsBinding"
    Inputs: ClassVar[type[ResourceInputs]] = Inputs
    secret_fields: ClassVar[frozenset[str]] = frozenset({"password"})

    def __init__(self, live: dict[str, Any] | None, found: bool = True, boom: Exception | None = None):
        self.live, self.found, self.boom, self.calls = live, found, boom, []

    def find(self, inp):
        self.calls.append(("find", inp.site))
        if self.boom:
            raise self.boom
        return Existing(f"{inp.site}/https/443") if self.found else None

    def get(self, id_, inp):
        self.calls.append(("get", id_))
        return self.live


def props(**over):
    p = {"adopt": True, "configKey": "ndes:sslCertificate", "site": "Default Web Site", "hostName": "",
         "thumbprint": "A" * 40, "password": "s3cret"}
    p.update(over)
    return p


def test_each_difference_is_one_line_secrets_left_out():
    prov = FakeProvider({"site": "Default Web Site", "hostName": "ndes2.contoso.com", "thumbprint": "B" * 40,
                         "password": "other"})
    lines = adoption.differences(prov, props())
    assert lines == [
        "adopt: IisHttpsBinding (ndes:sslCertificate) Default Web Site/https/443: hostName 'ndes2.contoso.com' -> ''",
        f"adopt: IisHttpsBinding (ndes:sslCertificate) Default Web Site/https/443: thumbprint '{'B' * 40}' -> "
        f"'{'A' * 40}'"]


def test_same_object_says_nothing_and_integral_floats_are_numbers():
    class Num(Inputs):
        limit: int = 65534
    class P(FakeProvider):
        Inputs = Num
    prov = P({"site": "Default Web Site", "hostName": "", "thumbprint": "A" * 40, "limit": 65534.0})
    assert adoption.differences(prov, props(limit=65534)) == []


def test_unknown_values_are_left_out_of_the_comparison():
    prov = FakeProvider({"site": "Default Web Site", "hostName": "x", "thumbprint": "B" * 40})
    lines = adoption.differences(prov, props(thumbprint=Unknown()))
    assert lines == ["adopt: IisHttpsBinding (ndes:sslCertificate) Default Web Site/https/443: hostName 'x' -> ''"]


def test_nothing_to_take_over():
    assert adoption.differences(FakeProvider(None, found=False), props()) == [
        "adopt: IisHttpsBinding (ndes:sslCertificate): no existing object matches the configuration; a new one is made"]
    # when the lookup needed an unknown value, the object cannot be named yet: silence
    assert adoption.differences(FakeProvider(None, found=False), props(thumbprint=Unknown())) == []


def test_find_may_miss_a_hand_made_object_that_get_still_reads():
    prov = FakeProvider({"site": "Default Web Site", "hostName": "h", "thumbprint": "A" * 40}, found=False)
    assert adoption.differences(prov, props()) == [
        "adopt: IisHttpsBinding (ndes:sslCertificate): hostName 'h' -> ''"]


def test_report_only_on_a_create_with_adopt(capsys):
    prov = FakeProvider({"site": "Default Web Site", "hostName": "h", "thumbprint": "A" * 40})
    adoption.report(prov, {"site": "Default Web Site"}, props())  # an update: olds present
    adoption.report(prov, {}, props(adopt=False))
    assert prov.calls == [] and capsys.readouterr().err == ""
    adoption.report(prov, {}, props())
    assert "hostName 'h' -> ''" in capsys.readouterr().err


def test_a_failed_lookup_is_reported_not_raised(capsys):
    prov = FakeProvider(None, boom=RuntimeError("failed to run script 'IisHttpsBinding' on ndes2: refused"))
    adoption.report(prov, {}, props())
    err = capsys.readouterr().err
    assert "could not read the existing object" in err and "refused" in err


def test_invalid_inputs_say_nothing(capsys):
    prov = FakeProvider({})
    adoption.report(prov, {}, props(thumbprint=None))
    assert capsys.readouterr().err == "" and prov.calls == []


def test_check_prints_the_report_then_validates(capsys):
    prov = FakeProvider({"site": "Default Web Site", "hostName": "h", "thumbprint": "A" * 40})
    result = prov.check({}, props())
    assert not result.failures
    assert "hostName 'h' -> ''" in capsys.readouterr().err


def test_actions_and_read_only_exports_take_nothing_over():
    class Reboot(FakeProvider):
        kind = "HostReboot"
    prov = Reboot(None, found=False)
    assert adoption.differences(prov, props()) == [] and prov.calls == []
