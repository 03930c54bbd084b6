"""The hand-built NDES's directory part (lab/handbuilt_directory.py) writes template values with an encoder of its
own, not the product's: checked here against real ldifde exports of console-made templates, and the product's
reader against the same exports (so the hand-build and the product agree because both agree with Windows).

The exports: Sleepw4lker/TameMyCerts, TameMyCerts.IntegrationTests/Tests/GenericWebServer.ldf (a Web Server
duplicate) and User_Online.ldf (a User duplicate); only the values used below are quoted.
"""
from __future__ import annotations

import base64
from types import SimpleNamespace

import pytest

from lab import handbuilt_directory as hd
from ndes.model.durations import Period
from ndes.model.templates import template_settings

# GenericWebServer.ldf and User_Online.ldf (identical where quoted once)
FIVE_YEARS = base64.b64decode("AEAepOhl+v8=")  # pKIExpirationPeriod
SIX_WEEKS = base64.b64decode("AICmCv/e//8=")  # pKIOverlapPeriod
SIGN_AND_ENCRYPT = base64.b64decode("oAA=")  # pKIKeyUsage, the shipped templates' digitalSignature+keyEncipherment
WEB_SERVER_DUP = {"flags": 131649, "msPKI-Enrollment-Flag": 0, "msPKI-Private-Key-Flag": 33685504,
                  "msPKI-Certificate-Name-Flag": 1, "msPKI-Minimal-Key-Size": 2048,
                  "pKIExtendedKeyUsage": ["1.3.6.1.5.5.7.3.1"], "displayName": "GenericWebServer",
                  "pKIExpirationPeriod": FIVE_YEARS, "pKIOverlapPeriod": SIX_WEEKS, "pKIKeyUsage": SIGN_AND_ENCRYPT}
USER_DUP = {**WEB_SERVER_DUP, "flags": 131642, "msPKI-Enrollment-Flag": 32, "msPKI-Private-Key-Flag": 33685520,
            "msPKI-Certificate-Name-Flag": 1107296256, "pKIExtendedKeyUsage": ["1.3.6.1.5.5.7.3.2"],
            "displayName": "User_Online"}


def test_the_lab_encoder_writes_what_windows_wrote():
    assert hd.period_bytes(5, "year") == FIVE_YEARS
    assert hd.period_bytes(6, "week") == SIX_WEEKS
    assert hd.key_usage_bytes(["digitalSignature", "keyEncipherment"]) == SIGN_AND_ENCRYPT
    with pytest.raises(ValueError, match="month"):
        hd.period_bytes(3, "month")  # a month has no fixed length in a FILETIME


@pytest.mark.parametrize("kind,export", [("ssl", WEB_SERVER_DUP), ("client", USER_DUP)])
def test_a_duplicate_keeps_the_shipped_flags_but_default_becomes_modified(kind, export):
    """The console's duplicate: the shipped flags with IS_DEFAULT swapped for IS_MODIFIED, as both exports show."""
    t = SimpleNamespace(display="x", validity_period=Period(5, "year"), renewal=Period(6, "week"),
                        key_usage=["digitalSignature", "keyEncipherment"], extended_key_usage=["serverAuth"],
                        publish_to_ad=False, enrollee_supplies_subject=True, exportable=False, minimum_key_size=2048)
    assert hd.duplicate(kind, t, "1.2.3")["flags"] == export["flags"]


def test_the_product_reads_the_real_exports_in_the_admins_words():
    web = template_settings("ssl", "GenericWebServer", WEB_SERVER_DUP)
    assert (str(web.validity), str(web.renewal_period)) == ("5 years", "6 weeks")
    assert web.key_usage == ["digitalSignature", "keyEncipherment"] and web.extended_key_usage == ["serverAuth"]
    assert web.enrollee_supplies_subject and not web.exportable and not web.publish_to_ad
    user = template_settings("client", "User_Online", USER_DUP)
    assert user.exportable and not user.enrollee_supplies_subject and user.extended_key_usage == ["clientAuth"]
    assert user.minimum_key_size == 2048


def test_the_hand_build_imports_no_product_directory_code():
    import ast
    import inspect

    tree = ast.parse(inspect.getsource(hd))
    imported = [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    imported += [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    assert not [m for m in imported if m.startswith("ndes")], imported
