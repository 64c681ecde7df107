"""POST /user/request-password-reset and POST /user/reset-password/{token} (JSON and form)."""

import logging
import re
import threading
import time
from datetime import timedelta
from urllib.parse import urlencode

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from rest_framework.test import APIClient
from rest_framework.throttling import ScopedRateThrottle

from accounts import tokens
from accounts.tests.factories import PASSWORD, UserFactory, token_pair
from accounts.tests.fixtures import use_public_base_url

pytestmark = pytest.mark.django_db

REQUEST_URL = "/user/request-password-reset"
REQUESTED = {
    "message": "If an account with that email exists, a password reset link has been sent."
}
RESET = {"msg": "Password has been reset."}
INVALID = {
    "token": ["This password reset link is invalid or has expired. It may have been used already."]
}
NEW = "Brand-New-Horse-77"
# Headers that differ between any two requests by design.
PER_REQUEST_HEADERS = {"X-Request-ID", "Content-Security-Policy"}


def reset_url(token):
    return f"/user/reset-password/{token}"


@pytest.fixture
def request_reset(api_client, run_mail_worker):
    """POST a reset request, then let the mail worker send what it queued."""

    def request_reset(email, client=api_client, **extra):
        response = client.post(REQUEST_URL, {"email": email}, **extra)
        run_mail_worker()
        return response

    return request_reset


def _link(message):
    return re.search(r"https?://\S+/user/reset-password/\S+", message.body).group()


def _login(password, user):
    return APIClient().post("/user/login", {"username": user.username, "password": password})


def _comparable(response):
    headers = {k: v for k, v in response.headers.items() if k not in PER_REQUEST_HEADERS}
    return response.status_code, response.content, headers


# --- Requesting a link -----------------------------------------------------------------


def test_request_emails_a_link_to_the_account(request_reset, user, mailoutbox, settings):
    use_public_base_url(settings, "https://accounts.example.com")

    response = request_reset(user.email)

    assert response.status_code == 200
    assert response.json() == REQUESTED
    [message] = mailoutbox
    assert message.to == [user.email]
    link = _link(message)
    assert link.startswith("https://accounts.example.com/user/reset-password/")
    assert tokens.user_for_reset_token(link.rsplit("/", 1)[1]) == user


def test_request_reaches_a_real_smtp_server(request_reset, user, smtp_server):
    response = request_reset(user.email)

    assert response.json() == REQUESTED
    [message] = smtp_server.wait_for_messages(1)
    assert message["To"] == user.email
    assert "/user/reset-password/" in message.get_body(preferencelist=("plain",)).get_content()


def test_request_matches_the_email_case_insensitively(request_reset, mailoutbox):
    user = UserFactory(email="Mixed.Case@Example.com")

    request_reset("mixed.case@EXAMPLE.COM")

    assert [m.to for m in mailoutbox] == [[user.email]]


def test_request_link_ignores_the_host_header(request_reset, user, mailoutbox, settings):
    settings.ALLOWED_HOSTS = ["*"]
    use_public_base_url(settings, "https://accounts.example.com")

    request_reset(user.email, HTTP_HOST="attacker.example")

    assert _link(mailoutbox[0]).startswith("https://accounts.example.com/")
    assert "attacker" not in mailoutbox[0].body + mailoutbox[0].alternatives[0][0]


def test_request_for_unknown_email_answers_the_same_and_sends_nothing(request_reset, mailoutbox):
    response = request_reset("nobody@example.com")

    assert response.status_code == 200
    assert response.json() == REQUESTED
    assert mailoutbox == []


def test_request_for_inactive_account_answers_the_same_and_sends_nothing(request_reset, mailoutbox):
    user = UserFactory(is_active=False)

    response = request_reset(user.email)

    assert response.json() == REQUESTED
    assert mailoutbox == []


def test_request_for_account_without_usable_password_sends_nothing(request_reset, mailoutbox):
    user = UserFactory()
    user.set_unusable_password()
    user.save()

    response = request_reset(user.email)

    assert response.json() == REQUESTED
    assert mailoutbox == []


def test_known_and_unknown_emails_get_identical_responses(request_reset, settings):
    settings.DEBUG = False
    user = UserFactory(email="known@example.com")
    inactive = UserFactory(email="inactive@example.com", is_active=False)

    known = request_reset(user.email, client=APIClient())
    unknown = request_reset("unknown@example.com", client=APIClient())
    disabled = request_reset(inactive.email, client=APIClient())

    assert _comparable(known) == _comparable(unknown) == _comparable(disabled)


def test_request_answers_the_same_when_the_mail_server_is_down(
    request_reset, user, smtp_server_down, settings, caplog
):
    with caplog.at_level(logging.WARNING, logger="accounts.tasks"):
        response = request_reset(user.email)

    assert response.status_code == 200
    assert response.json() == REQUESTED
    assert [r.getMessage() for r in caplog.records if r.name == "accounts.tasks"] == [
        f"Could not send the password_reset email to user {user.pk} (attempt 1 of "
        f"{settings.EMAIL_MAX_ATTEMPTS}): ConnectionRefusedError; next attempt in 30s"
    ]
    assert user.email not in caplog.text
    [retry] = DBTaskResult.objects.filter(status="READY")
    assert retry.args_kwargs["kwargs"]["attempt"] == 2


def test_request_does_not_wait_for_a_slow_mail_server(
    api_client, user, slow_smtp_server, run_mail_worker
):
    started = time.monotonic()
    response = api_client.post(REQUEST_URL, {"email": user.email})
    elapsed = time.monotonic() - started

    assert response.json() == REQUESTED
    assert elapsed < 1, f"the request waited {elapsed:.2f}s for the mail server"
    assert slow_smtp_server.messages == []  # the worker sends it, not the request
    run_mail_worker()
    assert len(slow_smtp_server.wait_for_messages(1)) == 1


def test_request_queues_the_email_without_its_link(api_client, user, mailoutbox):
    api_client.post(REQUEST_URL, {"email": user.email})

    [row] = DBTaskResult.objects.all()
    assert row.task_path == "accounts.tasks.send_email"
    kwargs = row.args_kwargs["kwargs"]
    assert kwargs == {
        "kind": "password_reset",
        "user_id": user.pk,
        "to": user.email,
        "message_id": kwargs["message_id"],
        "attempt": 1,
    }
    assert row.args_kwargs["args"] == []
    assert mailoutbox == []


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({}, {"email": ["This field is required."]}),
        ({"email": ""}, {"email": ["This field may not be blank."]}),
        ({"email": "not-an-email"}, {"email": ["Enter a valid email address."]}),
        ({"email": "a@b@example.com"}, {"email": ["Enter a valid email address."]}),
        (
            {"email": "x" * 250 + "@example.com"},
            {"email": ["Ensure this field has no more than 254 characters."]},
        ),
    ],
)
def test_request_rejects_missing_or_malformed_email(api_client, body, errors, mailoutbox):
    response = api_client.post(REQUEST_URL, body)

    assert response.status_code == 400
    assert response.json() == errors


@pytest.mark.parametrize("body", [[], ["a@example.com"], {"email": ["a@example.com"]}, 42, None])
def test_request_rejects_wrong_json_shapes_with_400(api_client, body):
    response = api_client.post(REQUEST_URL, body, format="json")

    assert response.status_code == 400


def test_request_accepts_a_trailing_slash(request_reset, user, mailoutbox, api_client):
    response = api_client.post(REQUEST_URL + "/", {"email": user.email})

    assert response.status_code == 200
    assert response.json() == REQUESTED


def _rate(scope):
    return ScopedRateThrottle().parse_rate(ScopedRateThrottle.THROTTLE_RATES[scope])[0]


@pytest.mark.parametrize("known", [True, False])
def test_requests_are_throttled_per_email_alike_for_known_and_unknown(
    api_client, known, request_reset
):
    email = UserFactory().email if known else "unknown@example.com"
    for _ in range(_rate("password_reset_email")):
        assert request_reset(email).status_code == 200

    response = request_reset(email.upper())

    assert response.status_code == 429
    assert response.json()["code"] == "throttled"
    assert int(response["Retry-After"]) > 0
    assert request_reset("someone-else@example.com").status_code == 200


def test_throttled_known_and_unknown_emails_get_identical_responses(request_reset):
    known = UserFactory().email
    for _ in range(_rate("password_reset_email")):
        request_reset(known, client=APIClient(REMOTE_ADDR="10.0.0.1"))
        request_reset("unknown@example.com", client=APIClient(REMOTE_ADDR="10.0.0.2"))

    with time_machine.travel(timezone.now(), tick=False):
        throttled_known = request_reset(known, client=APIClient(REMOTE_ADDR="10.0.0.1"))
        throttled_unknown = request_reset(
            "unknown@example.com", client=APIClient(REMOTE_ADDR="10.0.0.2")
        )

    assert throttled_known.status_code == 429
    assert _comparable(throttled_known) == _comparable(throttled_unknown)


def test_requests_are_throttled_per_client_address(request_reset):
    for n in range(_rate("password_reset")):
        request_reset(f"person{n}@example.com", REMOTE_ADDR="10.0.0.7")

    response = request_reset("one-more@example.com", REMOTE_ADDR="10.0.0.7")

    assert response.status_code == 429
    assert "Retry-After" in response
    assert request_reset("one-more@example.com", REMOTE_ADDR="10.0.0.8").status_code == 200


def test_throttle_cache_holds_no_email_address(request_reset):
    from django.core.cache import cache

    request_reset("private-person@example.com")

    keys = list(getattr(cache, "_cache", {}).keys())
    assert keys, "expected the throttle to have written to the local-memory cache"
    assert not any("private-person" in str(key).lower() for key in keys)


# --- Following a link with JSON --------------------------------------------------------


def test_reset_sets_the_new_password(api_client, user):
    response = api_client.post(reset_url(tokens.make_reset_token(user)), {"new_password": NEW})

    assert response.status_code == 200
    assert response.json() == RESET
    assert _login(NEW, user).status_code == 200
    assert _login(PASSWORD, user).status_code == 401


def test_reset_through_the_emailed_link(request_reset, api_client, user, mailoutbox):
    request_reset(user.email)
    token = _link(mailoutbox[0]).rsplit("/", 1)[1]

    response = api_client.post(reset_url(token), {"new_password": NEW})

    assert response.json() == RESET
    assert _login(NEW, user).status_code == 200


def test_reset_accepts_a_matching_token_in_the_body(api_client, user):
    token = tokens.make_reset_token(user)

    response = api_client.post(reset_url(token), {"token": token, "new_password": NEW})

    assert response.json() == RESET


def test_reset_refuses_a_body_token_that_differs_from_the_link(api_client, user):
    token = tokens.make_reset_token(user)
    other = tokens.make_reset_token(UserFactory())

    response = api_client.post(reset_url(token), {"token": other, "new_password": NEW})

    assert response.status_code == 400
    assert response.json() == {
        "token": ["The token in the body does not match the one in the link."]
    }
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_reset_accepts_a_trailing_slash(api_client, user):
    response = api_client.post(
        reset_url(tokens.make_reset_token(user)) + "/", {"new_password": NEW}
    )

    assert response.json() == RESET


def test_reset_link_works_only_once(api_client, user):
    token = tokens.make_reset_token(user)
    api_client.post(reset_url(token), {"new_password": NEW})

    response = api_client.post(reset_url(token), {"new_password": "Yet-Another-Horse-88"})

    assert response.status_code == 400
    assert response.json() == INVALID
    assert _login(NEW, user).status_code == 200


def test_reset_link_expires_after_password_reset_timeout(api_client, user, settings):
    settings.PASSWORD_RESET_TIMEOUT = 900
    token = tokens.make_reset_token(user)

    with time_machine.travel(timezone.now() + timedelta(seconds=901)):
        response = api_client.post(reset_url(token), {"new_password": NEW})

    assert response.status_code == 400
    assert response.json() == INVALID
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_reset_link_dies_when_the_user_logs_in(api_client, user):
    token = tokens.make_reset_token(user)
    assert _login(PASSWORD, user).status_code == 200

    response = api_client.post(reset_url(token), {"new_password": NEW})

    assert response.json() == INVALID


def test_reset_link_dies_when_the_password_is_changed(api_client, user, client_for):
    token = tokens.make_reset_token(user)
    client_for(user).post(
        "/user/change-password", {"current_password": PASSWORD, "new_password": NEW}
    )

    response = api_client.post(reset_url(token), {"new_password": "Yet-Another-Horse-88"})

    assert response.json() == INVALID


def test_reset_link_of_a_deactivated_account_is_refused(api_client, user):
    token = tokens.make_reset_token(user)
    user.is_active = False
    user.save()

    response = api_client.post(reset_url(token), {"new_password": NEW})

    assert response.json() == INVALID


def test_tampered_reset_link_is_refused(api_client, user):
    token = tokens.make_reset_token(user)
    tampered = token[:-1] + ("0" if token[-1] != "0" else "1")

    response = api_client.post(reset_url(tampered), {"new_password": NEW})

    assert response.status_code == 400
    assert response.json() == INVALID


@pytest.mark.parametrize(
    "token",
    [
        "garbage",
        "MQ",
        "MQ.",
        ".",
        "MQ.abc-def",
        "%00.%00",
        "%E2%9C%93.%F0%9F%92%A9",
        "OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5OQ.abc-def",
        "x" * 3000,
    ],
)
def test_garbage_reset_link_is_refused(api_client, user, token):
    response = api_client.post(reset_url(token), {"new_password": NEW})

    assert response.status_code == 400
    assert response.json() == INVALID


def test_weak_password_is_refused_without_spending_the_link(api_client, user):
    token = tokens.make_reset_token(user)

    weak = api_client.post(reset_url(token), {"new_password": "password"})
    similar = api_client.post(reset_url(token), {"new_password": user.username + "99"})
    strong = api_client.post(reset_url(token), {"new_password": NEW})

    assert weak.status_code == 400
    assert weak.json() == {"new_password": ["This password is too common."]}
    assert similar.status_code == 400
    assert similar.json() == {"new_password": ["The password is too similar to the username."]}
    assert strong.json() == RESET


def test_reset_refuses_mismatched_confirmation(api_client, user):
    token = tokens.make_reset_token(user)

    response = api_client.post(
        reset_url(token), {"new_password": NEW, "new_password_confirm": NEW + "x"}
    )

    assert response.status_code == 400
    assert response.json() == {"new_password_confirm": ["The two passwords do not match."]}


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({}, {"new_password": ["This field is required."]}),
        ({"new_password": ""}, {"new_password": ["This field may not be blank."]}),
        (
            {"new_password": "x" * 257},
            {"new_password": ["Ensure this field has no more than 256 characters."]},
        ),
    ],
)
def test_reset_rejects_missing_or_oversized_password(api_client, user, body, errors):
    response = api_client.post(reset_url(tokens.make_reset_token(user)), body)

    assert response.status_code == 400
    assert response.json() == errors


@pytest.mark.parametrize("body", [[], 7, None, {"new_password": ["a", "b"]}])
def test_reset_rejects_wrong_json_shapes_with_400(api_client, user, body):
    response = api_client.post(reset_url(tokens.make_reset_token(user)), body, format="json")

    assert response.status_code == 400


def test_reset_rejects_other_content_types_with_415(api_client, user):
    url = reset_url(tokens.make_reset_token(user))

    text = api_client.generic("POST", url, "new_password=x", content_type="text/plain")
    multipart = api_client.post(url, {"new_password": NEW}, format="multipart")

    assert (text.status_code, multipart.status_code) == (415, 415)
    assert text["Content-Type"] == "application/json"
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_reset_ends_every_older_access_and_refresh_token(api_client, user):
    old = token_pair(user)

    api_client.post(reset_url(tokens.make_reset_token(user)), {"new_password": NEW})

    profile = APIClient(HTTP_AUTHORIZATION=f"Bearer {old['access_token']}").get("/user/profile")
    refresh = APIClient().post("/user/token/refresh", {"refresh_token": old["refresh_token"]})
    assert profile.status_code == 401
    assert refresh.status_code == 401
    fresh = _login(NEW, user).json()
    assert (
        APIClient(HTTP_AUTHORIZATION=f"Bearer {fresh['access_token']}")
        .get("/user/profile")
        .status_code
        == 200
    )


def _spend_reset_post_limit(address):
    """Post to a bad link as often as one address may; each is a 400."""
    client = APIClient(REMOTE_ADDR=address)
    for _ in range(_rate("password_reset_confirm")):
        assert client.post(reset_url("MQ.abc-def"), {"new_password": NEW}).status_code == 400


def test_reset_posts_are_throttled_per_client_address(user):
    _spend_reset_post_limit("10.0.0.7")
    url = reset_url(tokens.make_reset_token(user))

    response = APIClient(REMOTE_ADDR="10.0.0.7").post(url, {"new_password": NEW})

    assert response.status_code == 429
    assert response.json()["code"] == "throttled"
    assert int(response["Retry-After"]) > 0
    assert APIClient(REMOTE_ADDR="10.0.0.8").post(url, {"new_password": NEW}).json() == RESET


def test_opening_the_reset_page_is_not_throttled(user):
    _spend_reset_post_limit("10.0.0.7")

    page = Client(REMOTE_ADDR="10.0.0.7").get(reset_url(tokens.make_reset_token(user)))

    assert page.status_code == 200


def test_change_password_ends_older_tokens_as_a_reset_does(user, client_for):
    """Change and reset share the rule: every token issued before stops working."""
    old = token_pair(user)

    response = client_for(user).post(
        "/user/change-password", {"current_password": PASSWORD, "new_password": NEW}
    )

    assert response.status_code == 200
    profile = APIClient(HTTP_AUTHORIZATION=f"Bearer {old['access_token']}").get("/user/profile")
    refresh = APIClient().post("/user/token/refresh", {"refresh_token": old["refresh_token"]})
    assert (profile.status_code, refresh.status_code) == (401, 401)


# --- The HTML form's posts (the browser test drives the same page for real) ------------


def _form_client():
    return Client(enforce_csrf_checks=True)


def _form_post(client, url, data):
    """Post the way the page's form does: URL-encoded."""
    return client.post(url, urlencode(data), content_type="application/x-www-form-urlencoded")


def _csrf_token(page):
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()).group(1)


def test_page_shows_the_form_with_a_csrf_token(user):
    page = _form_client().get(reset_url(tokens.make_reset_token(user)))

    assert page.status_code == 200
    assert page["Content-Type"] == "text/html; charset=utf-8"
    assert "no-store" in page["Cache-Control"]
    assert page["Referrer-Policy"] == "same-origin"
    assert 'name="new_password"' in page.content.decode()
    assert _csrf_token(page)


def test_page_for_an_invalid_link_says_so_in_html_with_400(db):
    page = _form_client().get(reset_url("MQ.abc-def"))

    assert page.status_code == 400
    assert page["Content-Type"] == "text/html; charset=utf-8"
    assert "This password reset link is invalid or has expired." in page.content.decode()


def test_form_post_sets_the_password_and_answers_in_html(user):
    client = _form_client()
    url = reset_url(tokens.make_reset_token(user))
    csrf = _csrf_token(client.get(url))

    response = _form_post(
        client, url, {"csrfmiddlewaretoken": csrf, "new_password": NEW, "new_password_confirm": NEW}
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert "Password has been reset." in response.content.decode()
    assert _login(NEW, user).status_code == 200


def test_form_post_without_csrf_token_is_refused_in_html(user):
    client = _form_client()
    url = reset_url(tokens.make_reset_token(user))
    client.get(url)

    response = _form_post(client, url, {"new_password": NEW, "new_password_confirm": NEW})

    assert response.status_code == 403
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert "CSRF verification failed" in response.content.decode()
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_form_post_with_weak_password_shows_the_validators_messages(user):
    client = _form_client()
    url = reset_url(tokens.make_reset_token(user))
    csrf = _csrf_token(client.get(url))

    response = _form_post(
        client,
        url,
        {"csrfmiddlewaretoken": csrf, "new_password": "123", "new_password_confirm": "123"},
    )

    assert response.status_code == 400
    assert response["Content-Type"] == "text/html; charset=utf-8"
    page = response.content.decode()
    assert "This password is too short. It must contain at least 8 characters." in page
    assert "This password is entirely numeric." in page
    assert 'name="new_password"' in page
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_throttled_form_post_gets_a_page_saying_so(user):
    client = Client(enforce_csrf_checks=True, REMOTE_ADDR="10.0.0.7")
    url = reset_url(tokens.make_reset_token(user))
    csrf = _csrf_token(client.get(url))
    _spend_reset_post_limit("10.0.0.7")

    response = _form_post(
        client, url, {"csrfmiddlewaretoken": csrf, "new_password": NEW, "new_password_confirm": NEW}
    )

    assert response.status_code == 429
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert int(response["Retry-After"]) > 0
    assert "Request was throttled." in response.content.decode()
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_form_post_with_used_link_shows_the_invalid_link_page(user):
    client = _form_client()
    token = tokens.make_reset_token(user)
    csrf = _csrf_token(client.get(reset_url(token)))
    APIClient().post(reset_url(token), {"new_password": NEW})

    response = _form_post(
        client,
        reset_url(token),
        {"csrfmiddlewaretoken": csrf, "new_password": NEW + "2", "new_password_confirm": NEW + "2"},
    )

    assert response.status_code == 400
    assert "This password reset link is invalid or has expired." in response.content.decode()


# --- One link, two racing requests -----------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_one_link_resets_once_even_when_two_requests_race(user):
    token = tokens.make_reset_token(user)
    barrier = threading.Barrier(2)
    statuses = []

    def attempt(password):
        try:
            barrier.wait(timeout=5)
            response = APIClient().post(reset_url(token), {"new_password": password})
            statuses.append(response.status_code)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=attempt, args=(p,)) for p in (NEW, "Other-Brand-New-Horse-78")
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(statuses) == [200, 400]
