"""Settings for the account service, read once from the environment.

Every variable read here is listed, with its default and meaning, in
`.env.example`. Defaults are safe: DEBUG is off unless set, and with DEBUG off
the service refuses to start without a real SECRET_KEY (with DEBUG on, any
non-empty one).
"""

import os
import re
import tempfile
from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONCE, NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if (BASE_DIR / ".env").is_file():
    # Real environment variables win over the file.
    env.read_env(BASE_DIR / ".env")

# --- Core ---------------------------------------------------------------------
DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="")
_PLACEHOLDER_PREFIXES = ("change-me", "changeme", "django-insecure")
# Django itself refuses an empty key, DEBUG or not, with a less helpful message.
if not SECRET_KEY or (
    not DEBUG and (len(SECRET_KEY) < 50 or SECRET_KEY.lower().startswith(_PLACEHOLDER_PREFIXES))
):
    raise ImproperlyConfigured(
        "SECRET_KEY is missing or a placeholder. Set a random value of at least "
        "50 characters (see .env.example), or set DEBUG=true for development."
    )
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
CSRF_FAILURE_VIEW = "project.errors.csrf_failure"
PUBLIC_BASE_URL = env.str("PUBLIC_BASE_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "accounts.apps.AdminConfig",  # Django's admin, with the accounts' AdminSite
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "django_filters",
    "corsheaders",
    "csp",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_tasks",
    "django_tasks_db",
    "accounts",
]

MIDDLEWARE = [
    # First: request id, one JSON log line per request, 503 for a lost database.
    "project.middleware.RequestLogMiddleware",
    # Before anything reads the Host: probes by IP pass the ALLOWED_HOSTS check.
    "project.health.any_host_for_probes",
    "django.middleware.security.SecurityMiddleware",
    "project.security.ContentSecurityPolicyMiddleware",
    # Serves collected static files (admin, API docs) under gunicorn.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    # A 405 from a plain Django view answered in JSON.
    "project.errors.JSONErrorMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "project.urls"
WSGI_APPLICATION = "project.wsgi.application"
# Every route takes an optional trailing slash itself; never redirect.
APPEND_SLASH = False

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "project" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE transactions and a busy timeout keep concurrent writers
    # (several workers, threads) from failing with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "timeout": 20}
    )
    # Tests get a file, not Django's shared-cache in-memory database, whose
    # table locks ignore the busy timeout and break concurrency tests.
    DATABASES["default"]["TEST"] = {
        "NAME": str(Path(tempfile.gettempdir()) / f"accounts-test-{os.getpid()}.sqlite3")
    }
else:
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # Django's backend with psycopg's C timestamp loader (see there).
        DATABASES["default"]["ENGINE"] = "project.postgresql"
    # A bounded wait for an unreachable server, so a request fails with 503
    # (and a probe answers) instead of hanging until gunicorn's timeout.
    DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = env.int(
        "DB_CONNECT_TIMEOUT", default=5
    )
    # Parameters sent apart from the query (Django's server-side binding
    # cursors), so the authentication's query, run on every request, and a
    # list's first page with no filter are prepared statements that
    # PostgreSQL does not parse and plan again (project.postgresql). Off for a
    # connection pooler that cannot keep them (PgBouncer in transaction mode
    # before 1.21): DB_PREPARED_STATEMENTS=false.
    if env.bool("DB_PREPARED_STATEMENTS", default=True):
        DATABASES["default"]["OPTIONS"]["server_side_binding"] = True
    if env.bool("DB_POOL", default=False):
        # psycopg's pool, per process; Django requires CONN_MAX_AGE=0 with it.
        DATABASES["default"]["OPTIONS"]["pool"] = {
            "min_size": env.int("DB_POOL_MIN_SIZE", default=1),
            "max_size": env.int("DB_POOL_MAX_SIZE", default=4),
            "timeout": env.float("DB_POOL_TIMEOUT", default=5),
        }
        DATABASES["default"]["CONN_MAX_AGE"] = 0
    else:
        # Persistent connections, one per worker: bench/run.py measured them as
        # fast as the pool with sync workers, and far faster than reconnecting
        # on every request (DB_CONN_MAX_AGE=0).
        DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
    # Reused connections are checked before use: after a database restart the
    # next request reconnects by itself (project.postgresql: without a query
    # unless the server has closed the connection).
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ------------------------------------------------------------------------
# Throttle counters live here: a shared cache (Redis) makes limits hold across
# processes and instances; local memory is per process.
CACHES = {"default": env.cache("CACHE_URL", default=env.str("REDIS_URL", default="locmemcache://"))}
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    # Fail fast (503) rather than hang when Redis is unreachable.
    CACHES["default"].setdefault("OPTIONS", {}).update(
        {"socket_connect_timeout": 2, "socket_timeout": 2}
    )

# --- Auth -------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
PASSWORD_HASHERS = [
    "accounts.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT", default=3600)
# none: addresses are never verified, a new one applies at once; optional:
# links are sent and email changes wait for confirmation; mandatory: also no
# login before the address is verified.
EMAIL_VERIFICATION = env.str("EMAIL_VERIFICATION", default="optional")
if EMAIL_VERIFICATION not in ("none", "optional", "mandatory"):
    raise ImproperlyConfigured("EMAIL_VERIFICATION must be none, optional or mandatory.")
EMAIL_VERIFICATION_TIMEOUT = env.int("EMAIL_VERIFICATION_TIMEOUT", default=3 * 24 * 3600)
# The links in emails: {token} is replaced by the token, so a frontend can
# take them. The defaults are this service's own pages.
PASSWORD_RESET_URL = env.str(
    "PASSWORD_RESET_URL", default=f"{PUBLIC_BASE_URL}/user/reset-password/{{token}}"
)
EMAIL_VERIFY_URL = env.str(
    "EMAIL_VERIFY_URL", default=f"{PUBLIC_BASE_URL}/user/verify-email/{{token}}"
)
for _name in ("PASSWORD_RESET_URL", "EMAIL_VERIFY_URL"):
    if not re.fullmatch(r"https?://[^\s{}]+\{token\}[^\s{}]*", vars()[_name]):
        raise ImproperlyConfigured(
            f"{_name} must be an absolute http(s) URL containing {{token}} once, "
            "e.g. https://app.example.com/verify?token={token}."
        )
# Days a security event is kept before `manage.py prune` deletes it.
SECURITY_EVENT_RETENTION_DAYS = env.int("SECURITY_EVENT_RETENTION_DAYS", default=90)
# Lockout (accounts/lockout.py): failures in a row per username before a lock,
# the first lock's seconds (each further lock in the streak doubles, up to the
# maximum), and the seconds without a failure after which the streak ends.
LOGIN_LOCKOUT_THRESHOLD = env.int("LOGIN_LOCKOUT_THRESHOLD", default=5)
LOGIN_LOCKOUT_SECONDS = env.int("LOGIN_LOCKOUT_SECONDS", default=60)
LOGIN_LOCKOUT_MAX_SECONDS = env.int("LOGIN_LOCKOUT_MAX_SECONDS", default=900)
LOGIN_FAILURE_RESET_SECONDS = env.int("LOGIN_FAILURE_RESET_SECONDS", default=43200)

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(seconds=env.int("JWT_ACCESS_TOKEN_LIFETIME", default=3600)),
    "REFRESH_TOKEN_LIFETIME": timedelta(
        seconds=env.int("JWT_REFRESH_TOKEN_LIFETIME", default=14 * 24 * 3600)
    ),
    # Tokens that name their session and have strictly formed claims; the
    # session row (accounts.sessions) does rotation and revocation, so
    # SimpleJWT's ROTATE_REFRESH_TOKENS/BLACKLIST_AFTER_ROTATION play no part.
    "AUTH_TOKEN_CLASSES": ("accounts.jwt.SessionAccessToken",),
    # A claim derived from the password hash: changing the password ends
    # every token issued before.
    "CHECK_REVOKE_TOKEN": True,
    "CHECK_USER_IS_ACTIVE": True,
    "SIGNING_KEY": env.str("JWT_SIGNING_KEY", default=SECRET_KEY),
    "ALGORITHM": "HS256",
    "AUTH_HEADER_TYPES": ("Bearer",),
}

# --- REST framework ---------------------------------------------------------------
REST_FRAMEWORK = {
    # JWT first: its WWW-Authenticate header makes unauthenticated requests 401.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.JWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": [
        "accounts.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_RENDERER_CLASSES": [
        # DRF's JSONRenderer, encoded by orjson (same bytes, see there).
        "project.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    # DRF's, with each answer kept per Accept header (see there).
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "project.negotiation.ContentNegotiation",
    "EXCEPTION_HANDLER": "project.errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "accounts.openapi.AutoSchema",
    # Client addresses come from the socket unless proxies are declared.
    "NUM_PROXIES": env.int("NUM_PROXIES", default=0),
    "DEFAULT_THROTTLE_RATES": {
        "login_username": env.str("THROTTLE_LOGIN_USERNAME", default="10/min"),
        "login": env.str("THROTTLE_LOGIN", default="60/min"),
        "register": env.str("THROTTLE_REGISTER", default="30/hour"),
        "password_reset_email": env.str("THROTTLE_PASSWORD_RESET_EMAIL", default="3/hour"),
        "password_reset": env.str("THROTTLE_PASSWORD_RESET", default="20/hour"),
        # A post to a reset link reads the database and, for a good link, runs
        # the password validators (and the slow hash once one passes). A reset
        # takes a post or two (a refused password, then one that passes); 20
        # an hour leaves room for a few people behind one address and matches
        # how many links an address may ask for.
        "password_reset_confirm": env.str("THROTTLE_PASSWORD_RESET_CONFIRM", default="20/hour"),
        # As for reset requests: each may send an email.
        "resend_verification_email": env.str(
            "THROTTLE_RESEND_VERIFICATION_EMAIL", default="3/hour"
        ),
        "resend_verification": env.str("THROTTLE_RESEND_VERIFICATION", default="20/hour"),
        # A post to a verification link reads and writes one row; a person
        # posts once or twice, but a frontend behind one address may post for many.
        "email_verify": env.str("THROTTLE_EMAIL_VERIFY", default="20/hour"),
        # Per user: deleting the account checks the password (a guessing
        # oracle for a stolen access token); an export reads the whole history.
        "delete_account": env.str("THROTTLE_DELETE_ACCOUNT", default="20/hour"),
        "export": env.str("THROTTLE_EXPORT", default="10/hour"),
    },
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "User account service",
    "DESCRIPTION": "Register users, log them in with JWTs, reset passwords by "
    "email, and manage accounts and roles.\n\n"
    "**Authentication**: `POST /user/login`, then send `Authorization: Bearer "
    "<access_token>` (here: *Authorize*, `jwtAuth`).\n\n"
    '**Errors** are JSON: `{"detail": "...", "code": "..."}` with a stable '
    '`code`, or field errors `{"field": ["message"]}` (400). Every operation lists '
    "its status codes; any route also answers 405 `method_not_allowed` (with an "
    "`Allow` header) to a method it does not take, 404 `not_found` to an unknown "
    "URL and 500 `server_error` (never with internals) to a bug. Every route takes "
    "an optional trailing slash.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Request bodies are documented as JSON, the API's media type. The form
    # and multipart parsers serve the browsable API's HTML forms; listing
    # them too, with one schema, makes generated clients send forms (and
    # openapi-python-client's modules fail to import). The reset page's form
    # is described on its operations.
    "PARSER_WHITELIST": ["rest_framework.parsers.JSONParser"],
    # Operations in the URLconf's order (register, login, refresh, logout...),
    # not alphabetically by path.
    "SORT_OPERATIONS": False,
    "PREPROCESSING_HOOKS": ["accounts.openapi.strip_optional_slash"],
    # The bearer scheme alone in the docs and in Authorize: the session login
    # serves the browsable API and the admin site, not API clients (Swagger
    # UI focused its cookie field, where newcomers pasted their token).
    "AUTHENTICATION_WHITELIST": ["accounts.authentication.JWTAuthentication"],
    # Task tags in reading order (accounts/schema.py).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "accounts.openapi.present",
    ],
    # No call to validator.swagger.io: the docs work with no internet access.
    "SWAGGER_UI_SETTINGS": {"validatorUrl": None, "deepLinking": True},
}

# --- Email ------------------------------------------------------------------------
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="noreply@localhost")
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
# The outbox (accounts/tasks.py): each email is a task row in the database,
# sent by `manage.py mail_worker`, retried with doubling delays.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
EMAIL_MAX_ATTEMPTS = env.int("EMAIL_MAX_ATTEMPTS", default=8)
EMAIL_RETRY_DELAY = env.float("EMAIL_RETRY_DELAY", default=30)
EMAIL_WORKER_LEASE = env.float("EMAIL_WORKER_LEASE", default=300)
EMAIL_RETENTION_DAYS = env.int("EMAIL_RETENTION_DAYS", default=7)

# --- CORS and HTTPS ---------------------------------------------------------------
CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[])
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool(
    "SECURE_HSTS_INCLUDE_SUBDOMAINS", default=SECURE_HSTS_SECONDS > 0
)
# A year-long HSTS policy is what the preload list asks for; opt out explicitly.
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=SECURE_HSTS_SECONDS >= 31536000)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=SECURE_SSL_REDIRECT)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=SECURE_SSL_REDIRECT)
if env.bool("BEHIND_TLS_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# django-csp's policy for HTML pages (project/security.py gives JSON a
# stricter one). Inline styles stay allowed: ReDoc's styled-components inject
# <style> elements that no hash can predict. No inline script runs without
# the request's nonce; the browsable API's Log out is a plain form for that
# (project/templates/rest_framework/api.html).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "worker-src": [SELF, "blob:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# --- Static files and i18n --------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
# Compressed copies, served by whitenoise. The manifest (hashed names, cached
# forever by browsers) is opt-in for production, after collectstatic: without
# its manifest that storage turns every page naming a static file into a 500
# when DEBUG is off, as in the test suite and `./dev serve` with DEBUG off.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if env.bool("STATIC_MANIFEST", default=False)
        else "whitenoise.storage.CompressedStaticFilesStorage"
    },
}
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Logging ----------------------------------------------------------------------
# One JSON object per line (project/logs.py scrubs tokens, emails, JWTs);
# RequestLogMiddleware writes the one line per request, replacing gunicorn's
# access log and the duplicates Django writes for 4xx ("Not Found: /path").
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "project.logs.JsonFormatter"}},
    "filters": {
        "redact": {"()": "project.logs.RedactSecrets"},
        "only_exceptions": {"()": "project.logs.OnlyExceptions"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "json", "filters": ["redact"]}
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        # Replaces Django's own plain-text handlers on these loggers.
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.request": {"level": "ERROR", "filters": ["only_exceptions"]},
        "django.server": {"handlers": ["console"], "level": "ERROR", "propagate": False},
    },
}
