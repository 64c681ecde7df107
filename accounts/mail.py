"""The account emails: what each one says, composed when the worker sends it.

The outbox (accounts/tasks.py) stores only a kind, a user id and the address
as it was when the email was asked for. Links carry live tokens, and a token
at rest in the database is an account for whoever can read it, so the worker
makes the link from the user's current state at send time, here.

Each kind is a function `(user, to) -> EmailMultiAlternatives | None` listed
in KINDS. It returns None when the email no longer applies (the account was
deactivated, or its address changed since): the outbox then drops it. A
notice that must reach an old address takes that address as `to` and checks
nothing. To add a kind: write the function (render() does the templates),
add it to KINDS, and call tasks.queue_email() in the service's transaction.
"""

from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.timesince import timeuntil

from accounts import tokens


def render(name, context, to):
    """Build an email from accounts/email/<name>_{subject,body}.txt and <name>_body.html."""
    context = {**context, "public_base_url": settings.PUBLIC_BASE_URL}
    prefix = f"accounts/email/{name}"
    # A subject must not contain newlines (header injection).
    subject = "".join(render_to_string(f"{prefix}_subject.txt", context).splitlines())
    message = EmailMultiAlternatives(
        subject, render_to_string(f"{prefix}_body.txt", context), to=[to]
    )
    message.attach_alternative(render_to_string(f"{prefix}_body.html", context), "text/html")
    return message


def duration(seconds):
    """Say a number of seconds in words ("1 hour"), as Django's timeuntil filter does."""
    now = timezone.now()
    # Plain spaces: the filter's non-breaking ones would make the text non-ASCII.
    return timeuntil(now + timedelta(seconds=seconds), now).replace("\xa0", " ")


def password_reset_link(token):
    """Return the reset link: PASSWORD_RESET_URL with the token; never from a request's host."""
    return settings.PASSWORD_RESET_URL.replace("{token}", token)


def password_reset(user, to):
    """Compose the reset email, or None if the account may no longer reset at `to`."""
    # The same rules as password_reset_request, checked again at send time.
    if not (user.is_active and user.has_usable_password() and user.email == to):
        return None
    context = {
        "user": user,
        "link": password_reset_link(tokens.make_reset_token(user)),
        "valid_for": duration(settings.PASSWORD_RESET_TIMEOUT),
    }
    return render("password_reset", context, to)


def verification_link(token):
    """Return the verification link: EMAIL_VERIFY_URL with the token."""
    return settings.EMAIL_VERIFY_URL.replace("{token}", token)


def email_verification(user, to):
    """Compose the verification email, or None if the address `to` no longer needs one."""
    # A pending change takes over: the account's link now confirms the new address.
    applies = not user.email_verified and user.pending_email is None and user.email == to
    return _verification(user, to, "email_verification") if applies else None


def email_change(user, to):
    """Compose the link confirming a change to `to`, or None if that change is not pending."""
    applies = user.pending_email == to
    return _verification(user, to, "email_change") if applies else None


def email_change_notice(user, to):
    """Tell the old address `to` that a change was asked for: no link, nothing to check."""
    return render("email_change_notice", {"user": user}, to)


def _verification(user, to, name):
    if not user.is_active:
        return None
    context = {
        "user": user,
        "link": verification_link(tokens.make_verification_token(user)),
        "valid_for": duration(settings.EMAIL_VERIFICATION_TIMEOUT),
    }
    return render(name, context, to)


KINDS = {
    "password_reset": password_reset,
    "email_verification": email_verification,
    "email_change": email_change,
    "email_change_notice": email_change_notice,
}
