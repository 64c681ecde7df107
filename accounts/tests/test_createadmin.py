import io
import os
import re
import subprocess
import sys

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
    assert (user.email_verified, user.pending_email) == (True, None)
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


class Terminal:
    """Standard input that says it is a terminal, as call_command(stdin=...) takes it."""

    def isatty(self):
        return True


def _typing(monkeypatch, answers, passwords):
    """Answer the prompts with `answers` and the hidden password prompts with `passwords`."""
    answers, passwords = iter(answers), iter(passwords)
    monkeypatch.setattr("builtins.input", lambda prompt="": next(answers))
    monkeypatch.setattr("getpass.getpass", lambda prompt="Password: ": next(passwords))


GOOD_PASSWORD = ["Correct-Horse-42", "Correct-Horse-42"]


def test_interactive_creates_the_admin_from_the_answers(monkeypatch, capsys):
    _typing(monkeypatch, ["owner", "owner@example.com", "Olive", "Owner"], GOOD_PASSWORD)

    call_command("createadmin", stdin=Terminal())

    user = User.objects.get()
    assert (user.username, user.email, user.first_name, user.last_name) == (
        "owner", "owner@example.com", "Olive", "Owner"
    )  # fmt: skip
    assert (user.role, user.is_superuser) == (Role.ADMIN, True)
    assert user.check_password("Correct-Horse-42")
    assert capsys.readouterr().err == ""


def test_interactive_asks_again_for_a_username_taken_in_another_case(monkeypatch, capsys):
    UserFactory(username="Owner")
    _typing(monkeypatch, ["OWNER", "chief", "chief@example.com", "", ""], GOOD_PASSWORD)

    call_command("createadmin", stdin=Terminal())

    assert capsys.readouterr().err == "Error: A user with that username already exists.\n"
    assert User.objects.filter(role=Role.ADMIN).get().username == "chief"


def test_interactive_asks_again_for_a_blank_or_malformed_username(monkeypatch, capsys):
    _typing(monkeypatch, ["", "no spaces", "chief", "chief@example.com", "", ""], GOOD_PASSWORD)

    call_command("createadmin", stdin=Terminal())

    assert capsys.readouterr().err == (
        "Error: This field cannot be blank.\n"
        "Error: Enter a valid username. This value may contain only letters, numbers, "
        "and @/./+/-/_ characters.\n"
    )
    assert User.objects.get().username == "chief"


def test_interactive_asks_again_for_a_malformed_or_taken_email(monkeypatch, capsys):
    UserFactory(email="taken@example.com")
    answers = ["chief", "not-an-email", "TAKEN@example.com", "chief@example.com", "", ""]
    _typing(monkeypatch, answers, GOOD_PASSWORD)

    call_command("createadmin", stdin=Terminal())

    assert capsys.readouterr().err == (
        "Error: Enter a valid email address.\nError: A user with that email already exists.\n"
    )
    assert User.objects.get(username="chief").email == "chief@example.com"


def test_interactive_checks_a_username_given_as_option(monkeypatch, capsys):
    UserFactory(username="owner")
    _typing(monkeypatch, ["chief", "chief@example.com", "", ""], GOOD_PASSWORD)

    call_command("createadmin", "--username", "Owner", stdin=Terminal())

    assert capsys.readouterr().err == "Error: A user with that username already exists.\n"
    assert User.objects.filter(username="chief").exists()


def test_interactive_asks_the_password_again_with_each_reason(monkeypatch, capsys):
    passwords = ["", "", "password123", "password123", "Correct-Horse-42", "Nope-1234"]
    _typing(monkeypatch, ["owner", "owner@example.com", "", ""], passwords + GOOD_PASSWORD)

    call_command("createadmin", stdin=Terminal())

    assert capsys.readouterr().err == (
        "Error: Blank passwords aren't allowed.\n"
        "Error: This password is too common.\n"
        "Error: Your passwords didn't match.\n"
    )
    assert User.objects.get().check_password("Correct-Horse-42")


def test_interactive_without_a_terminal_is_a_clear_error(monkeypatch):
    monkeypatch.setattr("builtins.input", lambda prompt="": pytest.fail("prompted"))

    with pytest.raises(CommandError, match=r"standard input is not one.*--noinput"):
        call_command("createadmin", stdin=io.StringIO("owner\n"))

    assert not User.objects.exists()


def test_interactive_end_of_input_cancels(monkeypatch):
    def end_of_input(prompt=""):
        raise EOFError

    monkeypatch.setattr("builtins.input", end_of_input)

    with pytest.raises(CommandError, match=re.escape("Operation cancelled.")):
        call_command("createadmin", stdin=Terminal())

    assert not User.objects.exists()


def test_createadmin_process_exits_nonzero_on_duplicate(tmp_path):
    """Run the real command in a process, on its own SQLite file: exit status 1."""
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


def test_createadmin_process_without_a_terminal_exits_1_without_traceback(tmp_path):
    db = tmp_path / "db.sqlite3"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db}"}
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "-v0"], env=env, check=True)

    result = subprocess.run(
        [*manage, "createadmin"], env=env, input="owner\n", capture_output=True, text=True
    )

    assert result.returncode == 1
    assert result.stderr.startswith("CommandError: createadmin prompts on a terminal")
    assert "Traceback" not in result.stderr
