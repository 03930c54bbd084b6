"""ldap3 results -> the directory exception tree; secrets never reach a message."""
import pytest

from ndes.directory.errors import (AccessDenied, Conflict, DirectoryError, InvalidValue, NotFound, Unavailable,
                                   error_for_result)


@pytest.mark.parametrize("code,cls", [(32, NotFound), (49, AccessDenied), (50, AccessDenied), (68, Conflict),
                                      (20, Conflict), (19, InvalidValue), (53, InvalidValue), (52, Unavailable),
                                      (51, Unavailable), (999, DirectoryError)])
def test_result_codes_map_to_the_tree(code, cls):
    err = error_for_result("create", "account", "CN=x", "ldaps://dc", {"result": code, "description": "d",
                                                                        "message": "m"})
    assert type(err) is cls and err.code == code
    assert str(err) == "failed to create account 'CN=x' on ldaps://dc: d: m"


def test_not_found_is_not_unavailable():
    assert not issubclass(NotFound, Unavailable) and not issubclass(Unavailable, NotFound)
    assert not issubclass(AccessDenied, NotFound)


def test_the_domain_reason_is_kept_and_secrets_masked():
    res = {"result": 19, "description": "constraintViolation",
           "message": "0000052D: Constraint violation - check_password_restrictions: the password is too short "
                      "(was Secr3t!)\x00"}
    err = error_for_result("modify", "account password", "CN=svc", "ldaps://dc", res, secrets=["Secr3t!"])
    assert isinstance(err, InvalidValue)
    assert "check_password_restrictions: the password is too short" in err.reason
    assert "Secr3t!" not in str(err) and "***" in str(err)


# AD's extended error text has the shape "<win32 code>: AtrErr: DSID-..., #1:\n\t0: <code>: DSID-..., problem
# 1005 (CONSTRAINT_ATT_TYPE), data 0, Att <id> (<attribute>)" (ly4k/Certipy#53); 0x21C7/0x21C8 are the forest-wide
# SPN/UPN uniqueness codes (learn.microsoft.com ... ad-ds/manage/component-updates/spn-and-upn-uniqueness, KB5008382).
@pytest.mark.parametrize("code,words", [("000021C7", "SPN, or an alias of it"), ("000021C8", "userPrincipalName")])
def test_forest_uniqueness_violations_are_conflicts_that_say_why(code, words):
    res = {"result": 19, "description": "constraintViolation",
           "message": f"{code}: AtrErr: DSID-03200E96, #1:\n\t0: {code}: DSID-03200E96, problem 1005 "
                      f"(CONSTRAINT_ATT_TYPE), data 0, Att 90303 (servicePrincipalName)\n\x00"}
    err = error_for_result("modify", "account SPNs", "CN=svc", "ldaps://dc", res)
    assert isinstance(err, Conflict) and err.code == 19
    assert words in str(err) and code in err.reason


def test_other_constraint_violations_stay_invalid_values():
    res = {"result": 19, "description": "constraintViolation", "message": "0000052D: Constraint violation"}
    assert type(error_for_result("modify", "account", "CN=x", "ldaps://dc", res)) is InvalidValue


# A Protected Users member's simple bind: "80090308: LdapErr: DSID-0C090439, comment: AcceptSecurityContext error,
# data 52f, v4563" (goharbor/harbor#13236); 52e is the wrong-password case.
@pytest.mark.parametrize("data,words", [("52f", "Protected Users"), ("52e", "password is wrong"),
                                        ("775", "locked out"), ("532", "expired"), ("773", "must be changed")])
def test_a_refused_bind_names_its_cause(data, words):
    from ndes.directory.errors import bind_failure
    text = f"80090308: LdapErr: DSID-0C090439, comment: AcceptSecurityContext error, data {data}, v4563\x00"
    assert words in bind_failure(text)


def test_a_bind_refusal_without_data_has_no_cause():
    from ndes.directory.errors import bind_failure
    assert bind_failure("invalidCredentials") is None
