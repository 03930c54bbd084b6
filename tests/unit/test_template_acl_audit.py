"""The template ACL audit (security review M-2; ESC1/ESC4 in SpecterOps' "Certified Pre-Owned"): every principal
but the built-in admins holding Enroll, AutoEnroll, write, WriteDACL, WriteOwner or full control is reported, the
enroll principals may hold Enroll and nothing more, and only explicit extra grants are removed."""
from ndes.directory.security import (ACCESS_ALLOWED, ACCESS_ALLOWED_OBJECT, ADS_RIGHT_DS_CONTROL_ACCESS,
                                     AUTOENROLL_GUID, ENROLL_GUID, INHERITED_ACE, Ace, Acl, SecurityDescriptor,
                                     enroll_ace, extra_grants, read_ace, remove_extra_grants)

DOM = "S-1-5-21-1-2-3"
SVC = f"{DOM}-1105"


def dacl() -> Acl:
    return Acl(2, [
        Ace(ACCESS_ALLOWED, 0, 0xF01FF, f"{DOM}-512"),                        # Domain Admins: full control
        Ace(ACCESS_ALLOWED, 0, 0xF01FF, "S-1-5-18"),                           # SYSTEM
        Ace(ACCESS_ALLOWED, 0, 0x20094, "S-1-5-11"),                           # Authenticated Users: Read
        read_ace(SVC), enroll_ace(SVC),                                        # the intended grant
        Ace(ACCESS_ALLOWED_OBJECT, 0, ADS_RIGHT_DS_CONTROL_ACCESS, "S-1-5-11", ENROLL_GUID),  # ESC1 shape
        Ace(ACCESS_ALLOWED, 0, 0x40020, f"{DOM}-513"),                         # Domain Users: WP + WD (ESC4)
        Ace(ACCESS_ALLOWED_OBJECT, 0, ADS_RIGHT_DS_CONTROL_ACCESS, SVC, AUTOENROLL_GUID),
        Ace(ACCESS_ALLOWED, INHERITED_ACE, 0x10000000, f"{DOM}-1200"),         # inherited GenericAll
        Ace(ACCESS_ALLOWED, INHERITED_ACE, 0xF01FF, f"{DOM}-519"),             # Enterprise Admins, inherited
    ])


def test_every_extra_grant_is_reported_with_its_rights():
    found = [str(g) for g in extra_grants(dacl(), [SVC])]
    assert found == [  # ordered by SID
        "Authenticated Users (S-1-5-11): Enroll",
        f"{DOM}-1105: AutoEnroll",
        f"{DOM}-1200: FullControl (inherited)",
        f"Domain Users ({DOM}-513): Write+WriteDACL",
    ]


def test_intended_read_and_enroll_alone_report_nothing():
    assert extra_grants(Acl(2, [read_ace(SVC), enroll_ace(SVC), Ace(ACCESS_ALLOWED, 0, 0xF01FF, f"{DOM}-512")]),
                        [SVC]) == []
    # the same Enroll for a principal that is not intended is reported
    assert [g.rights for g in extra_grants(Acl(2, [enroll_ace(SVC)]), [])] == [("Enroll",)]


def test_removal_takes_explicit_extra_grants_and_keeps_the_rest():
    acl = dacl()
    assert remove_extra_grants(acl, [SVC]) == 3
    assert [str(g) for g in extra_grants(acl, [SVC])] == [f"{DOM}-1200: FullControl (inherited)"]
    assert acl.has(read_ace(SVC)) and acl.has(enroll_ace(SVC))
    # the DACL still round-trips through the wire format
    sd = SecurityDescriptor(dacl=acl)
    assert [str(g) for g in extra_grants(SecurityDescriptor.parse(sd.to_bytes()).dacl, [SVC])] == \
        [f"{DOM}-1200: FullControl (inherited)"]


def test_the_bind_accounts_delegation_is_the_deployers_not_an_extra_grant():
    """docs/identities.md: a least-privilege bind account holds full control of the templates, inherited from
    CN=Certificate Templates. It is the stack's own identity; another account with the same delegation is reported."""
    deployer, other = f"{DOM}-1110", f"{DOM}-1111"
    acl = Acl(2, [read_ace(SVC), enroll_ace(SVC),
                  Ace(ACCESS_ALLOWED, INHERITED_ACE, 0xF01FF, deployer),
                  Ace(ACCESS_ALLOWED, 0, 0x40020, deployer),
                  Ace(ACCESS_ALLOWED, INHERITED_ACE, 0xF01FF, other)])
    assert [str(g) for g in extra_grants(acl, [SVC], [deployer])] == [f"{other}: FullControl (inherited)"]
    assert [g.sid for g in extra_grants(acl, [SVC])] == [deployer, deployer, other]
    assert remove_extra_grants(acl, [SVC], [deployer]) == 0 and len(acl.aces) == 5
