"""A new email on PUT/PATCH /user/profile: confirmed at the new address, unless mode none."""

import re
import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient

from accounts import tokens
from accounts.models import EventType, SecurityEvent, User
from accounts.tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

URL = "/user/profile"
NEW = "new-address@example.com"
VERIFIED = {"msg": "Email verified."}
INVALID = {
    "token": ["This verification link is invalid or has expired. It may have been used already."]
}
TAKEN = {"email": ["A user with that email already exists."]}


@pytest.fixture(params=["optional", "mandatory"])
def verifying(request, settings):
    """Run the test in each mode that confirms email changes."""
    settings.EMAIL_VERIFICATION = request.param
    return request.param


@pytest.fixture
def owner(db):
    return UserFactory(email="owner@example.com", email_verified=True)


@pytest.fixture
def owner_client(owner, client_for):
    return client_for(owner)


def verify_url(token):
    return f"/user/verify-email/{token}"


def _token(message):
    return re.search(r"/user/verify-email/([A-Za-z0-9._-]+)", message.body).group(1)


def _events(user):
    return list(SecurityEvent.objects.filter(user=user).values_list("type", flat=True))


def _request_change(client, run_mail_worker, email=NEW):
    """PATCH a new email, then let the mail worker send what it queued."""
    response = client.patch(URL, {"email": email})
    run_mail_worker()
    return response


def test_new_email_waits_for_confirmation(verifying, owner, owner_client, run_mail_worker):
    response = _request_change(owner_client, run_mail_worker)

    assert response.status_code == 200
    body = response.json()
    assert (body["email"], body["pending_email"], body["email_verified"]) == (
        "owner@example.com",
        NEW,
        True,
    )
    owner.refresh_from_db()
    assert (owner.email, owner.pending_email) == ("owner@example.com", NEW)
    assert owner_client.get(URL).json()["pending_email"] == NEW


def test_put_with_a_new_email_waits_too(verifying, owner, owner_client, run_mail_worker):
    response = owner_client.put(
        URL, {"username": owner.username, "email": NEW, "first_name": "Renamed"}
    )
    run_mail_worker()

    assert response.status_code == 200
    owner.refresh_from_db()
    assert (owner.email, owner.pending_email, owner.first_name) == (
        "owner@example.com",
        NEW,
        "Renamed",
    )


def test_link_goes_to_the_new_address_and_a_notice_without_link_to_the_old(
    verifying, owner, owner_client, run_mail_worker, mailoutbox
):
    _request_change(owner_client, run_mail_worker)

    link, notice = sorted(mailoutbox, key=lambda m: m.to != [NEW])
    assert link.to == [NEW]
    assert link.subject == "Confirm your new email address"
    assert tokens.user_for_verification_token(_token(link)) == owner
    assert notice.to == ["owner@example.com"]
    assert notice.subject == "A change of your email address was requested"
    for text in (notice.body, notice.alternatives[0][0]):
        assert "http" not in text
        assert NEW not in text


def test_request_records_the_event(verifying, owner, owner_client, run_mail_worker):
    _request_change(owner_client, run_mail_worker)

    assert _events(owner) == [EventType.EMAIL_CHANGE_REQUESTED]


def test_following_the_link_sets_the_verified_email_and_clears_the_pending_one(
    verifying, owner, owner_client, run_mail_worker, mailoutbox
):
    _request_change(owner_client, run_mail_worker)
    [link] = [m for m in mailoutbox if m.to == [NEW]]

    response = APIClient().post(verify_url(_token(link)))

    assert response.status_code == 200
    assert response.json() == VERIFIED
    body = owner_client.get(URL).json()
    assert (body["email"], body["pending_email"], body["email_verified"]) == (NEW, None, True)
    assert _events(owner) == [EventType.EMAIL_CHANGE_REQUESTED, EventType.EMAIL_CHANGED]


def test_an_unverified_account_gets_its_new_address_verified(
    verifying, run_mail_worker, mailoutbox, client_for
):
    user = UserFactory(email="old@example.com")
    old_link = tokens.make_verification_token(user)

    _request_change(client_for(user), run_mail_worker)
    [link] = [m for m in mailoutbox if m.to == [NEW]]

    # The link to the old address died with the change request.
    assert APIClient().post(verify_url(old_link)).json() == INVALID
    assert APIClient().post(verify_url(_token(link))).json() == VERIFIED
    user.refresh_from_db()
    assert (user.email, user.email_verified, user.pending_email) == (NEW, True, None)


def test_the_link_works_once(verifying, owner_client, run_mail_worker, mailoutbox):
    _request_change(owner_client, run_mail_worker)
    [link] = [m for m in mailoutbox if m.to == [NEW]]
    APIClient().post(verify_url(_token(link)))

    response = APIClient().post(verify_url(_token(link)))

    assert (response.status_code, response.json()) == (400, INVALID)


def test_address_taken_meanwhile_is_refused(
    verifying, owner, owner_client, run_mail_worker, mailoutbox
):
    _request_change(owner_client, run_mail_worker)
    [link] = [m for m in mailoutbox if m.to == [NEW]]
    UserFactory(email=NEW.upper())

    response = APIClient().post(verify_url(_token(link)))

    assert response.status_code == 400
    assert response.json() == TAKEN
    owner.refresh_from_db()
    assert (owner.email, owner.pending_email) == ("owner@example.com", NEW)
    assert _events(owner) == [EventType.EMAIL_CHANGE_REQUESTED]


def test_a_newer_change_replaces_the_pending_one_and_its_link_dies(
    verifying, owner, owner_client, run_mail_worker, mailoutbox
):
    _request_change(owner_client, run_mail_worker)
    _request_change(owner_client, run_mail_worker, email="newer@example.com")
    [first] = [m for m in mailoutbox if m.to == [NEW]]
    [second] = [m for m in mailoutbox if m.to == ["newer@example.com"]]

    assert owner_client.get(URL).json()["pending_email"] == "newer@example.com"
    assert APIClient().post(verify_url(_token(first))).json() == INVALID
    assert APIClient().post(verify_url(_token(second))).json() == VERIFIED
    owner.refresh_from_db()
    assert owner.email == "newer@example.com"


def test_an_address_already_used_is_refused_at_once(verifying, owner, owner_client, mailoutbox):
    UserFactory(email="taken@example.com")

    response = owner_client.patch(URL, {"email": "Taken@Example.com"})

    assert response.status_code == 400
    assert response.json() == TAKEN
    owner.refresh_from_db()
    assert owner.pending_email is None
    assert mailoutbox == []
    assert _events(owner) == []


def test_another_accounts_pending_address_may_be_asked_for(
    verifying, owner_client, run_mail_worker
):
    UserFactory(pending_email=NEW)

    response = _request_change(owner_client, run_mail_worker)

    assert (response.status_code, response.json()["pending_email"]) == (200, NEW)


def test_sending_the_current_email_keeps_a_pending_change(
    verifying, owner, owner_client, run_mail_worker, mailoutbox
):
    _request_change(owner_client, run_mail_worker)
    mailoutbox.clear()

    response = owner_client.put(
        URL, {"username": owner.username, "email": owner.email, "first_name": "Again"}
    )
    run_mail_worker()

    assert response.json()["pending_email"] == NEW
    assert mailoutbox == []


def test_the_mandatory_mode_keeps_logging_in_with_a_change_pending(
    owner, owner_client, run_mail_worker, settings
):
    settings.EMAIL_VERIFICATION = "mandatory"
    _request_change(owner_client, run_mail_worker)

    response = APIClient().post("/user/login", {"username": owner.username, "password": PASSWORD})

    assert response.status_code == 200


def test_with_verification_none_the_email_changes_at_once_unverified(
    owner, owner_client, run_mail_worker, mailoutbox, settings
):
    settings.EMAIL_VERIFICATION = "none"

    response = _request_change(owner_client, run_mail_worker)

    assert response.status_code == 200
    body = response.json()
    assert (body["email"], body["pending_email"], body["email_verified"]) == (NEW, None, False)
    owner.refresh_from_db()
    assert (owner.email, owner.pending_email, owner.email_verified) == (NEW, None, False)
    assert mailoutbox == []
    assert _events(owner) == [EventType.EMAIL_CHANGED]


@pytest.mark.django_db(transaction=True)
def test_two_accounts_confirming_one_address_at_once_cannot_both_win(settings):
    """The unique index decides between two confirmations racing for one address."""
    settings.EMAIL_VERIFICATION = "optional"
    links = [
        verify_url(tokens.make_verification_token(UserFactory(pending_email=NEW))) for _ in range(2)
    ]
    barrier = threading.Barrier(2)
    answers = []

    def confirm(url):
        try:
            barrier.wait(timeout=5)
            response = APIClient().post(url)
            answers.append((response.status_code, response.json()))
        finally:
            connection.close()

    threads = [threading.Thread(target=confirm, args=(url,)) for url in links]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(answers, key=lambda a: a[0]) == [(200, VERIFIED), (400, TAKEN)]
    assert User.objects.filter(email__iexact=NEW).count() == 1


def test_change_request_runs_a_fixed_number_of_queries(
    verifying, owner_client, django_assert_num_queries
):
    # Authentication (session and user in one); the email uniqueness check;
    # the update; the event; two outbox rows; 4 savepoint statements.
    with django_assert_num_queries(10):
        response = owner_client.patch(URL, {"email": NEW})

    assert response.status_code == 200
