"""The password-reset email: rendered from templates, sent through Django's mail backend.

Sending happens on a small pool of worker threads after the transaction
commits, so a slow or unreachable mail server never slows or breaks the
request, and a known address takes no longer to answer than an unknown one.
A failure is logged with the user's pk only: never the address, the token or
the link (an SMTP error's text can quote the address, so it is not logged).
"""

import logging
import threading
from concurrent import futures
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import connections
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.timesince import timeuntil

from accounts import tokens

logger = logging.getLogger(__name__)

SUBJECT_TEMPLATE = "accounts/email/password_reset_subject.txt"
BODY_TEMPLATE = "accounts/email/password_reset_body.txt"
HTML_BODY_TEMPLATE = "accounts/email/password_reset_body.html"

# Threads start on first use and finish their queue at interpreter exit, each
# send bounded by EMAIL_TIMEOUT.
_executor = futures.ThreadPoolExecutor(max_workers=4, thread_name_prefix="password-reset-email")
_pending = set()
_pending_lock = threading.Lock()


def password_reset_link(token):
    """Return the absolute reset link; the host comes from settings, never from a request."""
    return f"{settings.PUBLIC_BASE_URL}/user/reset-password/{token}"


def send_password_reset_email(user):
    """Email the user a reset link now; log, never raise, when it cannot be sent."""
    try:
        context = {
            "user": user,
            "link": password_reset_link(tokens.make_reset_token(user)),
            "valid_for": _duration(settings.PASSWORD_RESET_TIMEOUT),
            "public_base_url": settings.PUBLIC_BASE_URL,
        }
        # A subject must not contain newlines (header injection).
        subject = "".join(render_to_string(SUBJECT_TEMPLATE, context).splitlines())
        message = EmailMultiAlternatives(
            subject, render_to_string(BODY_TEMPLATE, context), to=[user.email]
        )
        message.attach_alternative(render_to_string(HTML_BODY_TEMPLATE, context), "text/html")
        message.send()
    except Exception as exc:
        # No traceback: an SMTP error's text can quote the address.
        logger.error(
            "Could not send the password reset email to user %s: %s%s",
            user.pk,
            type(exc).__name__,
            f" (SMTP {exc.smtp_code})" if hasattr(exc, "smtp_code") else "",
        )


def queue_password_reset_email(user):
    """Send the reset email from a worker thread; return at once."""
    future = _executor.submit(_send_in_worker, user)
    with _pending_lock:
        _pending.add(future)
    future.add_done_callback(_forget)


def wait_for_queued_emails(timeout=None):
    """Block until every queued email has been sent or has failed (tests, shutdown)."""
    with _pending_lock:
        pending = list(_pending)
    futures.wait(pending, timeout=timeout)


def _duration(seconds):
    """Say a number of seconds in words ("1 hour"), as Django's timeuntil filter does."""
    now = timezone.now()
    # Plain spaces: the filter's non-breaking ones would make the text non-ASCII.
    return timeuntil(now + timedelta(seconds=seconds), now).replace("\xa0", " ")


def _send_in_worker(user):
    try:
        send_password_reset_email(user)
    finally:
        # Close any connection a template override may have opened in this thread.
        connections.close_all()


def _forget(future):
    with _pending_lock:
        _pending.discard(future)
