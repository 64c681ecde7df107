"""Email verification: the link sent at registration, GET/POST /user/verify-email/{token},
POST /user/resend-verification, and what each EMAIL_VERIFICATION mode does at login."""

import re
import threading
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from accounts import tokens
from accounts.models import EventType, SecurityEvent, User
from accounts.tests.api.test_password_reset import _comparable, _csrf_token, _form_post, _rate
from accounts.tests.factories import PASSWORD, UserFactory
from accounts.tests.fixtures import use_public_base_url

pytestmark = pytest.mark.django_db

VERIFIED = {"msg": "Email verified."}
INVALID = {
    "token": ["This verification link is invalid or has expired. It may have been used already."]
}
REQUESTED = {
    "message": "If an account with that email needs verification, a new link has been sent."
}
NOT_VERIFIED = {
    "detail": "Verify your email address first: follow the link sent to it.",
    "code": "email_not_verified",
}
RESEND_URL = "/user/resend-verification"


def verify_url(token):
    return f"/user/verify-email/{token}"


def _link(message):
    return re.search(r"https?://\S+/user/verify-email/[A-Za-z0-9._-]+", message.body).group()


def _token(message):
    return _link(message).rsplit("/", 1)[1]


def _register(client, **extra):
    body = {"username": "alice", "email": "alice@example.com", "password": PASSWORD}
    return client.post("/user/register", body, **extra)


def _login(user, password=PASSWORD):
    return APIClient().post("/user/login", {"username": user.username, "password": password})


def _events(user):
    return list(SecurityEvent.objects.filter(user=user).values_list("type", flat=True))


# --- The link sent at registration ------------------------------------------------------


@pytest.mark.parametrize("mode", ["optional", "mandatory"])
def test_registering_emails_a_verification_link(
    api_client, run_mail_worker, mailoutbox, settings, mode
):
    settings.EMAIL_VERIFICATION = mode
    use_public_base_url(settings, "https://accounts.example.com")

    response = _register(api_client)
    run_mail_worker()

    assert response.status_code == 201
    assert response.json()["user"]["email_verified"] is False
    [message] = mailoutbox
    assert message.to == ["alice@example.com"]
    assert message.subject == "Verify your email address"
    assert _link(message).startswith("https://accounts.example.com/user/verify-email/")
    assert tokens.user_for_verification_token(_token(message)) == User.objects.get()


def test_registering_with_verification_none_sends_nothing(
    api_client, run_mail_worker, mailoutbox, settings
):
    settings.EMAIL_VERIFICATION = "none"

    response = _register(api_client)
    run_mail_worker()

    assert response.status_code == 201
    assert response.json()["user"]["email_verified"] is False
    assert mailoutbox == []


def test_link_follows_the_email_verify_url_template(
    api_client, run_mail_worker, mailoutbox, settings
):
    settings.EMAIL_VERIFY_URL = "https://app.example.com/verify?token={token}"

    _register(api_client)
    run_mail_worker()

    link = re.search(r"https://app\.example\.com/verify\?token=(\S+)", mailoutbox[0].body)
    assert tokens.user_for_verification_token(link.group(1)) == User.objects.get()
    assert "/user/verify-email/" not in mailoutbox[0].body


def test_registration_link_ignores_the_host_header(
    api_client, run_mail_worker, mailoutbox, settings
):
    settings.ALLOWED_HOSTS = ["*"]
    use_public_base_url(settings, "https://accounts.example.com")

    _register(api_client, HTTP_HOST="attacker.example")
    run_mail_worker()

    assert _link(mailoutbox[0]).startswith("https://accounts.example.com/")
    assert "attacker" not in mailoutbox[0].body + mailoutbox[0].alternatives[0][0]


# --- Opening the link: a page, and nothing verified ------------------------------------


def test_page_shows_a_button_posting_back_and_verifies_nothing(user):
    page = Client().get(verify_url(tokens.make_verification_token(user)))

    assert page.status_code == 200
    assert page["Content-Type"] == "text/html; charset=utf-8"
    assert "no-store" in page["Cache-Control"]
    assert page["Referrer-Policy"] == "same-origin"
    html = page.content.decode()
    assert '<form method="post" action="">' in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert '<button type="submit">Confirm my email address</button>' in html
    user.refresh_from_db()
    assert user.email_verified is False
    assert _events(user) == []


def _tampered(token):
    return token[:-1] + ("0" if token[-1] != "0" else "1")


@pytest.mark.parametrize("kind", ["garbage", "tampered", "used", "reset-token"])
def test_page_for_a_bad_or_used_link_says_so_in_html_with_400(user, kind):
    token = tokens.make_verification_token(user)
    bad = {
        "garbage": "MQ.abc-def",
        "tampered": _tampered(token),
        "used": token,
        "reset-token": tokens.make_reset_token(user),
    }[kind]
    if kind == "used":
        APIClient().post(verify_url(token))

    page = Client().get(verify_url(bad))

    assert page.status_code == 400
    assert page["Content-Type"] == "text/html; charset=utf-8"
    html = page.content.decode()
    assert "This verification link is invalid or has expired." in html
    assert "<form" not in html


def test_page_for_an_expired_link_is_400(user, settings):
    token = tokens.make_verification_token(user)

    with time_machine.travel(timezone.now() + timedelta(seconds=259201)):
        page = Client().get(verify_url(token))

    assert page.status_code == 400


def test_page_is_html_whatever_the_client_accepts(db):
    response = Client().get(verify_url("MQ.abc-def"), HTTP_ACCEPT="application/json")

    assert response.status_code == 400
    assert response["Content-Type"] == "text/html; charset=utf-8"


# --- Posting to the link: JSON ----------------------------------------------------------


def test_post_verifies_the_address_and_records_the_event(user):
    response = APIClient(REMOTE_ADDR="203.0.113.9", HTTP_USER_AGENT="curl/8").post(
        verify_url(tokens.make_verification_token(user))
    )

    assert response.status_code == 200
    assert response.json() == VERIFIED
    user.refresh_from_db()
    assert (user.email_verified, user.pending_email) == (True, None)
    event = SecurityEvent.objects.get(user=user)
    assert (event.type, event.ip_address, event.user_agent, event.actor) == (
        EventType.EMAIL_VERIFIED,
        "203.0.113.9",
        "curl/8",
        None,
    )


def test_post_needs_no_body_and_no_content_type(user):
    response = Client().generic("POST", verify_url(tokens.make_verification_token(user)))

    assert response.status_code == 200
    assert response.json() == VERIFIED


def test_post_accepts_a_matching_token_in_the_body(user):
    token = tokens.make_verification_token(user)

    assert APIClient().post(verify_url(token), {"token": token}).json() == VERIFIED


def test_post_refuses_a_body_token_that_differs_from_the_link(user):
    token = tokens.make_verification_token(user)

    response = APIClient().post(verify_url(token), {"token": token + "x"})

    assert response.status_code == 400
    assert response.json() == {
        "token": ["The token in the body does not match the one in the link."]
    }
    user.refresh_from_db()
    assert user.email_verified is False


@pytest.mark.parametrize("body", [[], 7, "x", {"token": ["a"]}])
def test_post_refuses_wrong_json_shapes_with_400(user, body):
    url = verify_url(tokens.make_verification_token(user))

    assert APIClient().post(url, body, format="json").status_code == 400


def test_post_refuses_other_content_types_with_415(user):
    url = verify_url(tokens.make_verification_token(user))

    response = APIClient().generic("POST", url, "x", content_type="text/plain")

    assert response.status_code == 415
    user.refresh_from_db()
    assert user.email_verified is False


def test_post_accepts_an_empty_json_object_and_a_trailing_slash(user):
    url = verify_url(tokens.make_verification_token(user)) + "/"

    response = APIClient().post(url, {}, format="json")

    assert response.json() == VERIFIED


def test_verified_address_shows_in_the_profile(user, user_client):
    APIClient().post(verify_url(tokens.make_verification_token(user)))

    assert user_client.get("/user/profile").json()["email_verified"] is True


def test_link_works_only_once(user):
    url = verify_url(tokens.make_verification_token(user))
    APIClient().post(url)

    response = APIClient().post(url)

    assert response.status_code == 400
    assert response.json() == INVALID
    assert _events(user) == [EventType.EMAIL_VERIFIED]


def test_link_expires_after_email_verification_timeout(user, settings):
    settings.EMAIL_VERIFICATION_TIMEOUT = 600
    settings.PASSWORD_RESET_TIMEOUT = 60  # the reset timeout plays no part
    token = tokens.make_verification_token(user)

    with time_machine.travel(timezone.now() + timedelta(seconds=601)):
        late = APIClient().post(verify_url(token))
    with time_machine.travel(timezone.now() + timedelta(seconds=590)):
        in_time = APIClient().post(verify_url(token))

    assert (late.status_code, late.json()) == (400, INVALID)
    assert (in_time.status_code, in_time.json()) == (200, VERIFIED)


def test_link_dies_when_an_admin_changes_the_address(user, admin_client_api):
    token = tokens.make_verification_token(user)
    admin_client_api.patch(f"/api/user/{user.pk}", {"email": "other@example.com"})

    response = APIClient().post(verify_url(token))

    assert response.json() == INVALID
    user.refresh_from_db()
    assert user.email_verified is False


def test_link_of_a_deactivated_account_is_refused(user):
    token = tokens.make_verification_token(user)
    User.objects.filter(pk=user.pk).update(is_active=False)

    assert APIClient().post(verify_url(token)).json() == INVALID


def test_reset_token_does_not_verify_and_verification_token_does_not_reset(user):
    reset, verification = tokens.make_reset_token(user), tokens.make_verification_token(user)

    verified = APIClient().post(verify_url(reset))
    reset_done = APIClient().post(
        f"/user/reset-password/{verification}", {"new_password": "Brand-New-Horse-77"}
    )

    assert (verified.status_code, verified.json()) == (400, INVALID)
    assert reset_done.status_code == 400
    user.refresh_from_db()
    assert (user.email_verified, user.check_password(PASSWORD)) == (False, True)


@pytest.mark.parametrize(
    "token",
    ["garbage", "MQ", "MQ.", ".", "MQ.abc-def", "%00.%00", "%E2%9C%93.%F0%9F%92%A9", "x" * 3000],
)
def test_garbage_link_is_refused(user, token):
    response = APIClient().post(verify_url(token))

    assert response.status_code == 400
    assert response.json() == INVALID


def test_post_runs_a_fixed_number_of_queries(user, django_assert_num_queries):
    url = verify_url(tokens.make_verification_token(user))

    # The locking read; the update; the event; 4 savepoint statements (service, save).
    with django_assert_num_queries(7):
        response = APIClient().post(url)

    assert response.status_code == 200


def _spend_verify_post_limit(address):
    client = APIClient(REMOTE_ADDR=address)
    for _ in range(_rate("email_verify")):
        assert client.post(verify_url("MQ.abc-def")).status_code == 400


def test_posts_are_throttled_per_client_address(user):
    _spend_verify_post_limit("10.0.0.7")
    url = verify_url(tokens.make_verification_token(user))

    response = APIClient(REMOTE_ADDR="10.0.0.7").post(url)

    assert response.status_code == 429
    assert response.json()["code"] == "throttled"
    assert int(response["Retry-After"]) > 0
    assert APIClient(REMOTE_ADDR="10.0.0.8").post(url).json() == VERIFIED


def test_opening_the_page_is_not_throttled(user):
    _spend_verify_post_limit("10.0.0.7")

    page = Client(REMOTE_ADDR="10.0.0.7").get(verify_url(tokens.make_verification_token(user)))

    assert page.status_code == 200


@pytest.mark.django_db(transaction=True)
def test_one_link_verifies_once_even_when_two_requests_race(user):
    url = verify_url(tokens.make_verification_token(user))
    barrier = threading.Barrier(2)
    statuses = []

    def attempt():
        try:
            barrier.wait(timeout=5)
            statuses.append(APIClient().post(url).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(statuses) == [200, 400]
    assert _events(user) == [EventType.EMAIL_VERIFIED]


# --- Posting to the link: the page's form ---------------------------------------------


def test_form_post_verifies_and_answers_in_html(user):
    client = Client(enforce_csrf_checks=True)
    url = verify_url(tokens.make_verification_token(user))
    csrf = _csrf_token(client.get(url))

    response = _form_post(client, url, {"csrfmiddlewaretoken": csrf})

    assert response.status_code == 200
    assert response["Content-Type"] == "text/html; charset=utf-8"
    html = response.content.decode()
    assert "Your email address is confirmed" in html
    assert "Email verified." in html
    user.refresh_from_db()
    assert user.email_verified is True


def test_form_post_without_csrf_token_is_refused_in_html(user):
    client = Client(enforce_csrf_checks=True)
    url = verify_url(tokens.make_verification_token(user))
    client.get(url)

    response = _form_post(client, url, {"csrfmiddlewaretoken": "forged"})

    assert response.status_code == 403
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert "CSRF verification failed" in response.content.decode()
    user.refresh_from_db()
    assert user.email_verified is False


def test_form_post_with_a_used_link_shows_the_invalid_link_page(user):
    client = Client(enforce_csrf_checks=True)
    url = verify_url(tokens.make_verification_token(user))
    csrf = _csrf_token(client.get(url))
    APIClient().post(url)

    response = _form_post(client, url, {"csrfmiddlewaretoken": csrf})

    assert response.status_code == 400
    assert "This verification link is invalid or has expired." in response.content.decode()


def test_throttled_form_post_gets_a_page_saying_so(user):
    client = Client(enforce_csrf_checks=True, REMOTE_ADDR="10.0.0.7")
    url = verify_url(tokens.make_verification_token(user))
    csrf = _csrf_token(client.get(url))
    _spend_verify_post_limit("10.0.0.7")

    response = _form_post(client, url, {"csrfmiddlewaretoken": csrf})

    assert response.status_code == 429
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert "Request was throttled." in response.content.decode()


# --- Asking for a new link -------------------------------------------------------------


def test_resend_emails_a_new_link_to_an_unverified_account(run_mail_worker, mailoutbox, user):
    response = APIClient().post(RESEND_URL, {"email": user.email.upper()})
    run_mail_worker()

    assert response.status_code == 200
    assert response.json() == REQUESTED
    [message] = mailoutbox
    assert message.to == [user.email]
    assert APIClient().post(verify_url(_token(message))).json() == VERIFIED


def test_using_one_link_kills_the_others(run_mail_worker, mailoutbox, user):
    first = tokens.make_verification_token(user)
    APIClient().post(RESEND_URL, {"email": user.email})
    run_mail_worker()
    APIClient().post(verify_url(_token(mailoutbox[0])))

    assert APIClient().post(verify_url(first)).json() == INVALID


@pytest.mark.parametrize("case", ["unknown", "verified", "inactive", "pending", "none-mode"])
def test_resend_answers_the_same_and_sends_nothing_when_nothing_needs_verifying(
    run_mail_worker, mailoutbox, settings, case
):
    settings.DEBUG = False
    email = f"{case}@example.com"
    if case == "verified":
        UserFactory(email=email, email_verified=True)
    elif case == "inactive":
        UserFactory(email=email, is_active=False)
    elif case == "pending":
        UserFactory(email=email, pending_email="new@example.com")
    elif case == "none-mode":
        UserFactory(email=email)
        settings.EMAIL_VERIFICATION = "none"
    needing = UserFactory(email="needs@example.com")

    answer = APIClient().post(RESEND_URL, {"email": email})
    run_mail_worker()
    known = APIClient().post(RESEND_URL, {"email": needing.email})
    run_mail_worker()

    assert _comparable(answer) == _comparable(known)
    assert answer.json() == REQUESTED
    assert [m.to for m in mailoutbox] == ([] if case == "none-mode" else [[needing.email]])


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({}, {"email": ["This field is required."]}),
        ({"email": ""}, {"email": ["This field may not be blank."]}),
        ({"email": "not-an-email"}, {"email": ["Enter a valid email address."]}),
        (
            {"email": "x" * 250 + "@example.com"},
            {"email": ["Ensure this field has no more than 254 characters."]},
        ),
    ],
)
def test_resend_rejects_missing_or_malformed_email(body, errors, mailoutbox):
    response = APIClient().post(RESEND_URL, body)

    assert response.status_code == 400
    assert response.json() == errors


@pytest.mark.parametrize("body", [[], ["a@example.com"], {"email": ["a@example.com"]}, 42, None])
def test_resend_rejects_wrong_json_shapes_with_400(body):
    assert APIClient().post(RESEND_URL, body, format="json").status_code == 400


def test_resend_accepts_a_trailing_slash(user):
    assert APIClient().post(RESEND_URL + "/", {"email": user.email}).json() == REQUESTED


@pytest.mark.parametrize("known", [True, False])
def test_resends_are_throttled_per_email_alike_for_known_and_unknown(run_mail_worker, known):
    email = UserFactory().email if known else "unknown@example.com"
    for n in range(_rate("resend_verification_email")):
        ok = APIClient(REMOTE_ADDR=f"10.0.1.{n}").post(RESEND_URL, {"email": email})
        run_mail_worker()
        assert ok.status_code == 200

    response = APIClient(REMOTE_ADDR="10.0.2.1").post(RESEND_URL, {"email": email.upper()})

    assert response.status_code == 429
    assert response.json()["code"] == "throttled"
    assert int(response["Retry-After"]) > 0
    other = APIClient(REMOTE_ADDR="10.0.2.1").post(RESEND_URL, {"email": "else@example.com"})
    assert other.status_code == 200


def test_resends_are_throttled_per_client_address(run_mail_worker):
    client = APIClient(REMOTE_ADDR="10.0.0.7")
    for n in range(_rate("resend_verification")):
        client.post(RESEND_URL, {"email": f"person{n}@example.com"})
        run_mail_worker()

    response = client.post(RESEND_URL, {"email": "one-more@example.com"})

    assert response.status_code == 429
    other = APIClient(REMOTE_ADDR="10.0.0.8").post(RESEND_URL, {"email": "one-more@example.com"})
    assert other.status_code == 200


# --- Logging in, by mode ----------------------------------------------------------------


def test_mandatory_refuses_the_right_password_of_an_unverified_account_with_403(user, settings):
    settings.EMAIL_VERIFICATION = "mandatory"

    response = _login(user)

    assert response.status_code == 403
    assert response.json() == NOT_VERIFIED
    user.refresh_from_db()
    assert user.last_login is None


def test_mandatory_answers_a_wrong_password_with_the_usual_401(user, settings):
    settings.EMAIL_VERIFICATION = "mandatory"

    response = _login(user, password="Wrong-Password-1")

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert response.json() == {
        "detail": "Invalid username or password.",
        "code": "invalid_credentials",
    }


def test_mandatory_lets_a_verified_account_log_in(settings):
    settings.EMAIL_VERIFICATION = "mandatory"

    assert _login(UserFactory(email_verified=True)).status_code == 200


def test_mandatory_lets_the_account_log_in_once_verified(user, settings):
    settings.EMAIL_VERIFICATION = "mandatory"
    assert _login(user).status_code == 403

    APIClient().post(verify_url(tokens.make_verification_token(user)))

    assert _login(user).status_code == 200


@pytest.mark.parametrize("mode", ["none", "optional"])
def test_other_modes_let_unverified_accounts_log_in(user, settings, mode):
    settings.EMAIL_VERIFICATION = mode

    assert _login(user).status_code == 200


# --- Admins and the first admin ----------------------------------------------------------


def test_admin_change_of_email_applies_at_once_and_leaves_it_unverified(
    admin_user, admin_client_api, run_mail_worker, mailoutbox
):
    user = UserFactory(email_verified=True, pending_email="waiting@example.com")

    response = admin_client_api.patch(f"/api/user/{user.pk}", {"email": "new@example.com"})
    run_mail_worker()

    assert response.status_code == 200
    shown = response.json()["user"]
    assert (shown["email"], shown["email_verified"], shown["pending_email"]) == (
        "new@example.com",
        False,
        None,
    )
    user.refresh_from_db()
    assert (user.email, user.email_verified, user.pending_email) == ("new@example.com", False, None)
    event = SecurityEvent.objects.get(user=user, type=EventType.EMAIL_CHANGED)
    assert event.actor == admin_user
    assert mailoutbox == []


def test_admin_change_of_other_fields_keeps_the_verified_state(admin_client_api):
    user = UserFactory(email_verified=True)

    admin_client_api.patch(f"/api/user/{user.pk}", {"first_name": "New", "email": user.email})

    user.refresh_from_db()
    assert user.email_verified is True
    assert _events(user) == ["admin_change"]  # no email_changed


@pytest.mark.parametrize("known", [True, False])
def test_resend_runs_one_lookup_and_one_outbox_row_at_most(django_assert_num_queries, known):
    email = UserFactory().email if known else "nobody@example.com"

    with django_assert_num_queries(2 if known else 1):
        APIClient().post(RESEND_URL, {"email": email})
