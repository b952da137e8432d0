"""System checks that name each misconfiguration (`manage.py check`, run on every start)."""

from django.conf import settings
from django.core.checks import Error, Warning, register


@register("hullreach")
def settings_check(app_configs, **kwargs):
    problems = []
    q = settings.Q_CLUSTER
    timeout, retry = q.get("timeout"), q.get("retry")
    if timeout is None or retry is None or retry <= timeout:
        problems.append(
            Error(
                f"django-q retry ({retry}) must be above timeout ({timeout}).",
                hint="Set Q_RETRY above Q_TIMEOUT, or the broker re-delivers tasks that are still running.",
                id="hullreach.E002",
            )
        )
    if not q.get("max_attempts"):
        problems.append(
            Error(
                "django-q max_attempts is 0: a failing task would be retried forever.",
                hint="Set Q_MAX_ATTEMPTS to a small number (3).",
                id="hullreach.E003",
            )
        )
    if not (settings.OUTREACH_CLIENT_ID and settings.OUTREACH_CLIENT_SECRET) and not settings.SANDBOX_ENABLED:
        problems.append(
            Warning(
                "OUTREACH_CLIENT_ID or OUTREACH_CLIENT_SECRET is not set: staff cannot connect Outreach.",
                hint="Create an Outreach OAuth app and set both variables.",
                id="hullreach.W004",
            )
        )
    if settings.PRODUCTION:
        problems.extend(_production_problems())
    return problems


def database_is_sqlite() -> bool:
    return settings.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3"


def _production_problems():
    problems = []
    if not settings.SECRET_KEY or settings.SECRET_KEY == settings.DEVELOPMENT_SECRET_KEY:
        problems.append(
            Error(
                "PRODUCTION is on but SECRET_KEY is not set.",
                hint="Set SECRET_KEY to a long random value (it also derives the key for secrets at rest).",
                id="hullreach.E001",
            )
        )
    if database_is_sqlite():
        problems.append(
            Error(
                "PRODUCTION is on but the database is SQLite.",
                hint="Set DATABASE_URL to PostgreSQL (postgres://user:password@host:5432/name).",
                id="hullreach.E005",
            )
        )
    if not settings.REDIS_URL:
        problems.append(
            Warning(
                "PRODUCTION is on without REDIS_URL: the task queue and the rate budget live in the database.",
                hint="Set REDIS_URL for the django-q broker and the shared cache.",
                id="hullreach.W006",
            )
        )
    if not settings.PUBLIC_URL.startswith("https://"):
        problems.append(
            Error(
                f"PUBLIC_URL ({settings.PUBLIC_URL}) is not https: Outreach webhooks and OAuth need it.",
                hint="Set PUBLIC_URL to the https address where this service is reachable.",
                id="hullreach.E007",
            )
        )
    if settings.SANDBOX_ENABLED:
        problems.append(
            Error(
                "PRODUCTION is on with SANDBOX_ENABLED: the simulators would be reachable.",
                hint="Unset SANDBOX_ENABLED in production.",
                id="hullreach.E008",
            )
        )
    if settings.DEBUG:
        problems.append(Error("PRODUCTION is on with DEBUG.", hint="Unset DEBUG.", id="hullreach.E009"))
    return problems
