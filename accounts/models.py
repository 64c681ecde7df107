from django.contrib.auth.models import AbstractUser
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.db import models
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.expressions import INTEGER, SQL


class Role(models.TextChoices):
    ADMIN = "ADMIN", _("Admin")
    USER = "USER", _("User")


# The databases whose migration 0003 installs the triggers that keep UserTally.
TALLIED_VENDORS = ("postgresql", "sqlite")


class UserManager(DjangoUserManager):
    def get_by_natural_key(self, username):
        """Find the login user case-insensitively, as uniqueness is case-insensitive.

        `iexact` compiles to UPPER(...) on PostgreSQL, which the Upper() unique
        index serves.
        """
        return self.get(username__iexact=self.model.normalize_username(username))

    def create_user(self, username, email=None, password=None, **extra_fields):
        """Create a user; unlike Django's, no is_staff: it follows the role."""
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(username, email, password, **extra_fields)

    def create_superuser(self, username, email=None, password=None, **extra_fields):
        """Create a superuser, who always holds the ADMIN role."""
        extra_fields["is_superuser"] = True
        extra_fields["role"] = Role.ADMIN
        return self._create_user(username, email, password, **extra_fields)


class User(AbstractUser):
    """An account: Django's user plus the original service's role and timestamps."""

    email = models.EmailField(_("email address"), max_length=254)
    email_verified = models.BooleanField(
        _("email verified"),
        default=False,
        # Also for rows inserted outside the ORM (bulk loads, raw SQL).
        db_default=False,
        help_text=_("The owner followed a verification link sent to this address."),
    )
    # Null, not "", when no change waits for confirmation: the API shows null.
    pending_email = models.EmailField(  # noqa: DJ001
        _("pending email address"),
        max_length=254,
        null=True,
        blank=True,
        help_text=_("A new address waiting for its owner to follow the link sent there."),
    )
    role = models.CharField(_("role"), max_length=5, choices=Role.choices, default=Role.USER)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    # The original service has created_at; Django's date_joined would repeat it.
    date_joined = None

    REQUIRED_FIELDS = ["email"]

    objects = UserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        # The admin list's filters and orderings, each ending in id (its
        # tiebreaker). Substring search uses trigram indexes on PostgreSQL,
        # made in migration 0002 (they cannot be declared portably here).
        indexes = [
            models.Index(fields=["role", "id"], name="accounts_user_role_id_idx"),
            models.Index(fields=["is_active", "id"], name="accounts_user_active_id_idx"),
            models.Index(fields=["created_at", "id"], name="accounts_user_created_id_idx"),
            models.Index(fields=["last_login", "id"], name="accounts_user_login_id_idx"),
            models.Index(fields=["email", "id"], name="accounts_user_email_id_idx"),
        ]
        constraints = [
            # Upper() rather than Lower(): Django's `iexact` compiles to
            # UPPER(col) on PostgreSQL, so every case-insensitive lookup
            # (login, uniqueness checks, reset requests) uses these indexes.
            models.UniqueConstraint(
                Upper("username"),
                name="accounts_user_username_ci_unique",
                violation_error_code="unique",
                violation_error_message=_("A user with that username already exists."),
            ),
            models.UniqueConstraint(
                Upper("email"),
                name="accounts_user_email_ci_unique",
                violation_error_code="unique",
                violation_error_message=_("A user with that email already exists."),
            ),
            models.CheckConstraint(
                condition=models.Q(role__in=Role.values),
                name="accounts_user_role_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(is_superuser=False) | models.Q(role=Role.ADMIN),
                name="accounts_user_superuser_is_admin",
            ),
        ]

    @property
    def is_staff(self):
        """Admit ADMIN users to the admin site; the role is the one source of truth."""
        return self.role == Role.ADMIN

    @property
    def is_admin(self):
        return self.role == Role.ADMIN


class UserTallyQuerySet(models.QuerySet):
    def total(self, **filters):
        """Return how many accounts have the given `role` and/or `is_active`, exactly.

        A sum over a few rows, where COUNT(*) on accounts_user reads every row
        it counts. Only on the TALLIED_VENDORS, whose triggers keep the rows.
        Summed here rather than with aggregate(Sum()): the rows are few (see
        UserTally), and building an aggregate query took the admin list more
        CPU than fetching them.
        """
        return sum(self.filter(**filters).values_list("users", flat=True))

    def total_expression(self, **filters):
        """total(), as an SQL expression for another query (a list's page carries its count).

        Written as SQL: the ORM's Subquery of a sum costs more CPU to build
        and compile than the query of its own it spares (bench/profile_inprocess.py).
        """
        meta = self.model._meta
        where = " AND ".join(f'"{meta.get_field(name).column}" = %s' for name in filters)
        users = meta.get_field("users").column
        # Cast: PostgreSQL's SUM() of a bigint is a numeric, which psycopg reads as a Decimal.
        sql = f'SELECT CAST(COALESCE(SUM("{users}"), 0) AS bigint) FROM "{meta.db_table}"'  # noqa: S608
        # Names from the model's metadata, the filters' values as parameters.
        return SQL(
            f"({sql} WHERE {where})" if filters else f"({sql})",
            list(filters.values()),
            output_field=INTEGER,
            as_read=True,  # an int on every backend, read from one row
        )


class UserTally(models.Model):
    """Changes in how many accounts have each role and active flag; their sum is the count.

    Database triggers (migration 0003) write these rows in the transaction
    that inserts, deletes or re-roles users, whatever writes them: the ORM,
    bulk_create(), raw SQL. A sum read from here is therefore exactly what
    COUNT(*) would say in the same snapshot. Nothing else writes this table.

    On PostgreSQL a write only ever adds rows (+n or -n per role and state)
    and now and then folds them into one per role and state: a counter row
    updated in place would be held locked by each writer until its commit,
    so that concurrent transactions changing several counters would wait for
    each other, and could deadlock. SQLite lets one writer in at a time and
    keeps one row per role and state.
    """

    role = models.CharField(max_length=5, choices=Role.choices)
    is_active = models.BooleanField()
    users = models.BigIntegerField()

    objects = UserTallyQuerySet.as_manager()

    def __str__(self):
        return f"{self.role}, active={self.is_active}: {self.users:+}"


class EventType(models.TextChoices):
    """What a security event records; the contract names these types."""

    LOGIN = "login", _("Logged in")
    LOGIN_FAILED = "login_failed", _("Wrong password")
    LOCKED = "locked", _("Locked after failed logins")
    UNLOCKED = "unlocked", _("Unlocked")
    LOGOUT = "logout", _("Logged out")
    LOGOUT_ALL = "logout_all", _("Logged out of all sessions")
    SESSION_ENDED = "session_ended", _("Session ended")
    TOKEN_REUSE = "token_reuse", _("Session ended: refresh token reused")
    PASSWORD_CHANGED = "password_changed", _("Password changed")
    PASSWORD_RESET = "password_reset", _("Password reset")
    EMAIL_VERIFIED = "email_verified", _("Email verified")
    EMAIL_CHANGE_REQUESTED = "email_change_requested", _("Email change requested")
    EMAIL_CHANGED = "email_changed", _("Email changed")
    ADMIN_CHANGE = "admin_change", _("Changed by an admin")


class SecurityEvent(models.Model):
    """One thing that happened to an account's security, as the account's history shows it.

    Written by accounts.events.record() in the transaction of the change it
    describes. `session_id` and `actor` are plain references: an event
    outlives the session it names, and the admin who acted may be deleted.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="security_events")
    type = models.CharField(_("type"), max_length=32, choices=EventType.choices)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=256, blank=True)
    # Null, not "", where no session is concerned: the API shows null.
    session_id = models.CharField(_("session"), max_length=64, null=True, blank=True)  # noqa: DJ001
    actor = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("security event")
        verbose_name_plural = _("security events")
        indexes = [
            # The history lists, newest first, with or without ?type=.
            models.Index(fields=["user", "-created_at", "-id"], name="accounts_event_user_idx"),
            models.Index(
                fields=["user", "type", "-created_at", "-id"], name="accounts_event_type_idx"
            ),
            # The retention prune.
            models.Index(fields=["created_at"], name="accounts_event_created_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(type__in=EventType.values),
                name="accounts_event_type_valid",
            ),
        ]

    def __str__(self):
        return f"{self.get_type_display()} ({self.created_at:%Y-%m-%d %H:%M})"


class SessionEndReason(models.TextChoices):
    """Why a session ended; the admin site shows it, the API only says "ended"."""

    LOGOUT = "logout", _("Logged out")
    LOGOUT_ALL = "logout_all", _("Logged out of all sessions")
    ENDED = "ended", _("Ended from the session list")
    TOKEN_REUSE = "token_reuse", _("A spent refresh token was presented again")
    PASSWORD_CHANGED = "password_changed", _("Password changed or reset")
    DEACTIVATED = "deactivated", _("Account deactivated")


class SessionQuerySet(models.QuerySet):
    def live(self, *, now=None, **filters):
        """Sessions that are neither ended nor expired (and match `filters`)."""
        return self.filter(ended_at__isnull=True, expires_at__gt=now or timezone.now(), **filters)


class Session(models.Model):
    """What one login starts: the chain of refresh tokens rotation hands out.

    The row is the revocation state of every token of the session: a refresh
    token is good while the session is live and its jti is `refresh_jti`;
    an access token is good while the session has not ended. So rotating
    leaves earlier access tokens alone, and ending the row ends them all.
    """

    id = models.CharField(_("id"), primary_key=True, max_length=32, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="sessions")
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    last_used_at = models.DateTimeField(_("last used at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=256, blank=True)
    refresh_jti = models.CharField(_("current refresh token id"), max_length=64)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    end_reason = models.CharField(
        _("why it ended"), max_length=32, choices=SessionEndReason.choices, blank=True
    )

    objects = SessionQuerySet.as_manager()

    class Meta:
        verbose_name = _("session")
        verbose_name_plural = _("sessions")
        indexes = [
            # The session lists: a user's sessions, most recently used first.
            models.Index(fields=["user", "-last_used_at", "-id"], name="accounts_session_user_idx"),
            # The prune.
            models.Index(fields=["expires_at"], name="accounts_session_expires_idx"),
            models.Index(fields=["ended_at"], name="accounts_session_ended_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ended_at__isnull=True, end_reason="")
                | models.Q(ended_at__isnull=False, end_reason__in=SessionEndReason.values),
                name="accounts_session_end_reason_valid",
            ),
        ]

    def __str__(self):
        return f"{self.user_agent or _('Unknown client')} ({self.ip_address or '-'})"


class LoginFailureStreak(models.Model):
    """Failed logins in a row for one username, and the lock they earned.

    One row per username that failed recently, whether or not an account
    has that name. The username itself is never stored (people type their
    password into the username field): `key` is a keyed hash of it, see
    accounts.lockout.username_key().
    """

    key = models.CharField(_("username hash"), max_length=64, unique=True)
    # Failures since the streak began or the last lock was imposed.
    failures = models.PositiveIntegerField(_("failures"), default=0)
    # Locks imposed in this streak; the next one lasts twice as long as the last.
    locks = models.PositiveIntegerField(_("locks"), default=0)
    locked_until = models.DateTimeField(_("locked until"), null=True, blank=True)
    last_failure_at = models.DateTimeField(_("last failure at"))

    class Meta:
        verbose_name = _("failed-login streak")
        verbose_name_plural = _("failed-login streaks")
        indexes = [
            # The prune of streaks that ended by time.
            models.Index(fields=["last_failure_at"], name="accounts_streak_failure_idx"),
            # The locks in force, which the admin's user objects show.
            models.Index(fields=["locked_until"], name="accounts_streak_locked_idx"),
        ]

    def __str__(self):
        return f"{self.failures} failures, {self.locks} locks"
