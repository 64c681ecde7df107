import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def listed_variables():
    """Names set in .env.example, commented-out examples included."""
    text = (ROOT / ".env.example").read_text()
    return set(re.findall(r"^(?:# )?([A-Z][A-Z0-9_]*)=", text, flags=re.MULTILINE))


def read_variables():
    """Names read by the settings (django-environ) and by gunicorn.conf.py (os.environ)."""
    settings = (ROOT / "project" / "settings.py").read_text()
    serving = (ROOT / "gunicorn.conf.py").read_text()
    return {
        *re.findall(r"env(?:\.\w+)?\(\s*\"([A-Z][A-Z0-9_]*)\"", settings),
        *re.findall(r"os\.environ\.get\(\s*\"([A-Z][A-Z0-9_]*)\"", serving),
    }


def test_every_setting_variable_is_listed_in_env_example():
    assert read_variables() - listed_variables() == set()


def test_env_example_lists_no_unknown_variable():
    assert listed_variables() - read_variables() == set()


def run_check(**env):
    base = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DEBUG")}
    return subprocess.run(
        [sys.executable, "-c", "import project.settings"],
        cwd=ROOT,
        env={**base, "DJANGO_SETTINGS_MODULE": "project.settings", "SECRET_KEY": "dev", **env},
        capture_output=True,
        text=True,
    )


@pytest.mark.parametrize("key", ["", "change-me", "django-insecure-" + "x" * 50, "short"])
def test_settings_refuse_placeholder_secret_key_without_debug(key, tmp_path):
    result = run_check(SECRET_KEY=key, DEBUG="false")

    assert result.returncode != 0
    assert "SECRET_KEY is missing or a placeholder" in result.stderr


def test_settings_accept_real_secret_key_without_debug():
    assert run_check(SECRET_KEY="k" * 64, DEBUG="false").returncode == 0


def test_settings_accept_a_placeholder_secret_key_with_debug():
    assert run_check(SECRET_KEY="change-me", DEBUG="true").returncode == 0


def test_settings_refuse_a_missing_secret_key_even_with_debug():
    result = run_check(SECRET_KEY="", DEBUG="true")

    assert result.returncode != 0
    assert "SECRET_KEY is missing or a placeholder" in result.stderr


def test_passwords_are_hashed_by_the_accounts_argon2_hasher():
    from project import settings as project_settings

    assert project_settings.PASSWORD_HASHERS[0] == "accounts.hashers.Argon2PasswordHasher"


def test_settings_refuse_an_unknown_email_verification_mode():
    result = run_check(DEBUG="true", EMAIL_VERIFICATION="sometimes")

    assert result.returncode != 0
    assert "EMAIL_VERIFICATION must be none, optional or mandatory." in result.stderr


@pytest.mark.parametrize("name", ["PASSWORD_RESET_URL", "EMAIL_VERIFY_URL"])
@pytest.mark.parametrize(
    "template",
    [
        "https://app.example.com/verify",  # no {token}
        "https://app.example.com/{token}/{token}",  # twice
        "https://app.example.com/{tok}",
        "app.example.com/verify?token={token}",  # not absolute
        "https://app.example.com/{user}/{token}",
    ],
)
def test_settings_refuse_a_link_template_without_one_token(name, template):
    result = run_check(DEBUG="true", **{name: template})

    assert result.returncode != 0
    assert f"{name} must be an absolute http(s) URL containing {{token}} once" in result.stderr


@pytest.mark.parametrize("name", ["PASSWORD_RESET_URL", "EMAIL_VERIFY_URL"])
def test_settings_accept_a_frontend_link_template(name):
    result = run_check(DEBUG="true", **{name: "https://app.example.com/x?token={token}&a=1"})

    assert result.returncode == 0, result.stderr
