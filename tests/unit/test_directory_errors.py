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
