import pytest
from django.test import Client

from accounts.models import SessionEndReason
from accounts.tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def test_an_admin_changing_their_own_password_on_the_site_ends_their_tokens(admin_user, client_for):
    api = client_for(admin_user)
    browser = Client()
    browser.force_login(admin_user)
    new = "Fresh-Horse-77-staple"
    response = browser.post(
        "/admin/password_change/",
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
    )
    assert (response.status_code, response["Location"]) == (302, "/admin/password_change/done/")
    admin_user.refresh_from_db()
    assert admin_user.check_password(new)
    assert api.get("/user/profile").status_code == 401
    assert list(admin_user.sessions.values_list("end_reason", flat=True)) == [
        SessionEndReason.PASSWORD_CHANGED
    ]
    assert browser.get("/admin/accounts/user/").status_code == 200  # this session stays logged in
