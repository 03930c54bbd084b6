"""The pure derivations: template bytes, key usage, MSCEP mapping, URLs, names, Graph enums."""
import pytest

from ndes.model.durations import Period, from_filetime_interval, parse_period, to_filetime_interval
from ndes.model.eku import canonical_eku, normalize_ekus
from ndes.model.graph_enums import key_usage_value, validity_value
from ndes.model.keyusage import (key_usage_bytes, key_usage_from_bytes, mscep_mapping, mscep_value_for,
                                 template_purpose)
from ndes.model.templates import TemplateSettings, template_attributes, template_settings
from ndes.model.urls import normalize_fqdn, scep_url, ssl_names


@pytest.mark.parametrize("text,hexbytes", [
    ("1 year", "00 40 39 87 2e e1 fe ff"),   # MS-CRTD User template validity
    ("2 years", "00 80 72 0e 5d c2 fd ff"),  # Web Server validity
    ("6 weeks", "00 80 a6 0a ff de ff ff"),  # renewal (overlap) period of both
    ("5 years", "00 40 1e a4 e8 65 fa ff"),
])
def test_filetime_intervals(text, hexbytes):
    raw = to_filetime_interval(parse_period(text))
    assert raw.hex(" ") == hexbytes
    assert str(from_filetime_interval(raw)) == text


def test_filetime_reads_back_days_and_hours():
    assert from_filetime_interval(to_filetime_interval(Period(10, "day"))) == Period(10, "day")
    assert from_filetime_interval(to_filetime_interval(Period(14, "day"))) == Period(2, "week")
    assert from_filetime_interval(to_filetime_interval(Period(36, "hour"))) == Period(36, "hour")


@pytest.mark.parametrize("bad", ["", "two years", "0 days", "3 fortnights", 5])
def test_bad_periods_are_refused(bad):
    with pytest.raises(ValueError):
        parse_period(bad)


def test_months_are_refused_for_templates():
    with pytest.raises(ValueError, match="months are not accepted"):
        parse_period("12 months", allowed=("day", "week", "year"))


def test_key_usage_byte():
    assert key_usage_bytes(["digitalSignature", "keyEncipherment"]) == b"\xa0\x00"
    assert key_usage_bytes(["keyEncipherment", "DigitalSignature"]) == b"\xa0\x00"
    assert key_usage_bytes(["digitalSignature", "nonRepudiation", "keyEncipherment"]) == b"\xe0\x00"
    assert key_usage_bytes(["decipherOnly"]) == b"\x00\x80"
    assert key_usage_from_bytes(b"\xa0\x00") == ["digitalSignature", "keyEncipherment"]


@pytest.mark.parametrize("ku,value,purpose", [
    (["digitalSignature"], "SignatureTemplate", "Signature"),
    (["keyEncipherment"], "EncryptionTemplate", "Encryption"),
    (["digitalSignature", "keyEncipherment"], "GeneralPurposeTemplate", "Signature and encryption"),
    (["keyEncipherment", "digitalSignature"], "GeneralPurposeTemplate", "Signature and encryption"),
])
def test_mscep_mapping(ku, value, purpose):
    assert mscep_value_for(ku) == value
    assert mscep_mapping(ku, "NDES-Intune") == {value: "NDES-Intune"}
    assert template_purpose(ku) == purpose


def test_mscep_mapping_needs_a_usage():
    with pytest.raises(ValueError):
        mscep_value_for([])
    assert template_purpose(["cRLSign"]) is None


@pytest.mark.parametrize("url,expected", [
    ("https://ndes-contoso.msappproxy.net/", "https://ndes-contoso.msappproxy.net/certsrv/mscep/mscep.dll"),
    ("https://ndes-contoso.msappproxy.net", "https://ndes-contoso.msappproxy.net/certsrv/mscep/mscep.dll"),
    ("HTTPS://NDES-Contoso.MsAppProxy.NET///", "https://ndes-contoso.msappproxy.net/certsrv/mscep/mscep.dll"),
    ("https://ndes.contoso.com:443/", "https://ndes.contoso.com/certsrv/mscep/mscep.dll"),
    ("https://ndes.contoso.com:8443", "https://ndes.contoso.com:8443/certsrv/mscep/mscep.dll"),
    ("https://proxy.contoso.com/ndes/", "https://proxy.contoso.com/ndes/certsrv/mscep/mscep.dll"),
    ("https://ndes.contoso.com/certsrv/mscep/mscep.dll", "https://ndes.contoso.com/certsrv/mscep/mscep.dll"),
    ("  https://ndes.contoso.com./  ", "https://ndes.contoso.com/certsrv/mscep/mscep.dll"),
])
def test_scep_url(url, expected):
    assert scep_url(url) == expected


@pytest.mark.parametrize("url,why", [
    ("http://ndes.contoso.com/", "must use https"),
    ("ndes.contoso.com", "no scheme"),
    ("https://ndes/", "fully qualified"),
    ("https://ndes.contoso.com/?x=1", "query"),
    ("https://user:pw@ndes.contoso.com/", "credentials"),
    ("https://nd es.contoso.com/", "fully qualified"),
])
def test_scep_url_refuses(url, why):
    with pytest.raises(ValueError, match=why):
        scep_url(url)


def test_ssl_names():
    assert ssl_names("https://ndes-contoso.msappproxy.net/", "NDES01.contoso.com") == (
        "ndes-contoso.msappproxy.net", ["ndes-contoso.msappproxy.net", "ndes01.contoso.com"])
    assert ssl_names("https://ndes-contoso.msappproxy.net/", "ndes01.contoso.com", "internal")[0] == "ndes01.contoso.com"
    assert ssl_names("https://ndes01.contoso.com/", "ndes01.contoso.com")[1] == ["ndes01.contoso.com"]
    with pytest.raises(ValueError):
        normalize_fqdn("-bad-.contoso.com")


def test_ekus():
    assert canonical_eku("CLIENTAUTH") == "clientAuth"
    assert canonical_eku("1.3.6.1.5.5.7.3.1") == "serverAuth"
    assert canonical_eku("1.2.3.4") == "1.2.3.4"
    assert normalize_ekus(["clientAuth", "serverAuth", "clientauth"]) == ["serverAuth", "clientAuth"]
    with pytest.raises(ValueError):
        canonical_eku("client auth please")


def test_graph_enums():
    assert key_usage_value(["digitalSignature", "keyEncipherment"]) == "keyEncipherment,digitalSignature"
    assert validity_value(parse_period("1 year")) == (1, "years")
    assert validity_value(parse_period("2 weeks")) == (14, "days")
    assert validity_value(parse_period("6 months")) == (6, "months")


def _client(**kw):
    base = dict(kind="client", name="NDES-Intune", display_name="NDES Intune", validity=Period(1, "year"),
                renewal_period=Period(6, "week"), key_usage=["digitalSignature", "keyEncipherment"],
                extended_key_usage=["clientAuth"])
    base.update(kw)
    return TemplateSettings(**base)


def test_client_template_attributes_match_the_reference():
    a = template_attributes(_client())
    assert a["flags"] == 131584
    assert a["msPKI-Certificate-Name-Flag"] == 1
    assert a["msPKI-Enrollment-Flag"] == 33
    assert a["msPKI-Private-Key-Flag"] == 16842752
    assert a["msPKI-Minimal-Key-Size"] == 2048
    assert a["pKIKeyUsage"] == b"\xa0\x00"
    assert a["pKIExtendedKeyUsage"] == ["1.3.6.1.5.5.7.3.2"] == a["msPKI-Certificate-Application-Policy"]
    assert a["msPKI-Template-Schema-Version"] == 2
    assert a["pKIExpirationPeriod"].hex() == "004039872ee1feff"
    assert a["pKIOverlapPeriod"].hex() == "0080a60affdeffff"


def test_ssl_template_attributes_match_the_reference():
    a = template_attributes(TemplateSettings(kind="ssl", name="NDES-SSL", display_name="NDES SSL",
                                             validity=Period(2, "year"), renewal_period=Period(6, "week"),
                                             extended_key_usage=["serverAuth", "clientAuth"]))
    assert a["flags"] == 131648
    assert a["msPKI-Enrollment-Flag"] == 0
    assert a["pKIExtendedKeyUsage"] == ["1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"]
    assert a["pKIDefaultCSPs"][1] == "1,Microsoft RSA SChannel Cryptographic Provider"


def test_template_settings_round_trip_in_words():
    t = _client(exportable=True, publish_to_ad=True, minimum_key_size=4096, enrollee_supplies_subject=False)
    a = template_attributes(t)
    assert a["msPKI-Private-Key-Flag"] == 16842768
    assert a["msPKI-Certificate-Name-Flag"] == -1509949440
    back = template_settings("client", t.name, {k: [v] if not isinstance(v, list) else v for k, v in a.items()})
    assert back == t


def test_one_thumbprint_spelling():
    from ndes.model.thumbprints import normalized
    assert normalized("ab " * 13 + "a") is None  # 40 characters with spaces, but 27 hex digits
    assert normalized("aa:" * 19 + "aa") == "AA" * 20
    assert normalized("0f" * 20) == "0F" * 20
    assert normalized("0g" * 20) is None and normalized("") is None and normalized("AB" * 21) is None
