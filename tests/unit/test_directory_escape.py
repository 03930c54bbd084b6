"""DN (RFC 4514) and filter (RFC 4515) escaping, and the names refused before anything reaches a DC."""
import pytest

from ndes.directory.escape import (check_name, child_dn, dn_value, eq, filter_value, parent_dn, rdn_value, same_dn,
                                   split_dn, unescape_dn_value)

HOSTILE = ['a,b', 'a+b', 'a"b', 'a\\b', 'a<b>', 'a;b', 'a=b', '#lead', 'x*)(cn=*', '(paren)', ' lead', 'trail ',
           'Zertifikat-Vorlage-ÄÖÜ-日本', 'a\x00b', 'a\nb']


@pytest.mark.parametrize("value", HOSTILE)
def test_dn_value_round_trips_and_splits_in_one_rdn(value):
    dn = child_dn("CN=Certificate Templates,DC=x", value)
    assert split_dn(dn)[1:] == ["CN=Certificate Templates", "DC=x"]
    assert rdn_value(dn) == value
    assert unescape_dn_value(dn_value(value)) == value
    assert parent_dn(dn) == "CN=Certificate Templates,DC=x"


def test_dn_value_escapes_each_special_character():
    assert dn_value(',+"\\<>;=') == '\\,\\+\\"\\\\\\<\\>\\;\\='
    assert dn_value("#a#") == "\\#a#"           # only a leading '#'
    assert dn_value(" a b ") == "\\ a b\\ "     # leading and trailing spaces, not inner ones
    assert dn_value("a\x00b") == "a\\00b"       # NUL as a hex pair
    assert dn_value("a\rb\n") == "a\\0Db\\0A"
    assert dn_value("Ärger") == "Ärger"         # non-ASCII kept (sent as UTF-8)


def test_filter_value_escapes_the_five_filter_specials():
    assert filter_value("x*)(cn=*") == "x\\2a\\29\\28cn=\\2a"
    assert filter_value("a\\b\x00") == "a\\5cb\\00"
    assert eq("sAMAccountName", "x*)(cn=*") == "(sAMAccountName=x\\2a\\29\\28cn=\\2a)"
    with pytest.raises(ValueError):
        eq("cn)(x", "a")


@pytest.mark.parametrize("value,reason", [
    ("", "empty"), ("a\x00b", "control"), ("a\tb", "control"), (" a", "spaces"), ("a ", "spaces"),
    ("x" * 65, "65 characters"),
])
def test_check_name_refuses_with_a_reason(value, reason):
    with pytest.raises(ValueError, match=reason):
        check_name(value, "a template name", 64)


def test_check_name_accepts_escapable_names():
    for v in ['a,b+c"d\\e<f>g;h=i#j*k(l)m', "x*)(cn=*", "Vorlage-日本", "x" * 64]:
        assert check_name(v, "a template name", 64) == v


def test_same_dn_ignores_case_and_escape_spelling():
    assert same_dn("CN=A\\,B,DC=Lab", "cn=a\\2cb,dc=lab")
    assert not same_dn("CN=A,DC=lab", "CN=B,DC=lab")
