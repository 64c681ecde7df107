from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.utils.serializer_helpers import ReturnDict
from rest_framework.validators import UniqueValidator

from accounts import lockout
from accounts.fields import StrictCharField, StrictEmailField
from accounts.models import Role, SecurityEvent, User
from accounts.shaping import ShapedListSerializer, as_dicts, is_written, shape, written

# Long enough for any passphrase, short enough that hashing it is cheap.
PASSWORD_MAX_LENGTH = 256


class UsernameField(StrictCharField):
    """A username, NFKC-normalized before validation as Django does on save."""

    def to_internal_value(self, data):
        return User.normalize_username(super().to_internal_value(data))


class NormalizedEmailField(StrictEmailField):
    """An email address with its domain lowercased, as Django's user manager does."""

    def to_internal_value(self, data):
        return User.objects.normalize_email(super().to_internal_value(data))


def _unique_ci(message):
    # DRF's UniqueValidator with `iexact`: case-insensitive, excludes the
    # instance being updated, and served by the Upper() unique index.
    return UniqueValidator(User.objects.all(), message=message, lookup="iexact")


class UserSerializer(serializers.Serializer):
    """The contract's user object; only identity and names are writable.

    Declared field by field rather than as a ModelSerializer: building fields
    from the model on every instantiation was a third of the CPU time of an
    authenticated GET /user/profile. The declarations mirror the model's
    limits (max_length, validators) so input is refused before the database.
    """

    id = serializers.IntegerField(read_only=True)
    username = UsernameField(
        max_length=150,
        validators=[
            *User._meta.get_field("username").validators,
            _unique_ci(_("A user with that username already exists.")),
        ],
        help_text=User._meta.get_field("username").help_text,
    )
    email = NormalizedEmailField(
        max_length=254,
        validators=[_unique_ci(_("A user with that email already exists."))],
    )
    email_verified = serializers.BooleanField(read_only=True)
    pending_email = serializers.EmailField(
        read_only=True,
        allow_null=True,
        help_text="A new address waiting for confirmation through the link sent there, "
        "else null; `email` changes once it is confirmed.",
    )
    first_name = StrictCharField(max_length=150, required=False, allow_blank=True)
    last_name = StrictCharField(max_length=150, required=False, allow_blank=True)
    role = serializers.ChoiceField(choices=Role.choices, read_only=True)
    active = serializers.BooleanField(source="is_active", read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)
    last_login = serializers.DateTimeField(read_only=True, allow_null=True)

    class Meta:
        list_serializer_class = ShapedListSerializer


def user_data(user):
    """Return what UserSerializer(user).data returns, for less CPU (accounts.shaping).

    The result carries a serializer bound to `user`, as .data does, for the
    browsable API's forms.
    """
    serializer = UserSerializer(user)
    return ReturnDict(shape(serializer, [user])[0], serializer=serializer)


class AdminUserListSerializer(ShapedListSerializer):
    """Admin user objects: the user object's columns, shaped as usual, plus each lock.

    The page's locks are read in one query, not one per user, and in none when
    the rows say that no lock is in force (lockout.with_any_lock()); the rows
    may be the user object's columns only, or its JSON (accounts.shaping.rows()).
    """

    def to_representation(self, data):
        rows = list(data.all() if isinstance(data, models.manager.BaseManager) else data)
        first = rows[0] if rows else {}
        values = first if isinstance(first, dict) else vars(first)
        unlocked = not rows or values.get(lockout.ANY_LOCK) is False  # no lock in force
        if unlocked and is_written(first):
            return written(rows, locked_until=None)
        items = as_dicts(shape(UserSerializer(), rows))
        if unlocked:
            locks = {}
        else:
            locks = lockout.locked_until((item["id"], item["username"]) for item in items)
        # The declared field: .fields would deep-copy every field of the child.
        field = type(self.child)._declared_fields["locked_until"]
        for item in items:
            until = locks.get(item["id"])
            item["locked_until"] = None if until is None else field.shape(until)
        return items


@extend_schema_field({"type": "string", "format": "date-time", "nullable": True})
class LockedUntilField(serializers.Field):
    """When the account's username stops being locked; null while it is not locked.

    A list fills it for the whole page (AdminUserListSerializer); one user
    object looks its own lock up.
    """

    def __init__(self, **kwargs):
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, user):
        return self.shape(lockout.locked_until([(user.pk, user.username)]).get(user.pk))

    def shape(self, until):
        return None if until is None else serializers.DateTimeField().to_representation(until)


class AdminUserSerializer(UserSerializer):
    """The user object as admins see and edit it: `locked_until` added, `active` writable."""

    active = serializers.BooleanField(source="is_active", required=False)
    locked_until = LockedUntilField(
        help_text="End of the username's lock after failed logins; null when not locked."
    )

    class Meta:
        list_serializer_class = AdminUserListSerializer


class RegisterSerializer(UserSerializer):
    """Sign-up input: the user object's writable fields plus a password."""

    password = StrictCharField(
        write_only=True,
        max_length=PASSWORD_MAX_LENGTH,
        trim_whitespace=False,
        style={"input_type": "password"},
    )

    def validate(self, attrs):
        # The similarity validator compares against the fields being registered.
        candidate = User(**{k: v for k, v in attrs.items() if k != "password"})
        try:
            password_validation.validate_password(attrs["password"], candidate)
        except DjangoValidationError as exc:
            raise serializers.ValidationError({"password": exc.messages}) from None
        return attrs


class LoginSerializer(serializers.Serializer):
    username = StrictCharField(max_length=150, trim_whitespace=False)
    password = StrictCharField(max_length=PASSWORD_MAX_LENGTH, trim_whitespace=False)


class RefreshTokenSerializer(serializers.Serializer):
    refresh_token = StrictCharField(max_length=4096)


class CurrentPasswordSerializer(serializers.Serializer):
    """The caller's current password, checked: what deleting the account asks for."""

    default_error_messages = {"wrong_password": _("Your current password was entered incorrectly.")}

    current_password = StrictCharField(max_length=PASSWORD_MAX_LENGTH, trim_whitespace=False)

    def validate_current_password(self, value):
        if not self.context["request"].user.check_password(value):
            raise serializers.ValidationError(
                self.error_messages["wrong_password"], code="wrong_password"
            )
        return value


class ChangePasswordSerializer(CurrentPasswordSerializer):
    new_password = StrictCharField(max_length=PASSWORD_MAX_LENGTH, trim_whitespace=False)

    def validate_new_password(self, value):
        password_validation.validate_password(value, self.context["request"].user)
        return value


class MessageSerializer(serializers.Serializer):
    """A success body carrying one human-readable message."""

    msg = StrictCharField()


class RegisteredSerializer(MessageSerializer):
    user = UserSerializer()


class AdminUpdatedSerializer(MessageSerializer):
    user = AdminUserSerializer()


class TokenPairSerializer(serializers.Serializer):
    access_token = StrictCharField()
    refresh_token = StrictCharField()
    token_type = StrictCharField()
    expires_in = serializers.IntegerField(help_text="Access token lifetime in seconds.")


class PasswordResetRequestSerializer(serializers.Serializer):
    email = StrictEmailField(max_length=254)


class ResetRequestedSerializer(serializers.Serializer):
    """The one answer to every well-formed reset request (the original's `message` key)."""

    message = StrictCharField()


class ResendVerificationSerializer(PasswordResetRequestSerializer):
    """The address that should get a new verification link."""


class VerificationRequestedSerializer(ResetRequestedSerializer):
    """The one answer to every well-formed request for a new verification link."""


class LinkTokenSerializer(serializers.Serializer):
    """A post to an emailed link, whose token comes in the context.

    A `token` in the body (the original service's shape for resets) is
    accepted and must equal the link's.
    """

    default_error_messages = {
        "token_mismatch": _("The token in the body does not match the one in the link."),
    }

    token = StrictCharField(
        required=False, max_length=512, help_text="Optional; must equal the token in the URL."
    )

    def validate_token(self, value):
        if value != self.context["token"]:
            raise serializers.ValidationError(
                self.error_messages["token_mismatch"], code="token_mismatch"
            )
        return value


class PasswordResetConfirmSerializer(LinkTokenSerializer):
    """A new password for the account a reset link was made for.

    The link itself, and the password against the link's user, are checked
    by services.password_reset_complete(), so a weak password never spends
    the link.
    """

    default_error_messages = {"password_mismatch": _("The two passwords do not match.")}

    new_password = StrictCharField(
        max_length=PASSWORD_MAX_LENGTH, trim_whitespace=False, style={"input_type": "password"}
    )
    new_password_confirm = StrictCharField(
        required=False,
        max_length=PASSWORD_MAX_LENGTH,
        trim_whitespace=False,
        style={"input_type": "password"},
        help_text="Optional (the HTML form sends it); must equal new_password.",
    )

    def validate(self, attrs):
        token = self.context["token"]
        password = attrs["new_password"]
        if attrs.get("new_password_confirm", password) != password:
            raise serializers.ValidationError(
                {"new_password_confirm": [self.error_messages["password_mismatch"]]},
                code="password_mismatch",
            )
        return {"token": token, "new_password": password}


class SessionSerializer(serializers.Serializer):
    """A login: the chain of refresh tokens that rotation hands out, and their access tokens."""

    id = serializers.CharField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    last_used_at = serializers.DateTimeField(
        read_only=True, help_text="The session's latest login or refresh."
    )
    expires_at = serializers.DateTimeField(
        read_only=True, help_text="When its current refresh token expires."
    )
    ip_address = serializers.IPAddressField(read_only=True, allow_null=True)
    user_agent = serializers.CharField(read_only=True)
    # An annotation of accounts.sessions.live_sessions().
    current = serializers.BooleanField(
        read_only=True,
        help_text="Whether the access token making this request belongs to this session.",
    )

    class Meta:
        list_serializer_class = ShapedListSerializer


class EventSerializer(serializers.ModelSerializer):
    """The contract's event object: what happened, when, from where, in which session, by whom."""

    # Not the BigIntegerField the model's id maps to: its output depends on a
    # setting (COERCE_BIGINT_TO_STRING), so accounts.shaping could not keep ints as they are.
    id = serializers.IntegerField(read_only=True)
    actor_id = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="The admin who acted; null for the user."
    )

    class Meta:
        model = SecurityEvent
        fields = ["id", "type", "created_at", "ip_address", "user_agent", "session_id", "actor_id"]
        read_only_fields = fields
        list_serializer_class = ShapedListSerializer


class ExportSerializer(serializers.Serializer):
    """Everything the service holds about the caller, passwords and tokens excepted."""

    user = UserSerializer()
    sessions = SessionSerializer(many=True, help_text="The caller's live sessions.")
    events = EventSerializer(many=True, help_text="The caller's security events, newest first.")
