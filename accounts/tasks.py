"""The outbox: every email is a django-tasks row, sent by the mail worker.

queue_email() writes the row in the caller's transaction, so the email exists
exactly when the change that causes it commits, and a request never waits
for the mail server. `manage.py mail_worker` (django-tasks-db's db_worker)
claims rows with SELECT ... FOR UPDATE SKIP LOCKED, so several workers never
take the same one, and runs send_email().

What django-tasks-db does not do, done here by hand:
- Retries: a failed attempt is marked failed and the next one queued with a
  later run_after, in one transaction, so a crash between the two can
  neither lose the email nor queue it twice. The delay starts at
  EMAIL_RETRY_DELAY and doubles, up to EMAIL_MAX_ATTEMPTS attempts.
- Lost workers: a worker killed mid-send leaves its row RUNNING for ever.
  requeue_lost(), run by every mail worker, treats a row RUNNING longer than
  EMAIL_WORKER_LEASE as a failed attempt.

Delivery is at least once in one window no queue can close: a worker killed
after the mail server accepted a message but before its row is marked sent
sends it again after the lease. The Message-ID stays the same across
attempts, so a duplicate is recognizable.

Rows hold no token and no link (accounts/mail.py composes at send time), and
nothing here logs an address: an SMTP error's text can quote it, so only its
class and code are kept.
"""

import logging
from datetime import timedelta
from email.utils import make_msgid
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Min, Q
from django.utils import timezone
from django_tasks import TaskResultStatus, task
from django_tasks_db.models import DBTaskResult, get_date_max

from accounts import mail
from accounts.models import User

logger = logging.getLogger(__name__)

# Doubling stops here, whatever EMAIL_MAX_ATTEMPTS allows.
MAX_RETRY_DELAY = 3600


class DeliveryFailed(Exception):
    """An attempt to send failed; the message says why without quoting the server."""


def queue_email(kind, *, user, to):
    """Put an email of this kind (a key of mail.KINDS) for `user` at address `to` in the outbox.

    Call it inside the transaction of the change that causes the email. `to`
    is the address as it is now: a link email's composer drops the email if
    the address no longer applies when it is sent; a notice to an address
    being replaced (email change) goes to `to` whatever happened since.
    """
    if kind not in mail.KINDS:
        raise ValueError(f"Unknown email kind {kind!r}")
    send_email.enqueue(
        kind=kind,
        user_id=user.pk,
        to=to,
        message_id=make_msgid(domain=urlsplit(settings.PUBLIC_BASE_URL).hostname),
        attempt=1,
    )


@task(takes_context=True)
def send_email(context, *, kind, user_id, to, message_id, attempt):
    """Compose and send one queued email; on failure queue the next attempt or give up."""
    user = User.objects.filter(pk=user_id).first()
    message = None if user is None else mail.KINDS[kind](user, to)
    if message is None:
        logger.info("Dropped the %s email to user %s: it no longer applies", kind, user_id)
        return "dropped"
    message.extra_headers["Message-ID"] = message_id
    try:
        message.send()
    except Exception as exc:
        reason = type(exc).__name__
        if hasattr(exc, "smtp_code"):
            reason += f" (SMTP {exc.smtp_code})"
        _fail_attempt(context.task_result.id, reason)
        # No chained traceback: the SMTP server's text can quote the address.
        raise DeliveryFailed(reason) from None
    return "sent"


def requeue_lost():
    """Count each email RUNNING for longer than EMAIL_WORKER_LEASE as a failed attempt.

    Its worker died mid-send (SIGKILL, out of memory, machine lost); the next
    attempt goes out now. Return how many were found.
    """
    cutoff = timezone.now() - timedelta(seconds=settings.EMAIL_WORKER_LEASE)
    with transaction.atomic():
        lost = list(
            DBTaskResult.objects.select_for_update(skip_locked=True).filter(
                task_path=send_email.module_path,
                status=TaskResultStatus.RUNNING,
                started_at__lt=cutoff,
            )
        )
        for row in lost:
            _fail_attempt(row.pk, "worker lost", delay=0)
    return len(lost)


def outbox_state(*, now=None):
    """Count the outbox's emails by state, for operators (`manage.py mail_status`)."""
    now = now or timezone.now()
    day = Q(finished_at__gte=now - timedelta(days=1))
    ready = Q(status=TaskResultStatus.READY)
    # django-tasks-db stores "no run_after" as a far-future date.
    due = ready & (Q(run_after__lte=now) | Q(run_after=get_date_max()))
    failed = Q(status=TaskResultStatus.FAILED) & day
    succeeded = Q(status=TaskResultStatus.SUCCESSFUL) & day
    rows = DBTaskResult.objects.filter(task_path=send_email.module_path)
    return rows.aggregate(
        due=Count("pk", filter=due),
        oldest_due=Min("enqueued_at", filter=due),
        retrying=Count("pk", filter=ready & ~due),
        sending=Count("pk", filter=Q(status=TaskResultStatus.RUNNING)),
        sent=Count("pk", filter=succeeded & Q(return_value="sent")),
        dropped=Count("pk", filter=succeeded & Q(return_value="dropped")),
        failed_attempts=Count("pk", filter=failed),
        given_up=Count(
            "pk", filter=failed & Q(args_kwargs__kwargs__attempt__gte=settings.EMAIL_MAX_ATTEMPTS)
        ),
    )


def prune(*, now=None):
    """Delete the rows of emails finished more than EMAIL_RETENTION_DAYS ago; return how many."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.EMAIL_RETENTION_DAYS)
    finished = [TaskResultStatus.SUCCESSFUL, TaskResultStatus.FAILED]
    deleted, _by_model = DBTaskResult.objects.filter(
        task_path=send_email.module_path, status__in=finished, finished_at__lt=cutoff
    ).delete()
    return deleted


def _fail_attempt(row_id, reason, delay=None):
    """Mark the attempt in row_id failed and queue the next one, in one transaction."""
    now = timezone.now()
    with transaction.atomic():
        # Only while RUNNING: if requeue_lost() took it over, it queued the next attempt.
        failed = DBTaskResult.objects.filter(pk=row_id, status=TaskResultStatus.RUNNING).update(
            status=TaskResultStatus.FAILED,
            finished_at=now,
            exception_class_path=f"{__name__}.{DeliveryFailed.__name__}",
            traceback=reason,
        )
        if not failed:
            return
        kwargs = DBTaskResult.objects.get(pk=row_id).args_kwargs["kwargs"]
        attempt = kwargs["attempt"]
        if attempt >= settings.EMAIL_MAX_ATTEMPTS:
            delay = None
        else:
            if delay is None:
                delay = min(settings.EMAIL_RETRY_DELAY * 2 ** (attempt - 1), MAX_RETRY_DELAY)
            send_email.using(run_after=now + timedelta(seconds=delay)).enqueue(
                **{**kwargs, "attempt": attempt + 1}
            )
    _log_failure(kwargs, reason, delay)


def _log_failure(kwargs, reason, delay):
    """Log a failed attempt by user id, and whether another one follows (delay) or none."""
    kind, user_id, attempt = kwargs["kind"], kwargs["user_id"], kwargs["attempt"]
    if delay is None:
        logger.error(
            "Gave up sending the %s email to user %s after %s attempts: %s",
            kind,
            user_id,
            attempt,
            reason,
        )
        return
    logger.warning(
        "Could not send the %s email to user %s (attempt %s of %s): %s; next attempt in %gs",
        kind,
        user_id,
        attempt,
        settings.EMAIL_MAX_ATTEMPTS,
        reason,
        delay,
    )
