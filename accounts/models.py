from django.contrib.auth.models import AbstractUser
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.db import models
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ADMIN = "ADMIN", _("Admin")
    USER = "USER", _("User")


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
