import datetime
import functools

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import FieldDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import ISO_8601, serializers
from rest_framework.settings import api_settings
from rest_framework.utils.serializer_helpers import ReturnDict
from rest_framework.validators import UniqueValidator

from accounts.fields import StrictCharField, StrictEmailField
from accounts.models import Role, User

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


# DRF's own to_representation() of these classes depends on the value alone.
_PLAIN_FIELD_CLASSES = (
    serializers.IntegerField,
    serializers.CharField,
    serializers.BooleanField,
    serializers.ChoiceField,
    serializers.DateTimeField,
)


@functools.cache
def plain_fields(serializer_class, model):
    """Return the readable fields of `serializer_class` if they are all plain columns, else None.

    A plain column field has one concrete, non-relational model field as its
    source and is one of _PLAIN_FIELD_CLASSES (or a subclass that changes
    neither to_representation() nor get_attribute()): its output depends on
    the column's value only, never on the context. The fields are those of
    one instance, built once, shared by every request and thread as a
    ListSerializer's one child serves every item. `columns()` names what
    they read, for QuerySet.values().
    """
    fields = list(serializer_class()._readable_fields)
    for field in fields:
        if len(field.source_attrs) != 1:
            return None
        try:
            model_field = model._meta.get_field(field.source)
        except FieldDoesNotExist:
            return None
        if not model_field.concrete or model_field.is_relation:
            return None
        cls = type(field)
        if cls.get_attribute is not serializers.Field.get_attribute or not any(
            cls.to_representation is base.to_representation for base in _PLAIN_FIELD_CLASSES
        ):
            return None
    return fields


def columns(serializer_class, model):
    """The columns the output of `serializer_class` reads, for QuerySet.values(), or None."""
    fields = plain_fields(serializer_class, model)
    return None if fields is None else [field.source for field in fields]


def represent(fields, rows):
    """Return [field.to_representation() of each row's columns], as DRF would shape them.

    DRF's Serializer.to_representation() calls, per row and field,
    get_attribute(), a None check and to_representation(), and each
    DateTimeField looks the current time zone up again: in profiles of the
    admin list, most of the CPU of a page of 100. Here the same fields
    shape the values, with the zone looked up once per list; rows are dicts
    from QuerySet.values(columns(...)) or model instances. A value that the
    field's to_representation() would return as it is (a str for a CharField,
    an int for an IntegerField, a bool for a BooleanField, one of its own
    choices for a ChoiceField) is kept as it is; an aware datetime in a
    default DateTimeField (ISO 8601, the current time zone) is formatted as
    DRF's DateTimeField does; anything else goes through the field's
    to_representation(). Tests compare the output with DRF's.
    """
    time_zone = timezone.get_current_timezone() if settings.USE_TZ else None
    shapers = [_shaper(field, time_zone) for field in fields]
    out = []
    for row in rows:
        item = {}
        values = row if isinstance(row, dict) else _Attributes(row)
        for name, source, kind, only, shape in shapers:
            value = values[source]
            if value is None or (type(value) is kind and (only is None or value in only)):
                item[name] = value
            else:
                item[name] = shape(value)
        out.append(item)
    return out


class _Attributes:
    """A model instance's attributes read as keys, as a values() row's are."""

    def __init__(self, instance):
        self.instance = instance

    def __getitem__(self, name):
        return getattr(self.instance, name)


# The type of value each DRF field class's to_representation() returns unchanged.
_KEPT = {
    serializers.IntegerField.to_representation: int,
    serializers.CharField.to_representation: str,
    serializers.BooleanField.to_representation: bool,
}


def _shaper(field, time_zone):
    """Return (name, source, kind, only, shape) for one plain field: values of type `kind`
    (and in `only`, unless it is None) are kept as they are, others shaped by `shape`."""
    to_representation = type(field).to_representation
    kind, only, shape = _KEPT.get(to_representation), None, field.to_representation
    if to_representation is serializers.ChoiceField.to_representation:
        kind = str
        only = {v for k, v in field.choice_strings_to_values.items() if k == v}
    elif (
        to_representation is serializers.DateTimeField.to_representation
        and time_zone is not None
        and getattr(field, "format", api_settings.DATETIME_FORMAT) == ISO_8601
        and getattr(field, "timezone", None) is None
    ):
        shape = functools.partial(_iso_datetime, field=field, time_zone=time_zone)
    return field.field_name, field.source, kind, only, shape


def _iso_datetime(value, field, time_zone):
    """DRF's DateTimeField.to_representation() for an aware datetime, the zone looked up once."""
    if isinstance(value, datetime.datetime) and value.utcoffset() is not None:
        try:
            text = value.astimezone(time_zone).isoformat()
        except OverflowError:
            return field.to_representation(value)  # DRF's own error
        return text[:-6] + "Z" if text.endswith("+00:00") else text
    return field.to_representation(value)


class UserListSerializer(serializers.ListSerializer):
    """A list of users shaped by the child serializer's own fields, for less CPU.

    See `represent()`; with any field it cannot take, DRF's ListSerializer.
    """

    def to_representation(self, data):
        fields = plain_fields(type(self.child), User)
        if fields is None:
            return super().to_representation(data)
        rows = data.all() if isinstance(data, models.manager.BaseManager) else data
        return represent(fields, rows)


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
    first_name = StrictCharField(max_length=150, required=False, allow_blank=True)
    last_name = StrictCharField(max_length=150, required=False, allow_blank=True)
    role = serializers.ChoiceField(choices=Role.choices, read_only=True)
    active = serializers.BooleanField(source="is_active", read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)
    last_login = serializers.DateTimeField(read_only=True, allow_null=True)

    class Meta:
        list_serializer_class = UserListSerializer


def user_data(user):
    """Return what UserSerializer(user).data returns, for less CPU (see `represent()`).

    The result carries a serializer bound to `user`, as .data does, for the
    browsable API's forms.
    """
    serializer = UserSerializer(user)
    fields = plain_fields(UserSerializer, User)
    if fields is None:
        return serializer.data
    return ReturnDict(represent(fields, [user])[0], serializer=serializer)


class AdminUserSerializer(UserSerializer):
    """The user object as admins edit it: `active` is writable too, `role` never."""

    active = serializers.BooleanField(source="is_active", required=False)


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


class ChangePasswordSerializer(serializers.Serializer):
    default_error_messages = {"wrong_password": _("Your current password was entered incorrectly.")}

    current_password = StrictCharField(max_length=PASSWORD_MAX_LENGTH, trim_whitespace=False)
    new_password = StrictCharField(max_length=PASSWORD_MAX_LENGTH, trim_whitespace=False)

    def validate_current_password(self, value):
        if not self.context["request"].user.check_password(value):
            raise serializers.ValidationError(
                self.error_messages["wrong_password"], code="wrong_password"
            )
        return value

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


class PasswordResetConfirmSerializer(serializers.Serializer):
    """A new password for the account a reset link was made for.

    The link's token comes in the context; a `token` in the body (the original
    service's shape) must equal it. The link itself, and the password against
    the link's user, are checked by services.password_reset_complete(), so a
    weak password never spends the link.
    """

    default_error_messages = {
        "token_mismatch": _("The token in the body does not match the one in the link."),
        "password_mismatch": _("The two passwords do not match."),
    }

    token = StrictCharField(
        required=False, max_length=512, help_text="Optional; must equal the token in the URL."
    )
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
        if attrs.get("token", token) != token:
            raise serializers.ValidationError(
                {"token": [self.error_messages["token_mismatch"]]}, code="token_mismatch"
            )
        password = attrs["new_password"]
        if attrs.get("new_password_confirm", password) != password:
            raise serializers.ValidationError(
                {"new_password_confirm": [self.error_messages["password_mismatch"]]},
                code="password_mismatch",
            )
        return {"token": token, "new_password": password}


class SessionSerializer(serializers.Serializer):
    """A login: the chain of refresh tokens that rotation hands out, and their access tokens."""

    # `current` compares with the context's `current_session_id` (None: none is).

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
    current = serializers.SerializerMethodField(
        help_text="Whether the access token making this request belongs to this session."
    )

    def get_current(self, session) -> bool:
        return session.pk == self.context.get("current_session_id")
