"""The CA's enrollment-service cn is its sanitized short name (MS-WCCE 3.1.1.4.1.1, 1.3.2.5)."""
from ndes.directory.issuance import sanitized_name


def test_the_specification_example():
    # MS-WCCE 1.3.2.5 Sanitizing Common Names
    assert sanitized_name("LongCAName(WithSpeci@#$%^Characters") == "LongCAName!0028WithSpeci@!0023$!0025!005eCharacters"


def test_plain_names_are_unchanged():
    assert sanitized_name("Lab Issuing CA") == "Lab Issuing CA"
    assert sanitized_name("Contoso Issuing CA 01") == "Contoso Issuing CA 01"


def test_disallowed_and_non_ascii_characters_become_bang_hex():
    assert sanitized_name("Contoso (Issuing) CA #2") == "Contoso !0028Issuing!0029 CA !00232"
    assert sanitized_name("Café CA") == "Caf!00e9 CA"


def _hash(excess: str) -> int:
    # MS-WCCE 3.1.1.4.1.1.1, written out independently of the implementation
    h = 0
    for ch in excess:
        h = ((((h << 1) & 0xFFFF) | (1 if h & 0x8000 else 0)) + ord(ch)) & 0xFFFF
    return h


def test_long_names_are_cut_to_51_plus_a_hash_of_the_rest():
    name = "Contoso Enterprise Issuing Certification Authority Number 0001"  # 62 characters
    out = sanitized_name(name)
    assert out == f"{name[:51]}-{_hash(name[51:]):05d}" and len(out) == 57


def test_an_escape_cut_in_half_goes_whole_into_the_hash():
    name = "A" * 49 + "(BC"  # sanitized: 49 A, !0028, B, C -> 51 would end in "!0"
    out = sanitized_name(name)
    assert out.startswith("A" * 49 + "-") and out == f"{'A' * 49}-{_hash('!0028BC'):05d}"
