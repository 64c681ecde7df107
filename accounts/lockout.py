"""Brute-force lockout: failed logins counted per username, locks that escalate.

After LOGIN_LOCKOUT_THRESHOLD failures in a row for one username (whether
or not an account has it) the username is locked for LOGIN_LOCKOUT_SECONDS;
every further THRESHOLD failures in the same streak lock it again, each lock
twice as long as the last, up to LOGIN_LOCKOUT_MAX_SECONDS (Keycloak's "wait
increment" and "max wait", doubling). The streak ends with a successful
login, a password reset, an admin's unlock (end_streak()), or
LOGIN_FAILURE_RESET_SECONDS without a failure. Streaks live in the database,
so every instance sees the same locks and they survive restarts.

Written by hand rather than with django-axes 8, read in its source (8.3.1):
- axes forgets a lock when its cool-off ends (it deletes the AccessAttempt),
  so nothing is left to double the next lock; its AXES_COOLOFF_TIME callable
  sees the request, not the streak. Escalation needs the state kept here.
- axes's handler takes a `request` and hooks authenticate() through its own
  backend and middleware; our services see no request, and our 429 body and
  Retry-After come from the API's own error handling.
- axes stores the username typed in clear (AccessAttempt, AccessLog,
  AccessFailureLog) and fires `user_locked_out` on every failure past the
  limit, where the contract wants one `locked` event per lock.
What axes would add here is a table and a few F() updates; this module is
that, with a row lock per username.
"""

import math
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, connections, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from accounts.exceptions import Locked
from accounts.expressions import BOOLEAN, SQL
from accounts.models import LoginFailureStreak, User

KEY_SALT = "accounts.lockout.username"


def username_key(username):
    """Return the keyed hash that stands for a username in the streak table.

    Normalized as login looks the username up (NFKC, then case-insensitively),
    so `ALICE`, `alice` and its full-width form share one streak. HMAC with
    SECRET_KEY: a password typed into the username field cannot be recovered
    from the table by hashing a dictionary.
    """
    name = User.normalize_username(username).upper()
    # "surrogatepass": a lone surrogate in the JSON hashes instead of raising.
    value = name.encode("utf-8", "surrogatepass")
    return salted_hmac(KEY_SALT, value, algorithm="sha256").hexdigest()


def check(username, *, now=None):
    """Raise Locked while the username is locked; else return its streak, or None.

    One indexed read, the same for every username: a lock answers alike and
    in the same time whether an account has the name or not.
    """
    now = now or timezone.now()
    streak = LoginFailureStreak.objects.filter(key=username_key(username)).first()
    if streak is not None:
        _refuse_if_locked(streak, now)
    return streak


@transaction.atomic
def record_failure(username, *, now=None):
    """Count one failed login for the username; return the seconds of the lock it imposes, or 0.

    The streak's row is locked while it is counted, so concurrent failures
    are counted one by one and exactly one of them imposes each lock. A
    failure that arrives while a lock is already in force (it passed check()
    before the lock began) is not counted: it raises Locked.
    """
    now = now or timezone.now()
    key = username_key(username)
    streak = LoginFailureStreak.objects.select_for_update().filter(key=key).first()
    if streak is None:
        streak = LoginFailureStreak(key=key, last_failure_at=now)
    else:
        _refuse_if_locked(streak, now)
        if now - streak.last_failure_at >= timedelta(seconds=settings.LOGIN_FAILURE_RESET_SECONDS):
            streak.failures, streak.locks = 0, 0
    seconds = _count(streak, now)
    if streak.pk is not None:
        streak.save()
        return seconds
    try:
        with transaction.atomic():
            streak.save(force_insert=True)
    except IntegrityError:
        # A concurrent first failure created the row meanwhile: count on it.
        return record_failure(username, now=now)
    return seconds


def end_streak(username, *, now=None):
    """Forget the username's failures and lock; return whether a lock was in force."""
    now = now or timezone.now()
    streaks = LoginFailureStreak.objects.filter(key=username_key(username))
    was_locked = streaks.filter(locked_until__gt=now).exists()
    streaks.delete()
    return was_locked


# How many usernames may be locked at once for locked_until() to read every lock.
LOCKS_READ_WHOLE = 100
# The annotation with_any_lock() gives each row: whether any username is locked.
ANY_LOCK = "any_lock_in_force"


def in_force(*, now=None):
    """The streaks whose lock is in force."""
    return LoginFailureStreak.objects.filter(locked_until__gt=now or timezone.now())


def with_any_lock(users):
    """`users` with ANY_LOCK on each row: whether any username is locked right now.

    Read with a page of users, it spares the page its lock query (locked_until())
    while nobody is locked, the usual case. Written as SQL: the ORM's Exists()
    costs more CPU to build and compile than the query it spares.
    """
    meta = LoginFailureStreak._meta
    column = meta.get_field("locked_until").column
    now = connections[users.db].ops.adapt_datetimefield_value(timezone.now())
    sql = f'EXISTS (SELECT 1 FROM "{meta.db_table}" WHERE "{column}" > %s)'  # noqa: S608
    # Names from the model's metadata, the time as a parameter.
    any_lock = SQL(sql, [now], output_field=BOOLEAN)
    return users.annotate(**{ANY_LOCK: any_lock})


def locked_until(accounts, *, now=None):
    """Return {id: end of lock} for those (id, username) `accounts` whose username is locked.

    A lock lasts minutes, so few usernames are locked at any time, and
    usually none: the locks in force are read whole (an index range) and
    matched to the accounts, which then need a keyed hash each only when
    some lock is in force. Only past LOCKS_READ_WHOLE locks (an attack on
    many usernames) are the accounts' keys sent, in a second query.
    """
    locked = in_force(now=now)
    locks = dict(locked.values_list("key", "locked_until")[: LOCKS_READ_WHOLE + 1])
    if not locks:
        return {}
    ids = {username_key(username): pk for pk, username in accounts}
    if len(locks) > LOCKS_READ_WHOLE:
        locks = dict(locked.filter(key__in=ids).values_list("key", "locked_until"))
    return {pk: locks[key] for key, pk in ids.items() if key in locks}


def prune(*, now=None):
    """Delete streaks that ended by time (no failure for LOGIN_FAILURE_RESET_SECONDS, no lock)."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.LOGIN_FAILURE_RESET_SECONDS)
    stale = LoginFailureStreak.objects.filter(last_failure_at__lte=cutoff).exclude(
        locked_until__gt=now
    )
    deleted, _by_model = stale.delete()
    return deleted


def _count(streak, now):
    """Add a failure to the streak; impose the next lock at the threshold."""
    streak.failures += 1
    streak.last_failure_at = now
    if streak.failures < settings.LOGIN_LOCKOUT_THRESHOLD:
        return 0
    # Doubling per lock in the streak; the exponent is capped before it can overflow.
    doubled = settings.LOGIN_LOCKOUT_SECONDS * 2 ** min(streak.locks, 32)
    seconds = min(doubled, settings.LOGIN_LOCKOUT_MAX_SECONDS)
    streak.failures = 0
    streak.locks += 1
    streak.locked_until = now + timedelta(seconds=seconds)
    return seconds


def _refuse_if_locked(streak, now):
    if streak.locked_until is not None and streak.locked_until > now:
        # Whole seconds, rounded up: retrying after Retry-After never meets the lock.
        raise Locked(retry_after=math.ceil((streak.locked_until - now).total_seconds()))
