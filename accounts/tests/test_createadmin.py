import re

import pytest
from django.core.management import CommandError, call_command

from accounts.models import Role, User
from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ENV = {
    "DJANGO_ADMIN_USERNAME": "owner",
    "DJANGO_ADMIN_EMAIL": "owner@example.com",
    "DJANGO_ADMIN_PASSWORD": "Correct-Horse-42",
    "DJANGO_ADMIN_FIRST_NAME": "Olive",
    "DJANGO_ADMIN_LAST_NAME": "Owner",
}


@pytest.fixture
def admin_env(monkeypatch):
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)


def test_noinput_creates_admin_superuser_from_environment(admin_env, capsys):
    call_command("createadmin", "--noinput")

    user = User.objects.get(username="owner")
    assert (user.role, user.is_superuser, user.is_staff) == (Role.ADMIN, True, True)
    assert (user.email, user.first_name, user.last_name) == ("owner@example.com", "Olive", "Owner")
    assert user.check_password("Correct-Horse-42")
    assert "Admin 'owner' created." in capsys.readouterr().out


def test_noinput_names_missing_variables(monkeypatch):
    monkeypatch.setenv("DJANGO_ADMIN_USERNAME", "owner")

    with pytest.raises(CommandError, match="DJANGO_ADMIN_EMAIL, DJANGO_ADMIN_PASSWORD"):
        call_command("createadmin", "--noinput")

    assert not User.objects.exists()


def test_noinput_rejects_duplicate_username_in_other_case(admin_env):
    UserFactory(username="OWNER")

    with pytest.raises(CommandError, match=re.escape("A user with that username already exists.")):
        call_command("createadmin", "--noinput")

    assert User.objects.count() == 1


def test_noinput_rejects_duplicate_email(admin_env):
    UserFactory(email="Owner@Example.com")

    with pytest.raises(CommandError, match=re.escape("A user with that email already exists.")):
        call_command("createadmin", "--noinput")


def test_noinput_rejects_weak_password(admin_env, monkeypatch):
    monkeypatch.setenv("DJANGO_ADMIN_PASSWORD", "password123")

    with pytest.raises(CommandError, match=re.escape("This password is too common.")):
        call_command("createadmin", "--noinput")

    assert not User.objects.exists()


def test_noinput_rejects_invalid_email(admin_env, monkeypatch):
    monkeypatch.setenv("DJANGO_ADMIN_EMAIL", "not-an-email")

    with pytest.raises(CommandError, match="email"):
        call_command("createadmin", "--noinput")

    assert not User.objects.exists()


def test_options_override_environment(admin_env):
    call_command("createadmin", "--noinput", "--username", "chief")

    assert User.objects.get().username == "chief"


def test_interactive_prompts_and_asks_password_twice(monkeypatch):
    answers = iter(["owner", "owner@example.com", "Olive", "Owner"])
    passwords = iter(
        [
            "password123",
            "password123",
            "Correct-Horse-42",
            "Nope-1234",
            "Correct-Horse-42",
            "Correct-Horse-42",
        ]
    )
    monkeypatch.setattr("builtins.input", lambda prompt="": next(answers))
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(passwords))

    call_command("createadmin")

    user = User.objects.get()
    assert (user.username, user.role, user.is_superuser) == ("owner", Role.ADMIN, True)
    assert user.check_password("Correct-Horse-42")


def test_createadmin_process_exits_nonzero_on_duplicate(tmp_path):
    """Run the real command in a process, on its own SQLite file: exit status 1."""
    import os
    import subprocess
    import sys

    db = tmp_path / "db.sqlite3"
    env = {**os.environ, **ENV, "DATABASE_URL": f"sqlite:///{db}"}
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "-v0"], env=env, check=True)
    subprocess.run([*manage, "createadmin", "--noinput"], env=env, check=True)

    second = subprocess.run(
        [*manage, "createadmin", "--noinput"], env=env, capture_output=True, text=True
    )

    assert second.returncode == 1
    assert "A user with that username already exists." in second.stderr
    assert "Traceback" not in second.stderr
