"""The outbox: queued with the change, sent by the worker, retried with backoff, never lost."""

import io
import logging
from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from accounts import tasks
from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock():
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        yield traveller


def _rows(status):
    return list(DBTaskResult.objects.filter(status=status).order_by("enqueued_at"))


def _attempts():
    """Every row's (attempt, status), sorted: under a frozen clock enqueued_at ties."""
    return sorted(
        (row.args_kwargs["kwargs"]["attempt"], row.status) for row in DBTaskResult.objects.all()
    )


def test_queued_email_reaches_a_real_smtp_server(user, smtp_server, run_mail_worker):
    tasks.queue_email("password_reset", user=user, to=user.email)
    run_mail_worker()

    [message] = smtp_server.wait_for_messages(1)
    assert message["To"] == user.email
    assert message["Subject"] == "Reset your password"
    [row] = _rows("SUCCESSFUL")
    assert message["Message-ID"] == row.args_kwargs["kwargs"]["message_id"]


def test_nothing_is_sent_before_a_worker_runs(user, mailoutbox):
    tasks.queue_email("password_reset", user=user, to=user.email)

    assert mailoutbox == []
    assert _attempts() == [(1, "READY")]


def test_a_rolled_back_change_leaves_no_email(user, run_mail_worker, mailoutbox):
    with pytest.raises(RuntimeError), transaction.atomic():
        tasks.queue_email("password_reset", user=user, to=user.email)
        raise RuntimeError

    run_mail_worker()
    assert mailoutbox == []
    assert not DBTaskResult.objects.exists()


def test_unknown_kind_is_refused(user):
    with pytest.raises(ValueError, match="Unknown email kind"):
        tasks.queue_email("newsletter", user=user, to=user.email)


def test_failed_attempts_are_retried_after_doubling_delays(
    user, smtp_server_down, run_mail_worker, clock
):
    tasks.queue_email("password_reset", user=user, to=user.email)
    started = timezone.now()

    run_mail_worker()
    run_mail_worker()  # the retry is not due yet
    assert _attempts() == [(1, "FAILED"), (2, "READY")]
    assert _rows("READY")[0].run_after == started + timedelta(seconds=30)

    clock.shift(30)
    run_mail_worker()
    assert _attempts() == [(1, "FAILED"), (2, "FAILED"), (3, "READY")]
    assert _rows("READY")[0].run_after == started + timedelta(seconds=90)


def test_email_arrives_once_the_mail_server_accepts_again(
    user, smtp_server, run_mail_worker, clock
):
    smtp_server.refuse = True
    tasks.queue_email("password_reset", user=user, to=user.email)
    run_mail_worker()
    smtp_server.refuse = False

    clock.shift(30)
    run_mail_worker()

    [message] = smtp_server.wait_for_messages(1)
    assert message["To"] == user.email
    assert _attempts() == [(1, "FAILED"), (2, "SUCCESSFUL")]
    # One Message-ID for every attempt: a duplicate would be recognizable.
    ids = {row.args_kwargs["kwargs"]["message_id"] for row in DBTaskResult.objects.all()}
    assert ids == {message["Message-ID"]}


def test_failures_are_logged_and_stored_without_the_address(
    smtp_server, run_mail_worker, caplog, settings
):
    user = UserFactory(email="private-person@example.com")
    smtp_server.refuse = True  # the server's answer quotes the address
    tasks.queue_email("password_reset", user=user, to=user.email)

    with caplog.at_level(logging.INFO):
        run_mail_worker()

    # Every record but the test SMTP server's own (aiosmtpd's "mail.log").
    ours = "\n".join(
        r.getMessage() + str(r.exc_text) for r in caplog.records if r.name != "mail.log"
    )
    assert f"Could not send the password_reset email to user {user.pk} (attempt 1 of " in ours
    assert "SMTPRecipientsRefused" in ours
    assert "private-person" not in ours
    [failed] = _rows("FAILED")
    assert failed.exception_class_path == "accounts.tasks.DeliveryFailed"
    assert "SMTPRecipientsRefused" in failed.traceback
    assert "private-person" not in failed.traceback


def test_gives_up_after_email_max_attempts(
    user, smtp_server_down, run_mail_worker, clock, settings, caplog
):
    settings.EMAIL_MAX_ATTEMPTS = 2
    tasks.queue_email("password_reset", user=user, to=user.email)

    with caplog.at_level(logging.ERROR, logger="accounts.tasks"):
        run_mail_worker()
        clock.shift(30)
        run_mail_worker()
        clock.shift(3600)
        run_mail_worker()

    assert _attempts() == [(1, "FAILED"), (2, "FAILED")]
    assert [r.getMessage() for r in caplog.records if r.name == "accounts.tasks"] == [
        f"Gave up sending the password_reset email to user {user.pk} after 2 attempts: "
        "ConnectionRefusedError"
    ]


def test_email_is_dropped_when_the_address_changed_before_sending(
    user, run_mail_worker, mailoutbox
):
    tasks.queue_email("password_reset", user=user, to=user.email)
    user.email = "new-address@example.com"
    user.save()

    run_mail_worker()

    assert mailoutbox == []
    [row] = _rows("SUCCESSFUL")
    assert row.return_value == "dropped"


def test_email_is_dropped_when_the_user_was_deleted(user, run_mail_worker, mailoutbox):
    tasks.queue_email("password_reset", user=user, to=user.email)
    user.delete()

    run_mail_worker()

    assert mailoutbox == []
    assert _attempts() == [(1, "SUCCESSFUL")]


def _claim_and_abandon():
    """Claim the queued email as a worker would, then never finish it (killed)."""
    row = DBTaskResult.objects.get()
    row.claim("killed-worker")
    return row


def test_an_email_abandoned_by_a_dead_worker_is_sent_after_the_lease(
    user, run_mail_worker, mailoutbox, clock, settings
):
    tasks.queue_email("password_reset", user=user, to=user.email)
    _claim_and_abandon()

    clock.shift(settings.EMAIL_WORKER_LEASE - 1)
    assert tasks.requeue_lost() == 0  # maybe still sending
    clock.shift(2)
    assert tasks.requeue_lost() == 1
    run_mail_worker()

    assert [m.to for m in mailoutbox] == [[user.email]]
    assert _attempts() == [(1, "FAILED"), (2, "SUCCESSFUL")]
    assert tasks.requeue_lost() == 0


def test_a_dead_workers_last_attempt_gives_up(user, clock, settings):
    settings.EMAIL_MAX_ATTEMPTS = 1
    tasks.queue_email("password_reset", user=user, to=user.email)
    _claim_and_abandon()

    clock.shift(settings.EMAIL_WORKER_LEASE + 1)
    tasks.requeue_lost()

    assert _attempts() == [(1, "FAILED")]


def _outbox_in_every_state(smtp_server, run_mail_worker, clock):
    """One email sent, one dropped, one given up, one waiting for a retry, one due."""
    sent, dropped, given_up, retrying, due = UserFactory.create_batch(5)
    for user in (sent, dropped):
        tasks.queue_email("password_reset", user=user, to=user.email)
    dropped.is_active = False
    dropped.save()
    run_mail_worker()
    smtp_server.refuse = True
    tasks.queue_email("password_reset", user=given_up, to=given_up.email)
    run_mail_worker()
    clock.shift(30)
    tasks.queue_email("password_reset", user=retrying, to=retrying.email)
    run_mail_worker()  # given_up's second and last attempt, retrying's first
    tasks.queue_email("password_reset", user=due, to=due.email)


def test_outbox_state_counts_emails_by_state(smtp_server, run_mail_worker, clock, settings):
    settings.EMAIL_MAX_ATTEMPTS = 2
    _outbox_in_every_state(smtp_server, run_mail_worker, clock)

    assert tasks.outbox_state() == {
        "due": 1,
        "oldest_due": timezone.now(),
        "retrying": 1,
        "sending": 0,
        "sent": 1,
        "dropped": 1,
        "failed_attempts": 3,
        "given_up": 1,
    }


def test_mail_status_command_shows_the_outbox(smtp_server, run_mail_worker, clock, settings):
    settings.EMAIL_MAX_ATTEMPTS = 2
    _outbox_in_every_state(smtp_server, run_mail_worker, clock)
    out = io.StringIO()

    call_command("mail_status", stdout=out)

    assert out.getvalue().splitlines() == [
        f"Waiting to be sent: 1 (the oldest queued at {timezone.now():%Y-%m-%d %H:%M:%S} UTC)",
        "Waiting for a retry: 1",
        "Being sent: 0",
        "Last 24 hours: 1 sent, 1 dropped (no longer applied), 3 failed attempts, "
        "1 given up after 2 attempts",
    ]


def test_prune_deletes_only_finished_emails_past_retention(
    smtp_server, run_mail_worker, clock, settings
):
    settings.EMAIL_MAX_ATTEMPTS = 2
    _outbox_in_every_state(smtp_server, run_mail_worker, clock)
    clock.shift(timedelta(days=settings.EMAIL_RETENTION_DAYS, seconds=-31))
    assert tasks.prune() == 0

    clock.shift(timedelta(seconds=32))
    out = io.StringIO()
    call_command("prune", stdout=out)

    assert "Deleted 5 finished emails." in out.getvalue()
    assert _attempts() == [(1, "READY"), (2, "READY")]


def test_a_slow_attempt_failing_after_its_lease_queues_no_second_retry(user, clock, settings):
    tasks.queue_email("password_reset", user=user, to=user.email)
    row = _claim_and_abandon()  # still sending, past its lease
    clock.shift(settings.EMAIL_WORKER_LEASE + 1)
    tasks.requeue_lost()

    tasks._fail_attempt(row.pk, "SMTPServerDisconnected")  # its send fails at last

    assert _attempts() == [(1, "FAILED"), (2, "READY")]
