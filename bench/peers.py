"""The two projects bench/run.py serves beside the service, generated into a directory.

- **floor**: a stock `django-admin startproject` with DRF and one view,
  SimpleJWT's stock authentication returning the caller's username (one
  query). Default middleware, logging and renderers: what Django and DRF cost
  with no work of ours, and the floor GET /user/profile has to beat.
- **djoser**: another stock project with djoser + SimpleJWT (djoser's own
  URLs: `/auth/users/`, `/auth/users/me/`, `/auth/jwt/create/`) and a global
  page size of 100, as djoser's documentation sets it up.

Both run from bench/.venv (bench/requirements.txt: the service's own
Django, DRF, SimpleJWT, gunicorn and psycopg, plus djoser) and share one
database. What is appended to the generated settings is only what serving
them in production on PostgreSQL needs: the secret key, DEBUG off, the
host, the database with persistent connections (as the service has; a new
connection per request would make the peers look slow for a reason
unrelated to the code), and the apps of the project.
"""

import os
import subprocess
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
VENV = BASE_DIR / "bench" / ".venv"
REQUIREMENTS = BASE_DIR / "bench" / "requirements.txt"
PYTHON = VENV / "bin" / "python"

SETTINGS = """

# --- Appended by bench/peers.py: production on PostgreSQL, and this project's apps.
import os  # noqa: E402
import urllib.parse  # noqa: E402

SECRET_KEY = os.environ["SECRET_KEY"]
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1"]
_DB = urllib.parse.urlsplit(os.environ["DATABASE_URL"])
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": _DB.path.lstrip("/"),
        "USER": _DB.username,
        "HOST": _DB.hostname,
        "PORT": _DB.port,
        "CONN_MAX_AGE": 60,
    }
}
"""

FLOOR_SETTINGS = """INSTALLED_APPS += ["rest_framework"]
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework_simplejwt.authentication.JWTAuthentication",
    ],
}
"""

FLOOR_VIEWS = '''"""The floor: a DRF view with SimpleJWT's stock authentication, one query."""

from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView


class ProfileView(APIView):
    permission_classes = [IsAuthenticated]

    def get(self, request):
        return Response({"username": request.user.username})
'''

FLOOR_URLS = """
from floor.views import ProfileView  # noqa: E402

urlpatterns += [path("profile", ProfileView.as_view())]
"""

DJOSER_SETTINGS = """INSTALLED_APPS += ["rest_framework", "djoser"]
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework_simplejwt.authentication.JWTAuthentication",
    ],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 100,
}
"""

DJOSER_URLS = """
from django.urls import include  # noqa: E402

urlpatterns += [path("auth/", include("djoser.urls")), path("auth/", include("djoser.urls.jwt"))]
"""

PEERS = {
    "floor": (FLOOR_SETTINGS, FLOOR_URLS, {"views.py": FLOOR_VIEWS}),
    "djoser_peer": (DJOSER_SETTINGS, DJOSER_URLS, {}),
}


def ensure_venv():
    """Create bench/.venv and install bench/requirements.txt, once per content."""
    stamp = VENV / f".installed-{_requirements_digest()}"
    if stamp.exists():
        return
    if not PYTHON.exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    subprocess.run(
        [str(PYTHON), "-m", "pip", "install", "--quiet", "-r", str(REQUIREMENTS)],
        check=True,
        cwd=REQUIREMENTS.parent,
    )
    stamp.touch()


def _requirements_digest():
    import hashlib

    text = REQUIREMENTS.read_bytes() + (BASE_DIR / "requirements.txt").read_bytes()
    return hashlib.sha256(text).hexdigest()[:16]


def build(directory):
    """Generate both projects under `directory`; return {name: project directory}."""
    projects = {}
    for name, (settings, urls, files) in PEERS.items():
        project = Path(directory) / name
        project.mkdir(parents=True)
        subprocess.run(
            [str(VENV / "bin" / "django-admin"), "startproject", name, str(project)], check=True
        )
        package = project / name
        with open(package / "settings.py", "a") as out:
            out.write(SETTINGS + settings)
        with open(package / "urls.py", "a") as out:
            out.write(urls)
        for filename, text in files.items():
            (package / filename).write_text(text)
        projects[name] = project
    return projects


def manage(project, *args, env):
    """Run the peer's manage.py with `args`; return its standard output."""
    result = subprocess.run(
        [str(PYTHON), "manage.py", *args],
        cwd=project,
        env={**os.environ, **env, "DJANGO_SETTINGS_MODULE": f"{project.name}.settings"},
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout


def shell(project, code, env):
    """Run Python `code` in the peer's Django shell; return what it prints, stripped."""
    return manage(project, "shell", "--no-imports", "-c", code, env=env).strip()


def password_hash(project, password, env):
    """Hash `password` with the peer's default hasher (Django's PBKDF2)."""
    code = (
        f"from django.contrib.auth.hashers import make_password; print(make_password({password!r}))"
    )
    return shell(project, code, env)


def access_token(project, username, env):
    """Return a SimpleJWT access token for `username`, issued by the peer itself.

    Valid for an hour: SimpleJWT's default 5 minutes ran out mid-run, and the
    peer's later rounds were measured as cheap 401s.
    """
    code = (
        "import datetime;"
        "from django.contrib.auth import get_user_model;"
        "from rest_framework_simplejwt.tokens import AccessToken;"
        f"token = AccessToken.for_user(get_user_model().objects.get(username={username!r}));"
        "token.set_exp(lifetime=datetime.timedelta(hours=1));"
        "print(token)"
    )
    return shell(project, code, env)
