"""The admin site itself: Django's, with its own "Change password" page on the service.

Django's page saves the new password directly, which would leave the
admin's API tokens alive; accounts.apps.AdminConfig makes this the site.
"""

from django.contrib import admin
from django.contrib.admin import forms as admin_forms
from django.contrib.auth.views import PasswordChangeView
from django.urls import reverse

from accounts import services


class OwnPasswordChangeForm(admin_forms.AdminPasswordChangeForm):
    """The admin's own new password, set through the service, which also ends their tokens."""

    def save(self, commit=True):
        password = self.cleaned_data["new_password1"]
        return services.user_change_password(user=self.user, password=password)


class AdminSite(admin.AdminSite):
    """Django's admin site, its own password page saving through the service."""

    def password_change(self, request, extra_context=None):
        # Django's view, with OwnPasswordChangeForm for its form, which saves directly.
        defaults = {
            "form_class": OwnPasswordChangeForm,
            "success_url": reverse("admin:password_change_done", current_app=self.name),
            "extra_context": {**self.each_context(request), **(extra_context or {})},
        }
        if self.password_change_template is not None:
            defaults["template_name"] = self.password_change_template
        request.current_app = self.name
        return PasswordChangeView.as_view(**defaults)(request)
