"""hullreach settings, read from the environment (django-environ).

Every variable is listed with a comment in `.env.example`. With nothing set, hullreach runs on
embedded defaults: a SQLite file, the django-q ORM broker, a local-memory cache, DEBUG off.
`PRODUCTION=True` turns on the HTTPS settings and the system checks that guard a real deployment.
"""

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env")

# The development key is public on purpose: `hullreach.E001` refuses it when PRODUCTION is on.
DEVELOPMENT_SECRET_KEY = "hullreach-development-only-not-a-secret"

PRODUCTION = env.bool("PRODUCTION", default=False)
DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default=DEVELOPMENT_SECRET_KEY)
# Secrets at rest are encrypted with a key derived from this (or from SECRET_KEY when empty).
# Rotating SECRET_KEY without setting ENCRYPTION_KEY to the old one makes stored tokens unreadable.
ENCRYPTION_KEY = env.str("ENCRYPTION_KEY", default="")

PUBLIC_URL = env.str("PUBLIC_URL", default="http://localhost:8000").rstrip("/")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[PUBLIC_URL])

INSTALLED_APPS = [
    "hullreach.apps.HullreachConfig",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "django_q",
    "sync.apps.SyncConfig",
    "connectors.outreach.apps.OutreachConfig",
    "connectors.hull.apps.HullConfig",
    "connectors.hull.sandbox.apps.HullSandboxConfig",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
]

ROOT_URLCONF = "hullreach.urls"
WSGI_APPLICATION = "hullreach.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
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

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web process and the worker share one file: wait for locks instead of failing,
    # and take the write lock at BEGIN so two writers never deadlock on an upgrade.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 30, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    )
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DATABASE_CONN_MAX_AGE", default=60))
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]

# Staff sign in with a username or an email and a password; TOTP is offered by allauth.mfa.
# Accounts are made by `createsuperuser` or in the admin: nobody signs themselves up.
ACCOUNT_LOGIN_METHODS = {"username", "email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "username*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_ADAPTER = "hullreach.auth.StaffOnlyAccountAdapter"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "/admin/"
ACCOUNT_LOGOUT_REDIRECT_URL = "/accounts/login/"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATIC_ROOT.mkdir(exist_ok=True)  # whitenoise expects it even before the first collectstatic
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Serve static files from the app directories without collectstatic in the embedded setup.
WHITENOISE_USE_FINDERS = not PRODUCTION

REST_FRAMEWORK = {
    # Hull and Outreach authenticate with connector credentials and signatures, checked in the views.
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": [],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "UNAUTHENTICATED_USER": None,
}

# django-q2. The SyncJob table is the source of truth for work; the broker only carries job ids.
# ack_failures + max_attempts: a failing task is not redelivered forever (the job decides retries).
# retry > timeout: the ORM broker redelivers a task whose worker died, never one still running.
Q_CLUSTER = {
    "name": "hullreach",
    "workers": env.int("Q_WORKERS", default=2),
    "timeout": env.int("Q_TIMEOUT", default=900),
    "retry": env.int("Q_RETRY", default=1200),
    "max_attempts": env.int("Q_MAX_ATTEMPTS", default=3),
    "ack_failures": True,
    "save_limit": 500,
    "catch_up": False,
    "label": "Task queue",
}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"

# Outreach
OUTREACH_API_URL = env.str("OUTREACH_API_URL", default="https://api.outreach.io/api/v2").rstrip("/")
OUTREACH_OAUTH_URL = env.str("OUTREACH_OAUTH_URL", default="https://api.outreach.io/oauth").rstrip("/")
OUTREACH_CLIENT_ID = env.str("OUTREACH_CLIENT_ID", default="")
OUTREACH_CLIENT_SECRET = env.str("OUTREACH_CLIENT_SECRET", default="")
OUTREACH_REDIRECT_URL = env.str("OUTREACH_REDIRECT_URL", default=f"{PUBLIC_URL}/outreach/oauth/callback")
OUTREACH_RATE_LIMIT_PER_HOUR = env.int("OUTREACH_RATE_LIMIT_PER_HOUR", default=10000)
OUTREACH_CONNECT_TIMEOUT = env.float("OUTREACH_CONNECT_TIMEOUT", default=5.0)
OUTREACH_READ_TIMEOUT = env.float("OUTREACH_READ_TIMEOUT", default=30.0)

# Hull
HULL_FIREHOSE_URL = env.str("HULL_FIREHOSE_URL", default="").rstrip("/")
HULL_CONNECT_TIMEOUT = env.float("HULL_CONNECT_TIMEOUT", default=5.0)
HULL_READ_TIMEOUT = env.float("HULL_READ_TIMEOUT", default=30.0)
HULL_MAX_BODY_BYTES = env.int("HULL_MAX_BODY_BYTES", default=20 * 1024 * 1024)
HULL_BACKLOG_LIMIT = env.int("HULL_BACKLOG_LIMIT", default=50000)
DATA_UPLOAD_MAX_MEMORY_SIZE = HULL_MAX_BODY_BYTES

# Sync
SYNC_LOG_RETENTION_DAYS = env.int("SYNC_LOG_RETENTION_DAYS", default=30)
SYNC_INPUT_RETENTION_DAYS = env.int("SYNC_INPUT_RETENTION_DAYS", default=14)
SYNC_STAT_RETENTION_DAYS = env.int("SYNC_STAT_RETENTION_DAYS", default=90)
SANDBOX_ENABLED = env.bool("SANDBOX_ENABLED", default=False)

if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
    SECURE_CONTENT_TYPE_NOSNIFF = True
    # Webhook and notifier endpoints are machine-to-machine: redirecting them to https is correct
    # but a load balancer health check on /healthz must not be redirected.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
