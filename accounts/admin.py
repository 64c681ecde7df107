"""The Django admin site's view of accounts, under the same rules as the API.

Every permission hook asks accounts.policies and every write (the change
form, the password form, the delete view, bulk "delete selected", the role
actions) calls the same service as the API, so an admin meets exactly the
same rules here as on /api/user/, and the services record each action in
the site's history (accounts.audit) as they do for the API.
"""

import copy
from functools import partial

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.main import IGNORED_PARAMS, PAGE_VAR, SEARCH_VAR, ChangeList
from django.contrib.auth import admin as auth_admin
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from accounts import lockout, policies, services, sessions
from accounts.clients import client_from_request
from accounts.exceptions import AccountError, NotFound
from accounts.models import User
from accounts.pagination import UserPaginator, count_users

# The change list's filters that UserTally counts, by their query parameter.
TALLIED_LIST_FILTERS = {"role__exact": "role", "is_active__exact": "is_active"}

# How many of an account's security events its change page shows, newest first.
RECENT_EVENTS = 50

# What the change form may write; the role changes only through the actions,
# and superusers are made by `createadmin`, as on the API.
EDITABLE_FIELDS = ("username", "email", "first_name", "last_name", "is_active")


class UserChangeForm(auth_forms.UserChangeForm):
    class Meta(auth_forms.UserChangeForm.Meta):
        model = User


class UserCreationForm(auth_forms.AdminUserCreationForm):
    class Meta(auth_forms.AdminUserCreationForm.Meta):
        model = User
        fields = ("username", "email")


class PasswordChangeForm(auth_forms.AdminPasswordChangeForm):
    """Set a password through the service, which also ends the user's tokens."""

    def __init__(self, user, *args, actor, **kwargs):
        super().__init__(user, *args, **kwargs)
        self.actor = actor

    def save(self, commit=True):
        usable = self.cleaned_data["set_usable_password"]
        password = self.cleaned_data["password1"] if usable else None
        return services.user_set_password(actor=self.actor, user=self.user, password=password)


def _refusal(exc):
    """Say in a sentence why a service refused an action."""
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    if isinstance(exc, NotFound):
        return _("This user no longer exists.")
    return str(exc)


def _tally_filters(request):
    """The change list's filters for an exact count from UserTally, or None.

    None when a search or any other filter (is_superuser) narrows the list.
    """
    params = {
        name: values
        for name, values in request.GET.lists()
        if name not in (*IGNORED_PARAMS, PAGE_VAR)
    }
    if request.GET.get(SEARCH_VAR) or params.keys() - TALLIED_LIST_FILTERS.keys():
        return None
    if any(len(values) != 1 for values in params.values()):
        return None
    return {
        TALLIED_LIST_FILTERS[name]: User._meta.get_field(TALLIED_LIST_FILTERS[name]).to_python(
            values[0]
        )
        for name, values in params.items()
    }


class UserChangeList(ChangeList):
    """Django's change list, its "N total" also counted from UserTally, its rows those of
    the paginator."""

    def get_results(self, request):
        # UserAdmin.show_full_result_count is off, so Django does not count
        # every row for the total; the tallies give it, and it is shown.
        super().get_results(request)
        if (self.show_all and self.can_show_all) or not self.multi_page:
            # Django lists its own queryset then, where the paginator's may
            # read the rows by id (UserPaginator): the plan that cannot walk.
            self.result_list = self.paginator.object_list._clone()
        self.full_result_count = count_users(self.root_queryset, {})
        self.show_full_result_count = True
        self.show_admin_actions = bool(self.full_result_count)


@admin.register(User)
class UserAdmin(auth_admin.UserAdmin):
    """Accounts on the admin site, with the role in place of is_staff."""

    form = UserChangeForm
    add_form = UserCreationForm
    change_password_form = PasswordChangeForm
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (
            _("Personal info"),
            {"fields": ("first_name", "last_name", "email", "email_verified", "pending_email")},
        ),
        (
            _("Role and status"),
            {"fields": ("role", "is_active", "is_superuser", "locked_until")},
        ),
        (_("Important dates"), {"fields": ("last_login", "created_at", "updated_at")}),
        (_("Security events"), {"fields": ("recent_events",)}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": (
                    "username",
                    "email",
                    "usable_password",
                    "password1",
                    "password2",
                ),
            },
        ),
    )
    # Verification is the owner's to prove (a link), never an admin's to set.
    readonly_fields = (
        "role",
        "is_superuser",
        "email_verified",
        "pending_email",
        "last_login",
        "created_at",
        "updated_at",
        "locked_until",
        "recent_events",
    )
    list_display = (
        "username",
        "email",
        "first_name",
        "last_name",
        "role",
        "is_active",
        "created_at",
    )
    list_filter = ("role", "is_active", "is_superuser")
    search_fields = ("username", "email", "first_name", "last_name")
    ordering = ("-created_at",)
    actions = ["make_admin", "revoke_admin", "logout_all", "unlock"]
    # The change page lists the live sessions, each with a link to end it.
    change_form_template = "admin/accounts/user/change_form.html"
    show_full_result_count = False  # UserChangeList counts it from the tallies

    # --- Counts: from UserTally where the filters allow -------------------------

    def get_changelist(self, request, **kwargs):
        return UserChangeList

    def get_paginator(self, request, queryset, per_page, orphans=0, allow_empty_first_page=True):
        return UserPaginator(
            queryset, per_page, orphans, allow_empty_first_page, filters=_tally_filters(request)
        )

    # --- Permissions: accounts.policies, nothing else ---------------------------

    def has_module_permission(self, request):
        return policies.can_manage_users(request.user)

    def has_view_permission(self, request, obj=None):
        if obj is None:
            return policies.can_manage_users(request.user)
        return policies.can_view_user(request.user, obj)

    def has_add_permission(self, request):
        return policies.can_manage_users(request.user)

    def has_change_permission(self, request, obj=None):
        if obj is None:
            return policies.can_manage_users(request.user)
        return policies.can_update_user(request.user, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is None:
            return policies.can_manage_users(request.user)
        return policies.can_delete_user(request.user, obj)

    def has_grant_admin_permission(self, request):
        # Neither role rule depends on the target, only on who acts.
        return policies.can_grant_admin(request.user, None)

    def has_revoke_admin_permission(self, request):
        return policies.can_revoke_admin(request.user, None)

    # --- Read-only views of the lock and the security history -------------------

    @admin.display(description=_("locked after failed logins until"))
    def locked_until(self, obj):
        until = lockout.locked_until([(obj.pk, obj.username)]).get(obj.pk)
        if until is None:
            return _("Not locked.")
        return format_html(
            "{} <br>{}", until.isoformat(), _('Select the user in the list, then "Unlock".')
        )

    @admin.display(description=_("latest security events"))
    def recent_events(self, obj):
        latest = obj.security_events.order_by("-created_at", "-id")[:RECENT_EVENTS]
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    event.created_at.isoformat(),
                    event.get_type_display(),
                    event.ip_address or "",
                    event.user_agent,
                    event.session_id or "",
                    event.actor_id or "",
                )
                for event in latest
            ),
        )
        if not rows:
            return _("None yet.")
        labels = (_("When"), _("What"), _("Address"), _("Client"), _("Session"), _("Admin"))
        header = format_html_join("", "<th>{}</th>", ((label,) for label in labels))
        return format_html("<table><tr>{}</tr>{}</table>", header, rows)

    # --- Writes: the services, nothing else -------------------------------------

    def save_model(self, request, obj, form, change):
        if change:
            values = {name: form.cleaned_data[name] for name in form.changed_data}
            values = {name: value for name, value in values.items() if name in EDITABLE_FIELDS}
            services.user_admin_update(actor=request.user, user=obj, **values)
            return
        usable = form.cleaned_data["set_usable_password"]
        created = services.user_create(
            actor=request.user,
            username=obj.username,
            email=obj.email,
            password=form.cleaned_data["password1"] if usable else None,
        )
        # The admin goes on with `obj` (history entry, redirect): adopt the saved row.
        vars(obj).update(vars(created))

    def delete_model(self, request, obj):
        services.user_delete(actor=request.user, user=obj)

    def delete_queryset(self, request, queryset):
        # "Delete selected" checked has_delete_permission() for each object; the
        # service checks again, and deletes all of them or none.
        services.users_delete(actor=request.user, users=queryset)

    def user_change_password(self, request, id, form_url=""):
        # Django builds the password form from the target alone; the service
        # also needs the acting admin. This ModelAdmin serves every request,
        # so a copy of it carries the form bound to this one's admin.
        site = copy.copy(self)
        site.change_password_form = partial(PasswordChangeForm, actor=request.user)
        return self._refusing_conflicts(
            request, super(UserAdmin, site).user_change_password, request, id, form_url
        )

    @admin.action(description=_("Grant admin privileges"), permissions=["grant_admin"])
    def make_admin(self, request, queryset):
        self._apply_each(request, queryset, services.user_grant_admin)

    @admin.action(description=_("Revoke admin privileges"), permissions=["revoke_admin"])
    def revoke_admin(self, request, queryset):
        self._apply_each(request, queryset, services.user_revoke_admin)

    @admin.action(description=_("End all sessions"), permissions=["change"])
    def logout_all(self, request, queryset):
        self._apply_each(request, queryset, services.user_logout_all)

    @admin.action(description=_("Unlock after failed logins"), permissions=["change"])
    def unlock(self, request, queryset):
        self._apply_each(request, queryset, services.user_unlock)

    def _apply_each(self, request, queryset, service):
        """Run a service on each selected user; report refusals one by one."""
        done = 0
        for user in queryset:
            try:
                service(actor=request.user, user=user)
            except (AccountError, ValidationError) as exc:
                self.message_user(request, f"{user}: {_refusal(exc)}", messages.ERROR)
            else:
                done += 1
        if done:
            message = ngettext("%d user updated.", "%d users updated.", done) % done
            self.message_user(request, message, messages.SUCCESS)

    # --- Sessions: listed on the change page, ended through the services ------

    def get_urls(self):
        end = self.admin_site.admin_view(self.end_sessions_view)
        return [
            path("<id>/sessions/end/", end, name="accounts_user_end_sessions"),
            path("<id>/sessions/<session_id>/end/", end, name="accounts_user_end_session"),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        user = self.get_object(request, unquote(object_id))
        if user is not None:
            extra_context = {
                **(extra_context or {}),
                "live_sessions": sessions.live_sessions(user.pk),
                "can_end_sessions": policies.can_update_user(request.user, user),
            }
        return super().change_view(request, object_id, form_url, extra_context)

    def end_sessions_view(self, request, id, session_id=None):
        """Confirm (GET), then end (POST) one session of a user, or all of them."""
        user = self.get_object(request, unquote(id))
        if user is None:
            raise Http404(_("This user no longer exists."))
        if not policies.can_update_user(request.user, user):
            raise PermissionDenied
        session = None
        if session_id is not None:
            session = sessions.live_sessions(user.pk).filter(pk=session_id).first()
            if session is None:
                raise Http404(_("This session has ended or never existed."))
        if request.method == "POST":
            return self._end_sessions(request, user, session)
        context = {
            **self.admin_site.each_context(request),
            "title": _("End a session") if session else _("End all sessions"),
            "opts": self.opts,
            "original": user,
            "session": session,
        }
        return TemplateResponse(request, "admin/accounts/user/end_sessions.html", context)

    def _end_sessions(self, request, user, session):
        client = client_from_request(request)
        try:
            if session is None:
                services.user_logout_all(actor=request.user, user=user, client=client)
            else:
                services.session_end(
                    user=user, session_id=session.pk, client=client, actor=request.user
                )
        except AccountError as exc:
            self.message_user(request, _refusal(exc), messages.ERROR)
        else:
            ended = _("Session ended.") if session else _("User logged out of all sessions.")
            self.message_user(request, ended, messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:accounts_user_change", args=[user.pk]))

    # --- History: the services write it (accounts.audit), in the transaction ----
    # of each change; the site's own entries would repeat theirs.

    def log_addition(self, request, obj, message):
        pass

    def log_change(self, request, obj, message):
        pass

    def log_deletions(self, request, queryset):
        pass

    # --- A refused write is a message on the page, never a 500 -----------------

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        return self._refusing_conflicts(
            request, super().changeform_view, request, object_id, form_url, extra_context
        )

    def delete_view(self, request, object_id, extra_context=None):
        return self._refusing_conflicts(
            request, super().delete_view, request, object_id, extra_context
        )

    def response_action(self, request, queryset):
        return self._refusing_conflicts(request, super().response_action, request, queryset)

    def _refusing_conflicts(self, request, view, *args):
        """Run an admin view; a service's refusal becomes an error message."""
        try:
            return view(*args)
        except AccountError as exc:
            self.message_user(request, _refusal(exc), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())


# Not on this site: groups (roles are the user's own `role`; nothing here
# reads groups or per-user permissions) and SimpleJWT's token bookkeeping,
# whose rows only the services should end (logout, deactivation, password
# changes): deleting one by hand would revive nothing and explain nothing.
admin.site.unregister(Group)
admin.site.unregister(OutstandingToken)
admin.site.unregister(BlacklistedToken)
